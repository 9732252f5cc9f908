package models

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/datamix/harness/defence"
)

// addScaledRef is y = x + s·σ(x)·e row by row in float64 (σ the population standard
// deviation of the row).
func addScaledRef(x, e []float64, d int, s float64) []float64 {
	y := make([]float64, len(x))
	for lo := 0; lo < len(x); lo += d {
		var m, ss float64
		for _, v := range x[lo : lo+d] {
			m += v
		}
		m /= float64(d)
		for _, v := range x[lo : lo+d] {
			ss += (v - m) * (v - m)
		}
		std := math.Sqrt(ss / float64(d))
		for j := lo; j < lo+d; j++ {
			y[j] = x[j] + s*std*e[j]
		}
	}
	return y
}

// distances64 is the matrix of Euclidean distances of the rows of x (float64 throughout, so
// that central differences see every perturbation).
func distances64(x []float64, d int) []float64 {
	n := len(x) / d
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			var s float64
			for t := range d {
				v := x[i*d+t] - x[j*d+t]
				s += v * v
			}
			out[i*n+j] = math.Sqrt(s)
		}
	}
	return out
}

// TestEdgeOps checks the defences' training ops: forward against float64 loops, gradients
// against central differences (masking and noise, whose gradient includes ∂σ(x)/∂x; the
// draws are data), and the NoPeek penalty w·dCor(X, H) with its gradient with respect to H.
func TestEdgeOps(t *testing.T) {
	const n, d = 5, 23
	x, e := randVals(21, n*d, 1), randVals(22, n*d, 1)
	mask := make([]float32, n*d)
	for i := range mask {
		if i%3 != 0 {
			mask[i] = 1.5 // kept values of a mask of rate 1/3
		}
	}
	noise := defence.Form{Op: defence.OpAddScaled, Scale: 0.7}
	edge := func(f defence.Form) func(in []*G.Node) (*G.Node, error) {
		return func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(&edgeOp{form: f, n: n, d: d, needDX: true}, in...)
		}
	}
	const dx, dh, w = 7, 4, 0.3
	hx, hh := randVals(23, 6*dx, 1), randVals(24, 6*dh, 1)
	for _, oc := range []opCase{
		{
			name:   "noise",
			shapes: [][]int{{n, d}, {n, d}}, vals: [][]float32{x, e}, wrt: []bool{true, false},
			build: edge(noise),
			ref:   func(in [][]float64) []float64 { return addScaledRef(in[0], in[1], d, 0.7) },
		},
		{
			name:   "mask",
			shapes: [][]int{{n, d}, {n, d}}, vals: [][]float32{x, mask}, wrt: []bool{true, false},
			build: edge(defence.Form{Op: defence.OpMultiply}),
			ref: func(in [][]float64) []float64 {
				y := make([]float64, len(in[0]))
				for i := range y {
					y[i] = in[0][i] * in[1][i]
				}
				return y
			},
		},
		{
			name:   "nopeek",
			shapes: [][]int{{6, dx}, {6, dh}}, vals: [][]float32{hx, hh}, wrt: []bool{false, true},
			build: func(in []*G.Node) (*G.Node, error) { return G.ApplyOp(newDCorOp(6, dx, dh, w), in...) },
			ref: func(in [][]float64) []float64 {
				return []float64{w * defence.DCorDist(distances64(in[0], dx), distances64(in[1], dh), 6, nil)}
			},
		},
	} {
		t.Run(oc.name, oc.check)
	}
}

// TestQuantiseOp: the op's forward pass is defence.Quantise and its gradient passes the
// incoming gradient straight through (by design: rounding's own derivative is 0 almost
// everywhere, which would stop training; Bengio et al. 2013).
func TestQuantiseOp(t *testing.T) {
	const n, d = 4, 37
	x := randVals(25, n*d, 2)
	oc := opCase{
		name: "quantise", shapes: [][]int{{n, d}}, vals: [][]float32{x}, wrt: []bool{true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(&edgeOp{form: defence.Form{Op: defence.OpQuantise, Bits: 3}, n: n, d: d, needDX: true}, in...)
		},
	}
	r := randVals(99, 1<<16, 1)
	out, grads := oc.run(t, r)
	want := make([]float32, len(x))
	defence.Quantise(want, x, d, 3)
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("forward[%d] = %v, defence.Quantise %v", i, out[i], want[i])
		}
		if grads[0][i] != r[i] {
			t.Fatalf("gradient[%d] = %v, want the incoming %v (straight through)", i, grads[0][i], r[i])
		}
	}
}

