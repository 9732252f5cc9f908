package models

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The batch-norm ops (ConvBN, the residual block, global average pooling) are checked like the
// other ops (ops_test.go): forward against naive float64 loops, every gradient of a training
// graph against central differences of those loops, and the reductions for independence from
// the core count. Inference with running statistics and with batch statistics is checked
// against the same loops, and the running-statistics update against PyTorch's rule.

// ---- naive float64 references ----

// convNoBiasRef is a k×k convolution with stride s and padding k/2, without bias.
func convNoBiasRef(x, w []float64, n, c, h, wd, o, k, s int) (a []float64, ho, wo int) {
	pad := k / 2
	ho, wo = (h+2*pad-k)/s+1, (wd+2*pad-k)/s+1
	a = make([]float64, n*o*ho*wo)
	for sm := range n {
		for oc := range o {
			for i := range ho {
				for j := range wo {
					var sum float64
					for ci := range c {
						for u := range k {
							for v := range k {
								ii, jj := s*i+u-pad, s*j+v-pad
								if ii >= 0 && ii < h && jj >= 0 && jj < wd {
									sum += w[((oc*c+ci)*k+u)*k+v] * x[((sm*c+ci)*h+ii)*wd+jj]
								}
							}
						}
					}
					a[((sm*o+oc)*ho+i)*wo+j] = sum
				}
			}
		}
	}
	return a, ho, wo
}

// batchStatsRef returns the mean and biased variance per channel of an (n,o,hw) tensor.
func batchStatsRef(a []float64, n, o, hw int) (mean, variance []float64) {
	mean, variance = make([]float64, o), make([]float64, o)
	m := float64(n * hw)
	for oc := range o {
		for s := range n {
			for _, v := range a[(s*o+oc)*hw : (s*o+oc+1)*hw] {
				mean[oc] += v / m
			}
		}
		for s := range n {
			for _, v := range a[(s*o+oc)*hw : (s*o+oc+1)*hw] {
				variance[oc] += (v - mean[oc]) * (v - mean[oc]) / m
			}
		}
	}
	return mean, variance
}

// normRef applies γ·(a−μ)/√(σ²+ε)+β per channel.
func normRef(a, gamma, beta, mean, variance []float64, n, o, hw int) []float64 {
	y := make([]float64, len(a))
	for s := range n {
		for oc := range o {
			inv := 1 / math.Sqrt(variance[oc]+bnEps)
			for p := range hw {
				at := (s*o+oc)*hw + p
				y[at] = gamma[oc]*(a[at]-mean[oc])*inv + beta[oc]
			}
		}
	}
	return y
}

func reluRef(y []float64) []float64 {
	for i, v := range y {
		y[i] = math.Max(v, 0)
	}
	return y
}

// convBNRef is a ConvBN layer in training mode (batch statistics), or with the given running
// statistics when mean is not nil.
func convBNRef(x, w, gamma, beta, mean, variance []float64, n, c, h, wd, o, k, s int, relu bool) []float64 {
	a, ho, wo := convNoBiasRef(x, w, n, c, h, wd, o, k, s)
	if mean == nil {
		mean, variance = batchStatsRef(a, n, o, ho*wo)
	}
	y := normRef(a, gamma, beta, mean, variance, n, o, ho*wo)
	if relu {
		reluRef(y)
	}
	return y
}

// shortcutRef is option A: x subsampled by s, at channels (o−c)/2 … of an (n,o,ho,wo) tensor.
func shortcutRef(x []float64, n, c, h, wd, s, o, ho, wo int) []float64 {
	y := make([]float64, n*o*ho*wo)
	off := (o - c) / 2
	for sm := range n {
		for ci := range c {
			for i := range ho {
				for j := range wo {
					y[((sm*o+ci+off)*ho+i)*wo+j] = x[((sm*c+ci)*h+s*i)*wd+s*j]
				}
			}
		}
	}
	return y
}

// resBlockRef is a residual block in training mode, or with running statistics st (mean₁,
// var₁, mean₂, var₂) when st is not nil.
func resBlockRef(in [][]float64, st [][]float64, n, c, h, wd, o, s int) []float64 {
	x, w1, g1, b1, w2, g2, b2 := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
	var m1, v1, m2, v2 []float64
	if st != nil {
		m1, v1, m2, v2 = st[0], st[1], st[2], st[3]
	}
	hh := convBNRef(x, w1, g1, b1, m1, v1, n, c, h, wd, o, 3, s, true)
	ho, wo := (h-1)/s+1, (wd-1)/s+1
	y := convBNRef(hh, w2, g2, b2, m2, v2, n, o, ho, wo, o, 3, 1, false)
	sc := shortcutRef(x, n, c, h, wd, s, o, ho, wo)
	for i := range y {
		y[i] += sc[i]
	}
	return reluRef(y)
}

