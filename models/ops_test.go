package models

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The custom ops are checked three ways: the forward pass against a naive float64 loop, every
// gradient against central differences of that loop, and the fused conv block against
// gorgonia's own Conv2d → BroadcastAdd → Rectify → MaxPool2D graph it replaces.

// ---- naive float64 references ----

func convRef(x, w, b []float64, n, c, h, wd, o, k int, pool bool) []float64 {
	pad := k / 2
	oh, ow := h+2*pad-k+1, wd+2*pad-k+1
	a := make([]float64, n*o*oh*ow)
	for s := range n {
		for oc := range o {
			for i := range oh {
				for j := range ow {
					sum := b[oc]
					for ci := range c {
						for u := range k {
							for v := range k {
								ii, jj := i+u-pad, j+v-pad
								if ii >= 0 && ii < h && jj >= 0 && jj < wd {
									sum += w[((oc*c+ci)*k+u)*k+v] * x[((s*c+ci)*h+ii)*wd+jj]
								}
							}
						}
					}
					a[((s*o+oc)*oh+i)*ow+j] = math.Max(sum, 0)
				}
			}
		}
	}
	if !pool {
		return a
	}
	ph, pw := oh/2, ow/2
	y := make([]float64, n*o*ph*pw)
	for s := range n {
		for oc := range o {
			for i := range ph {
				for j := range pw {
					at := func(di, dj int) float64 { return a[((s*o+oc)*oh+2*i+di)*ow+2*j+dj] }
					y[((s*o+oc)*ph+i)*pw+j] = math.Max(math.Max(at(0, 0), at(0, 1)), math.Max(at(1, 0), at(1, 1)))
				}
			}
		}
	}
	return y
}

func denseRef(x, w, b []float64, n, in, out int, relu bool) []float64 {
	y := make([]float64, n*out)
	for i := range n {
		for j := range out {
			s := b[j]
			for p := range in {
				s += x[i*in+p] * w[p*out+j]
			}
			if relu {
				s = math.Max(s, 0)
			}
			y[i*out+j] = s
		}
	}
	return y
}

func xentRef(z, t []float64, n, k int) []float64 {
	var loss float64
	for i := range n {
		m := math.Inf(-1)
		for c := range k {
			m = math.Max(m, z[i*k+c])
		}
		var s float64
		for c := range k {
			s += math.Exp(z[i*k+c] - m)
		}
		for c := range k {
			loss -= t[i*k+c] * (z[i*k+c] - m - math.Log(s))
		}
	}
	return []float64{loss / float64(n)}
}

// ---- harness ----

// opCase is one op under test: its inputs, which of them to differentiate, how to build the
// op in a graph and its float64 reference.
type opCase struct {
	name   string
	shapes [][]int
	vals   [][]float32
	wrt    []bool
	build  func(in []*G.Node) (*G.Node, error)
	ref    func(in [][]float64) []float64
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func randVals(seed uint64, n int, scale float64) []float32 {
	rng := newRNG(seed)
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * scale)
	}
	return x
}

// run builds the case's graph with loss Σ r⊙out (r random, fixed), runs it once and returns
// the output and the gradients of the loss with respect to the wrt inputs.
func (oc opCase) run(t *testing.T, r []float32) (out []float32, grads [][]float32) {
	t.Helper()
	g := G.NewGraph()
	var in, wrt []*G.Node
	for i, s := range oc.shapes {
		v := tensor.New(tensor.WithShape(s...), tensor.WithBacking(append([]float32(nil), oc.vals[i]...)))
		nd := G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithName(fmt.Sprint("in", i)), G.WithValue(v))
		in = append(in, nd)
		if oc.wrt[i] {
			wrt = append(wrt, nd)
		}
	}
	y, err := oc.build(in)
	if err != nil {
		t.Fatal(err)
	}
	loss := y
	if !y.IsScalar() {
		rn := G.NewTensor(g, tensor.Float32, y.Dims(), G.WithShape(y.Shape()...), G.WithName("r"),
			G.WithValue(tensor.New(tensor.WithShape(y.Shape()...), tensor.WithBacking(r[:y.Shape().TotalSize()]))))
		prodN, err := G.HadamardProd(y, rn)
		if err != nil {
			t.Fatal(err)
		}
		if loss, err = G.Sum(prodN); err != nil {
			t.Fatal(err)
		}
	}
	gn, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if y.IsScalar() {
		out = []float32{y.Value().Data().(float32)}
	} else {
		out = append([]float32(nil), f32(y.Value())...)
	}
	for _, n := range gn {
		grads = append(grads, append([]float32(nil), f32(n.Value())...))
	}
	return out, grads
}