// TestDefendedGraphMatchesEdgeCloud: with the same draws, the training graph computes the same
// logits as inference does — head, the before-mix defences with package defence's kernels,
// mixing in float64, the after-mix defences, body, de-mixing, tail — at split 0 and 1, and a
// NoPeek trainer reports dCor(X, head(X)) as package defence computes it.
func TestDefendedGraphMatchesEdgeCloud(t *testing.T) {
	const batch = 8
	rng := newRNG(17)
	defs := []defence.Defence{
		defence.Mask{Rate: 0.25, At: defence.BeforeMix},
		defence.Noise{Dist: defence.Offset, Scale: 0.5, At: defence.BeforeMix},
		defence.Noise{Dist: defence.Gaussian, Scale: 0.3, At: defence.AfterMix},
		defence.Quantiser{Bits: 8},
	}
	for split := 0; split <= 1; split++ {
		n := mustNet(t, "mnist-cnn", split, 3)
		x, y := randomBatch(rng, n, batch)
		mix, demix, blocks := blockDiag2(rng, batch)
		use := defs
		if split > 0 {
			use = append([]defence.Defence{defence.NoPeek{Weight: 0.5}}, defs...)
		}
		tr, err := NewTrainer(n, batch, true, 0, use...) // lr 0: weights unchanged
		if err != nil {
			t.Fatal(err)
		}
		up, down := n.UploadDim(), n.DownloadDim()
		var draws [][]float32
		for _, d := range use {
			if d.Form().Random() {
				e := make([]float32, batch*up)
				d.Draw(e, rng)
				draws = append(draws, e)
			}
		}
		if _, _, err := tr.Step(x, y, mix, demix, draws...); err != nil {
			t.Fatal(err)
		}
		got := append([]float32(nil), tr.logits.Value().Data().([]float32)...)

		f, err := NewInferer(n, batch)
		if err != nil {
			t.Fatal(err)
		}
		h := make([]float32, batch*up)
		if err := f.Head(h, x); err != nil {
			t.Fatal(err)
		}
		if split > 0 {
			want := defence.DCor(x, n.InputDim(), h, up)
			// 1e-4: the op's distances come from float32 Gram matrices.
			if p := tr.Penalty(); math.Abs(p-want) > 1e-4 {
				t.Errorf("split %d: penalty dCor %v, defence.DCor %v", split, p, want)
			}
		}
		defence.Multiply(h, h, draws[0])
		defence.AddScaled(h, h, draws[1], up, 0.5)
		m := make([]float32, len(h))
		for g, c := range blocks {
			for j := 0; j < up; j++ {
				a, b := float64(h[(2*g)*up+j]), float64(h[(2*g+1)*up+j])
				m[(2*g)*up+j] = float32(c[0]*a + c[1]*b)
				m[(2*g+1)*up+j] = float32(c[2]*a + c[3]*b)
			}
		}
		defence.AddScaled(m, m, draws[2], up, 0.3)
		defence.Quantise(m, m, up, 8)
		zt := make([]float32, batch*down)
		if err := f.Body(zt, m); err != nil {
			t.Fatal(err)
		}
		z := make([]float32, len(zt))
		for g, c := range blocks {
			det := c[0]*c[3] - c[1]*c[2]
			for j := 0; j < down; j++ {
				a, b := float64(zt[(2*g)*down+j]), float64(zt[(2*g+1)*down+j])
				z[(2*g)*down+j] = float32((c[3]*a - c[1]*b) / det)
				z[(2*g+1)*down+j] = float32((-c[2]*a + c[0]*b) / det)
			}
		}
		want := make([]float32, batch*n.Classes)
		if err := f.Tail(want, z); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			// 1e-3 relative, as in TestMixedGraphMatchesEdgeCloud (float32 mixing in the
			// graph); an upload value rounded to a neighbouring 8-bit level would move a
			// logit by far less than that.
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-3*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("split %d: logit %d: graph %v, edge/cloud %v", split, i, got[i], want[i])
			}
		}
	}
}

