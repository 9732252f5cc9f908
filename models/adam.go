package models

import "math"

// Adam hyper-parameters: gorgonia's AdamSolver defaults, which are Kingma & Ba's (ICLR 2015,
// Algorithm 1).
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// adam is the Adam optimiser in float32. It performs exactly the float32 operations of
// gorgonia's AdamSolver, in the same order, so the two agree bit for bit (TestAdamMatchesGorgonia),
// but it updates in place without gorgonia's per-step tensor clones and runs on all cores
// (elementwise, so the result does not depend on the core count).
type adam struct {
	lr   float64
	iter int
	m, v [][]float32 // first and second moment estimates per weight tensor
}

// adamChunk is the number of values one goroutine updates at a time.
const adamChunk = 16384

// step applies one update to the weights ws given their gradients gs (same lengths).
func (a *adam) step(ws, gs [][]float32) {
	if a.m == nil {
		for _, w := range ws {
			a.m = append(a.m, make([]float32, len(w)))
			a.v = append(a.v, make([]float32, len(w)))
		}
	}
	a.iter++
	// gorgonia: correction = 1 − β^t in float64, then 1/correction in float32.
	corr1 := float32(1) / float32(1-math.Pow(adamBeta1, float64(a.iter)))
	corr2 := float32(1) / float32(1-math.Pow(adamBeta2, float64(a.iter)))
	b1, b2 := float32(adamBeta1), float32(adamBeta2)
	omb1, omb2 := float32(1)-float32(adamBeta1), float32(1)-float32(adamBeta2)
	eps, negEta := float32(adamEps), -float32(a.lr)

	type span struct{ t, lo, hi int }
	var spans []span
	for t, w := range ws {
		for lo := 0; lo < len(w); lo += adamChunk {
			spans = append(spans, span{t, lo, min(lo+adamChunk, len(w))})
		}
	}
	parallel(len(spans), func(_, i int) {
		s := spans[i]
		w, g := ws[s.t][s.lo:s.hi], gs[s.t][s.lo:s.hi]
		m, v := a.m[s.t][s.lo:s.hi], a.v[s.t][s.lo:s.hi]
		for j := range w {
			// Explicit float32 conversions round every product, as gorgonia's separate tensor
			// operations do, and keep the compiler from fusing multiply-adds.
			gj := g[j]
			t1 := float32(gj * omb1)
			g2 := float32(float32(gj*gj) * omb2)
			mj := t1 + float32(m[j]*b1)
			vj := g2 + float32(v[j]*b2)
			m[j], v[j] = mj, vj
			mHat := float32(mj * corr1)
			vHat := float32(math.Sqrt(float64(float32(vj*corr2)))) + eps
			w[j] += float32(mHat*negEta) / vHat
		}
	})
}