func (oc opCase) check(t *testing.T) {
	r := randVals(99, 1<<16, 1)
	out, grads := oc.run(t, r)
	in64 := make([][]float64, len(oc.vals))
	for i, v := range oc.vals {
		in64[i] = to64(v)
	}
	want := oc.ref(in64)
	if len(want) != len(out) {
		t.Fatalf("%s: %d outputs, reference has %d", oc.name, len(out), len(want))
	}
	for i := range want {
		// 1e-5·(1+|y|): float32 round-off of sums of ≤ 200 products of O(1) values
		// (≲ 200·2⁻²⁴ ≈ 1.2e-5 relative to Σ|terms|, which is a few times |y| here).
		if d := math.Abs(float64(out[i]) - want[i]); d > 1e-5*(1+math.Abs(want[i])) {
			t.Fatalf("%s: forward[%d] = %v, naive loop %v", oc.name, i, out[i], want[i])
		}
	}
	lossOf := func() float64 {
		y := oc.ref(in64)
		if len(y) == 1 && len(out) == 1 {
			return y[0]
		}
		var s float64
		for i, v := range y {
			s += float64(r[i]) * v
		}
		return s
	}
	// Central differences in float64 with step 1e-6: truncation error O(h²) ≈ 1e-12 and
	// cancellation ≈ 1e-16·|L|/h ≈ 1e-9, both far below the float32 gradients' own round-off;
	// the small step also makes crossing a ReLU kink or a max-pool tie unlikely.
	const h = 1e-6
	gi := 0
	for i := range in64 {
		if !oc.wrt[i] {
			continue
		}
		for j := range in64[i] {
			orig := in64[i][j]
			in64[i][j] = orig + h
			lp := lossOf()
			in64[i][j] = orig - h
			lm := lossOf()
			in64[i][j] = orig
			num := (lp - lm) / (2 * h)
			got := float64(grads[gi][j])
			// 1e-4·(1+|g|): float32 round-off in the op's gradient sums (as above, with up to
			// ~1000 terms in the weight gradients) plus the float32 forward values it uses.
			if d := math.Abs(got - num); d > 1e-4*(1+math.Abs(num)) {
				t.Fatalf("%s: d/d input%d[%d] = %v, central difference %v", oc.name, i, j, got, num)
			}
		}
		gi++
	}
}

func convCase(name string, n, c, h, w, o, k int, pool, needDX bool) opCase {
	xs, ws, bs := []int{n, c, h, w}, []int{o, c, k, k}, []int{1, o, 1, 1}
	return opCase{
		name:   name,
		shapes: [][]int{xs, ws, bs},
		vals:   [][]float32{randVals(1, prod(xs), 1), randVals(2, prod(ws), 0.5), randVals(3, o, 0.3)},
		wrt:    []bool{needDX, true, true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newConvOp(in[0].Shape(), o, k, pool, needDX), in[0], in[1], in[2])
		},
		ref: func(in [][]float64) []float64 { return convRef(in[0], in[1], in[2], n, c, h, w, o, k, pool) },
	}
}

func TestConvOp(t *testing.T) {
	for _, oc := range []opCase{
		convCase("conv5 pool", 3, 2, 8, 6, 4, 5, false, true),
		convCase("conv5+pool", 3, 2, 8, 6, 4, 5, true, true),
		convCase("conv3+pool odd size", 2, 3, 7, 5, 5, 3, true, true),
		convCase("conv5+pool no dX", 9, 1, 6, 6, 3, 5, true, false), // 9 samples: 8 reduce chunks
		convCase("conv1", 2, 3, 4, 4, 2, 1, false, true),
		// Unpooled with more than tapsMaxO outputs: matrix products; with one, taps on planes
		// (an image too small for the 4×16 tap blocks, and one larger than them).
		convCase("conv3 unpooled, 6 outputs", 2, 3, 6, 5, 6, 3, false, true),
		convCase("conv3 unpooled, 1 output", 3, 4, 3, 5, 1, 3, false, true),
		convCase("conv3 unpooled, 1 output, 9 samples no dX", 9, 2, 9, 18, 1, 3, false, false),
		convCase("conv3 unpooled, 3 outputs, 18 columns", 2, 3, 5, 18, 3, 3, false, true),
		// C a multiple of 16 with pooling: the sparse backward pass.
		convCase("conv5+pool sparse", 2, 16, 4, 6, 2, 5, true, true),
		convCase("conv3+pool sparse odd size no dX", 2, 16, 5, 7, 2, 3, true, false),
	} {
		t.Run(oc.name, oc.check)
	}
}

func TestDenseOp(t *testing.T) {
	for _, relu := range []bool{false, true} {
		const n, in, out = 5, 23, 7
		oc := opCase{
			name:   fmt.Sprint("dense relu=", relu),
			shapes: [][]int{{n, in}, {in, out}, {1, out}},
			vals:   [][]float32{randVals(4, n*in, 1), randVals(5, in*out, 0.3), randVals(6, out, 0.3)},
			wrt:    []bool{true, true, true},
			build: func(x []*G.Node) (*G.Node, error) {
				return G.ApplyOp(newDenseOp(n, in, out, relu, true), x[0], x[1], x[2])
			},
			ref: func(x [][]float64) []float64 { return denseRef(x[0], x[1], x[2], n, in, out, relu) },
		}
		t.Run(oc.name, oc.check)
	}
}