func gapRef(x []float64, nc, hw int) []float64 {
	y := make([]float64, nc)
	for i := range y {
		for _, v := range x[i*hw : (i+1)*hw] {
			y[i] += v / float64(hw)
		}
	}
	return y
}

// ---- cases ----

// freshStats returns running statistics as a new layer has them: mean 0, variance 1.
func freshStats(o int) (mean, variance []float32) {
	variance = make([]float32, o)
	for i := range variance {
		variance[i] = 1
	}
	return make([]float32, o), variance
}

func convBNCase(name string, n, c, h, w, o, k, s int, needDX bool) opCase {
	xs, ws := []int{n, c, h, w}, []int{o, c, k, k}
	mean, variance := freshStats(o)
	return opCase{
		name:   name,
		shapes: [][]int{xs, ws, {o}, {o}},
		vals:   [][]float32{randVals(31, prod(xs), 1), randVals(32, prod(ws), 0.5), randVals(33, o, 1), randVals(34, o, 0.5)},
		wrt:    []bool{needDX, true, true, true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newConvBNOp(in[0].Shape(), o, k, s, true, bnTrain, needDX, mean, variance), in[0], in[1], in[2], in[3])
		},
		ref: func(in [][]float64) []float64 {
			return convBNRef(in[0], in[1], in[2], in[3], nil, nil, n, c, h, w, o, k, s, true)
		},
	}
}

func resBlockCase(name string, n, c, h, w, o, s int, needDX bool) opCase {
	xs, w1s, w2s := []int{n, c, h, w}, []int{o, c, 3, 3}, []int{o, o, 3, 3}
	var st [4][]float32
	st[0], st[1] = freshStats(o)
	st[2], st[3] = freshStats(o)
	return opCase{
		name:   name,
		shapes: [][]int{xs, w1s, {o}, {o}, w2s, {o}, {o}},
		vals: [][]float32{randVals(41, prod(xs), 1), randVals(42, prod(w1s), 0.4), randVals(43, o, 1), randVals(44, o, 0.5),
			randVals(45, prod(w2s), 0.4), randVals(46, o, 1), randVals(47, o, 0.5)},
		wrt: []bool{needDX, true, true, true, true, true, true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newResBlockOp(in[0].Shape(), o, 3, s, bnTrain, needDX, st), in...)
		},
		ref: func(in [][]float64) []float64 { return resBlockRef(in, nil, n, c, h, w, o, s) },
	}
}

func TestConvBNOp(t *testing.T) {
	for _, oc := range []opCase{
		convBNCase("conv3 stride 1", 3, 2, 6, 5, 4, 3, 1, true),
		convBNCase("conv3 stride 2 odd size", 3, 2, 7, 5, 4, 3, 2, true),
		convBNCase("conv3 stride 2 even size", 2, 3, 6, 8, 5, 3, 2, true),
		convBNCase("conv1 stride 1", 2, 3, 4, 4, 2, 1, 1, true),
		convBNCase("conv1 stride 2 (projection)", 2, 3, 5, 4, 6, 1, 2, true),
		convBNCase("conv5 stride 1", 2, 2, 6, 6, 3, 5, 1, true),
		convBNCase("conv3 no dX, 9 samples (8 reduce chunks)", 9, 1, 5, 5, 3, 3, 1, false),
		convBNCase("conv3 stride 2 no dX", 9, 1, 6, 5, 3, 3, 2, false),
	} {
		t.Run(oc.name, oc.check)
	}
}

func TestResBlockOp(t *testing.T) {
	for _, oc := range []opCase{
		resBlockCase("identity shortcut", 3, 4, 5, 6, 4, 1, true),
		resBlockCase("stride 2, channels doubled (option A)", 3, 2, 7, 6, 4, 2, true),
		resBlockCase("stride 2, channels doubled, even size", 2, 4, 6, 6, 8, 2, true),
		resBlockCase("identity no dX, 9 samples", 9, 2, 4, 4, 2, 1, false),
	} {
		t.Run(oc.name, oc.check)
	}
}

func TestGAPOp(t *testing.T) {
	const n, c, h, w = 3, 4, 5, 3
	oc := opCase{
		name:   "gap",
		shapes: [][]int{{n, c, h, w}},
		vals:   [][]float32{randVals(51, n*c*h*w, 1)},
		wrt:    []bool{true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(&gapOp{n: n, c: c, hw: h * w, needDX: true}, in[0])
		},
		ref: func(in [][]float64) []float64 { return gapRef(in[0], n*c, h*w) },
	}
	oc.check(t)
}