// TestNoPeekLowersDCor: training on one fixed batch with a heavy NoPeek weight drives
// dCor(X, H) down where training without it leaves it alone. dCor of a one-layer conv head is
// close to 1 (the layer is nearly an isometry) and flat there, so it takes a large weight and
// many steps to move: measured 0.9988 → 0.9860 in 100 steps at weight 100, 0.9988 throughout
// at weight 1e-12 (which measures the penalty without feeling it).
func TestNoPeekLowersDCor(t *testing.T) {
	const batch = 16
	final := map[float64]float64{}
	for _, w := range []float64{1e-12, 100} {
		n := mustNet(t, "mnist-cnn", 1, 5)
		tr, err := NewTrainer(n, batch, false, 1e-2, defence.NoPeek{Weight: w})
		if err != nil {
			t.Fatal(err)
		}
		x, y := randomBatch(newRNG(11), n, batch)
		for range 100 {
			if _, _, err := tr.Step(x, y, nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		final[w] = tr.Penalty()
	}
	if !(final[100] < final[1e-12]-0.005) {
		t.Errorf("dCor after 100 steps: %.4f with NoPeek weight 100, %.4f without; want lower by > 0.005", final[100], final[1e-12])
	}
}

// mmdRef is w·MMD² of the rows of a (n×d) and b (m×d) under the Gaussian kernels of squared
// bandwidths sigma2, by the definition's three double sums.
func mmdRef(a, b []float64, n, m, d int, sigma2 []float64, w float64) float64 {
	k := func(x, y []float64) float64 {
		var q float64
		for i := range x {
			q += (x[i] - y[i]) * (x[i] - y[i])
		}
		var s float64
		for _, s2 := range sigma2 {
			s += math.Exp(-q / s2)
		}
		return s
	}
	sum := func(x []float64, p int, y []float64, q int) float64 {
		var s float64
		for i := range p {
			for j := range q {
				s += k(x[i*d:(i+1)*d], y[j*d:(j+1)*d])
			}
		}
		return s
	}
	fn, fm := float64(n), float64(m)
	return w * (sum(a, n, a, n)/(fn*fn) + sum(b, m, b, m)/(fm*fm) - 2*sum(a, n, b, m)/(fn*fm))
}

// TestMMDOp checks the multi-kernel MMD penalty (FORA's feature alignment) against its
// definition and its gradient with respect to the substitute's batch against central
// differences; the uploads' batch is data.
func TestMMDOp(t *testing.T) {
	const n, m, d, w = 5, 7, 6, 0.8
	sigma2 := []float64{2, 8, 32} // around the inputs' mean squared distance, 2·d·(0.8² + 0.8²) ≈ 15
	a, b := randVals(31, n*d, 0.8), randVals(32, m*d, 0.8)
	for i := range a {
		a[i] += 0.3 // the two batches differ in their means: MMD² > 0
	}
	oc := opCase{
		name:   "mmd",
		shapes: [][]int{{n, d}, {m, d}}, vals: [][]float32{a, b}, wrt: []bool{true, false},
		build: func(in []*G.Node) (*G.Node, error) { return G.ApplyOp(newMMDOp(n, m, d, sigma2, w), in...) },
		ref: func(in [][]float64) []float64 {
			return []float64{mmdRef(in[0], in[1], n, m, d, sigma2, w)}
		},
	}
	oc.check(t)
	if v := mmdRef(to64(a), to64(a), n, n, d, sigma2, 1); math.Abs(v) > 1e-12 {
		t.Errorf("MMD² of a batch with itself %g, want 0", v)
	}
}