func TestMatMulOp(t *testing.T) {
	const m, k, n = 6, 6, 19
	oc := opCase{
		name:   "matmul",
		shapes: [][]int{{m, k}, {k, n}},
		vals:   [][]float32{randVals(7, m*k, 1), randVals(8, k*n, 1)},
		wrt:    []bool{true, true},
		build:  func(x []*G.Node) (*G.Node, error) { return matMul(x[0], x[1], false, false, true, true) },
		ref: func(x [][]float64) []float64 {
			return denseRef(x[0], x[1], make([]float64, n), m, k, n, false)
		},
	}
	oc.check(t)
}

func TestXentOp(t *testing.T) {
	const n, k = 4, 5
	oneHot := make([]float32, n*k)
	for i := range n {
		oneHot[i*k+(i*3)%k] = 1
	}
	soft := randVals(10, n*k, 1) // targets that are not distributions exercise Σ_c t ≠ 1
	big := randVals(11, n*k, 1)
	big[3] = 100 // would overflow exp in float32 without the per-row maximum
	for _, tc := range []struct {
		name    string
		z, targ []float32
	}{{"one-hot", randVals(9, n*k, 2), oneHot}, {"soft", randVals(9, n*k, 2), soft}, {"large logit", big, oneHot}} {
		oc := opCase{
			name:   tc.name,
			shapes: [][]int{{n, k}, {n, k}},
			vals:   [][]float32{tc.z, tc.targ},
			wrt:    []bool{true, false},
			build: func(x []*G.Node) (*G.Node, error) {
				return G.ApplyOp(xentOp{n: n, k: k}, x[0], x[1])
			},
			ref: func(x [][]float64) []float64 { return xentRef(x[0], x[1], n, k) },
		}
		t.Run(tc.name, oc.check)
	}
}

// TestConvOpMatchesGorgonia checks the fused op against the gorgonia graph it replaces, so
// weight layouts, padding and pooling conventions (and with them old checkpoints) are unchanged.
func TestConvOpMatchesGorgonia(t *testing.T) {
	const n, c, h, w, o, k = 2, 3, 9, 8, 4, 5
	x, wt, b := randVals(12, n*c*h*w, 1), randVals(13, o*c*k*k, 0.5), randVals(14, o, 0.3)
	g := G.NewGraph()
	mk := func(name string, v []float32, s ...int) *G.Node {
		return G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(s...), tensor.WithBacking(v))))
	}
	xn, wn, bn := mk("x", x, n, c, h, w), mk("w", wt, o, c, k, k), mk("b", b, 1, o, 1, 1)
	ours, err := G.ApplyOp(newConvOp(xn.Shape(), o, k, true, true), xn, wn, bn)
	if err != nil {
		t.Fatal(err)
	}
	y := G.Must(G.Conv2d(xn, wn, tensor.Shape{k, k}, []int{k / 2, k / 2}, []int{1, 1}, []int{1, 1}))
	y = G.Must(G.BroadcastAdd(y, bn, nil, []byte{0, 2, 3}))
	y = G.Must(G.Rectify(y))
	y = G.Must(G.MaxPool2D(y, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	vm := G.NewTapeMachine(g)
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	a, want := f32(ours.Value()), f32(y.Value())
	if !ours.Shape().Eq(y.Shape()) {
		t.Fatalf("shape %v, gorgonia %v", ours.Shape(), y.Shape())
	}
	for i := range want {
		// 1e-5: float32 sums of c·k² = 75 terms in a different order.
		if d := math.Abs(float64(a[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("y[%d] = %v, gorgonia %v", i, a[i], want[i])
		}
	}
}

// TestOpsIndependentOfCores checks that gradients are bit-identical with one and with
// several cores (the reduction over samples is cut into a fixed number of chunks).
func TestOpsIndependentOfCores(t *testing.T) {
	for _, oc := range []opCase{
		convCase("conv", 13, 2, 8, 8, 4, 5, true, true),
		convCase("conv sparse", 13, 16, 8, 8, 4, 5, true, true),
	} {
		t.Run(oc.name, func(t *testing.T) { coreIndependence(t, oc) })
	}
}

func coreIndependence(t *testing.T, oc opCase) {
	r := randVals(99, 1<<16, 1)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref [][]float32
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		out, grads := oc.run(t, r)
		got := append([][]float32{out}, grads...)
		if ref == nil {
			ref = got
			continue
		}
		for i := range ref {
			for j := range ref[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(ref[i][j]) {
					t.Fatalf("GOMAXPROCS %d: value %d[%d] = %v, with 1 core %v", procs, i, j, got[i][j], ref[i][j])
				}
			}
		}
	}
}