// forwardOnly runs an op of an inference graph on the case's inputs and compares its output
// with ref, within the forward tolerance of opCase.check.
func forwardOnly(t *testing.T, oc opCase, build func(in []*G.Node) (*G.Node, error), ref []float64) {
	t.Helper()
	g := G.NewGraph()
	var in []*G.Node
	for i, s := range oc.shapes {
		v := tensor.New(tensor.WithShape(s...), tensor.WithBacking(append([]float32(nil), oc.vals[i]...)))
		in = append(in, G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithName(fmt.Sprint("in", i)), G.WithValue(v)))
	}
	y, err := build(in)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := f32(y.Value())
	if len(out) != len(ref) {
		t.Fatalf("%d outputs, reference has %d", len(out), len(ref))
	}
	for i := range ref {
		// 1e-5·(1+|y|): as in opCase.check.
		if d := math.Abs(float64(out[i]) - ref[i]); d > 1e-5*(1+math.Abs(ref[i])) {
			t.Fatalf("%s: y[%d] = %v, naive loop %v", oc.name, i, out[i], ref[i])
		}
	}
}

// TestBNInference checks the inference modes: running statistics (set to arbitrary values)
// and each batch's own statistics, for a ConvBN layer and a downsampling residual block.
func TestBNInference(t *testing.T) {
	const n, c, h, w, o = 3, 2, 7, 6, 4
	statsOf := func(seed uint64) (mean, variance []float32) {
		mean, variance = randVals(seed, o, 1), randVals(seed+1, o, 1)
		for i, v := range variance {
			variance[i] = v*v + 0.1
		}
		return mean, variance
	}
	t.Run("convBN", func(t *testing.T) {
		oc := convBNCase("convBN", n, c, h, w, o, 3, 2, false)
		mean, variance := statsOf(61)
		in := make([][]float64, len(oc.vals))
		for i, v := range oc.vals {
			in[i] = to64(v)
		}
		for _, mode := range []bnMode{bnRunning, bnBatch} {
			var m, v []float64
			if mode == bnRunning {
				m, v = to64(mean), to64(variance)
			}
			ref := convBNRef(in[0], in[1], in[2], in[3], m, v, n, c, h, w, o, 3, 2, true)
			forwardOnly(t, oc, func(x []*G.Node) (*G.Node, error) {
				return G.ApplyOp(newConvBNOp(x[0].Shape(), o, 3, 2, true, mode, false, mean, variance), x...)
			}, ref)
		}
	})
	t.Run("residual block", func(t *testing.T) {
		oc := resBlockCase("block", n, c, h, w, o, 2, false)
		var st [4][]float32
		st[0], st[1] = statsOf(62)
		st[2], st[3] = statsOf(64)
		in := make([][]float64, len(oc.vals))
		for i, v := range oc.vals {
			in[i] = to64(v)
		}
		for _, mode := range []bnMode{bnRunning, bnBatch} {
			var st64 [][]float64
			if mode == bnRunning {
				st64 = [][]float64{to64(st[0]), to64(st[1]), to64(st[2]), to64(st[3])}
			}
			ref := resBlockRef(in, st64, n, c, h, w, o, 2)
			forwardOnly(t, oc, func(x []*G.Node) (*G.Node, error) {
				return G.ApplyOp(newResBlockOp(x[0].Shape(), o, 3, 2, mode, false, st), x...)
			}, ref)
		}
	})
}

// runningStats returns o running means and variances (positive) drawn from seed.
func runningStats(seed uint64, o int) (mean, variance []float32) {
	mean, variance = randVals(seed, o, 1), randVals(seed+1, o, 1)
	for i, v := range variance {
		variance[i] = v*v + 0.1
	}
	return mean, variance
}

// TestBNRunningInputGradient checks the input gradient of the batch-norm ops in inference mode
// with running statistics (what inversion by optimisation through a residual head runs)
// against central differences, and that nothing else is differentiated there.
func TestBNRunningInputGradient(t *testing.T) {
	for _, tc := range []struct {
		name          string
		n, c, h, w, o int
		k, s          int
	}{
		{"conv3 stride 1", 3, 2, 6, 5, 4, 3, 1},
		{"conv3 stride 2 odd size", 3, 2, 7, 5, 4, 3, 2},
		{"conv3 stride 2, 9 samples", 9, 1, 6, 6, 3, 3, 2},
	} {
		oc := convBNCase(tc.name, tc.n, tc.c, tc.h, tc.w, tc.o, tc.k, tc.s, true)
		mean, variance := runningStats(71, tc.o)
		oc.wrt = []bool{true, false, false, false}
		oc.build = func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newConvBNOp(in[0].Shape(), tc.o, tc.k, tc.s, true, bnRunning, true, mean, variance), in...)
		}
		oc.ref = func(in [][]float64) []float64 {
			return convBNRef(in[0], in[1], in[2], in[3], to64(mean), to64(variance), tc.n, tc.c, tc.h, tc.w, tc.o, tc.k, tc.s, true)
		}
		t.Run("convBN "+tc.name, oc.check)
	}
	for _, tc := range []struct {
		name          string
		n, c, h, w, o int
		s             int
	}{
		{"identity shortcut", 3, 4, 5, 6, 4, 1},
		{"stride 2, channels doubled (option A)", 3, 2, 7, 6, 4, 2},
		{"identity, 9 samples", 9, 2, 4, 4, 2, 1},
	} {
		oc := resBlockCase(tc.name, tc.n, tc.c, tc.h, tc.w, tc.o, tc.s, true)
		var st [4][]float32
		st[0], st[1] = runningStats(72, tc.o)
		st[2], st[3] = runningStats(74, tc.o)
		oc.wrt = []bool{true, false, false, false, false, false, false}
		oc.build = func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newResBlockOp(in[0].Shape(), tc.o, 3, tc.s, bnRunning, true, st), in...)
		}
		oc.ref = func(in [][]float64) []float64 {
			return resBlockRef(in, [][]float64{to64(st[0]), to64(st[1]), to64(st[2]), to64(st[3])}, tc.n, tc.c, tc.h, tc.w, tc.o, tc.s)
		}
		t.Run("residual block "+tc.name, oc.check)
	}
	mean, variance := runningStats(75, 2)
	for _, mode := range []bnMode{bnRunning, bnBatch} {
		op := newConvBNOp(tensor.Shape{2, 1, 4, 4}, 2, 3, 1, true, mode, mode == bnBatch, mean, variance)
		if _, err := op.SymDiff(nil, nil, nil); err == nil {
			t.Errorf("%v: differentiated; want an error (inference with batch statistics, or running statistics without the input gradient)", op)
		}
	}
}

// TestBNCommit checks the running-statistics update after a training pass against PyTorch's
// BatchNorm2d rule: r ← 0.9·r + 0.1·batch, with the unbiased batch variance.
func TestBNCommit(t *testing.T) {
	const n, c, h, w, o, k = 3, 2, 5, 4, 3, 3
	oc := convBNCase("commit", n, c, h, w, o, k, 1, false)
	mean, variance := randVals(71, o, 1), randVals(72, o, 1)
	for i, v := range variance {
		variance[i] = v * v
	}
	m0, v0 := to64(mean), to64(variance)
	op := newConvBNOp(tensor.Shape{n, c, h, w}, o, k, 1, true, bnTrain, false, mean, variance)
	forwardOnly(t, oc, func(x []*G.Node) (*G.Node, error) { return G.ApplyOp(op, x...) },
		convBNRef(to64(oc.vals[0]), to64(oc.vals[1]), to64(oc.vals[2]), to64(oc.vals[3]), nil, nil, n, c, h, w, o, k, 1, true))
	op.u.commit()
	a, ho, wo := convNoBiasRef(to64(oc.vals[0]), to64(oc.vals[1]), n, c, h, w, o, k, 1)
	bm, bv := batchStatsRef(a, n, o, ho*wo)
	m := float64(n * ho * wo)
	for i := range o {
		wantM := 0.9*m0[i] + 0.1*bm[i]
		wantV := 0.9*v0[i] + 0.1*bv[i]*m/(m-1)
		// 1e-6 relative: float32 storage of the estimates (2⁻²⁴ ≈ 6e-8) and the float64
		// one-pass variance of float32 convolution outputs.
		if math.Abs(float64(mean[i])-wantM) > 1e-6*(1+math.Abs(wantM)) || math.Abs(float64(variance[i])-wantV) > 1e-6*(1+wantV) {
			t.Fatalf("channel %d: running mean, var %v %v, want %v %v", i, mean[i], variance[i], wantM, wantV)
		}
	}
}

// TestBNOpsIndependentOfCores checks that outputs and gradients are bit-identical with one and
// with several cores.
func TestBNOpsIndependentOfCores(t *testing.T) {
	for _, oc := range []opCase{
		convBNCase("convBN stride 2", 13, 3, 8, 8, 4, 3, 2, true),
		resBlockCase("residual block", 13, 4, 6, 6, 4, 1, true),
		resBlockCase("residual block stride 2", 13, 2, 6, 6, 4, 2, true),
	} {
		t.Run(oc.name, func(t *testing.T) { coreIndependence(t, oc) })
	}
}
