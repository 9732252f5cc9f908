package algo

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// ICAAlgorithm selects how FastICA estimates its components.
type ICAAlgorithm int

const (
	// ICAParallel estimates all components at once with symmetric decorrelation
	// (Hyvärinen, IEEE TNN 10(3), 1999, eq. 26; scikit-learn's algorithm="parallel").
	ICAParallel ICAAlgorithm = iota
	// ICADeflation estimates them one at a time with Gram–Schmidt decorrelation
	// (Hyvärinen 1999, §IV-A; scikit-learn's algorithm="deflation").
	ICADeflation
)

// ICAOptions are FastICA's settings; the zero value is scikit-learn's FastICA defaults
// (algorithm="parallel", fun="logcosh" with alpha 1, max_iter=200, tol=1e-4).
type ICAOptions struct {
	Algorithm ICAAlgorithm
	// MaxIter bounds the fixed-point iterations (per component for deflation); 0 means 200.
	MaxIter int
	// Tol stops the iteration when every unmixing vector moves by less than it
	// (max |1 − |⟨w_new, w_old⟩||); 0 means 1e-4.
	Tol float64
}

// ICA is the result of FastICA on one group of k mixed signals.
type ICA struct {
	// Unmixing is the k×k matrix that maps the centred mixtures to the sources (whitening
	// included): S = Unmixing·(X − Mean). Applied to the uncentred mixtures it maps
	// M = C·H to P·D·H for a permutation P and a diagonal scaling D when separation succeeds.
	Unmixing *mat.Dense
	// Mean holds the mean of each mixture (row of X).
	Mean []float64
	// Iter is the number of iterations run (the most of any component for deflation) and
	// Converged whether the tolerance was reached within MaxIter.
	Iter      int
	Converged bool
}

// ErrRankDeficient reports mixtures that span fewer than k dimensions, which no separation
// can undo (two identical uploads, say).
var ErrRankDeficient = errors.New("algo: ica: mixtures are linearly dependent")

// FastICA separates the k rows of x (k × d, row-major: k mixtures of d samples each, e.g. the k
// uploads of one group, pixels as samples) into k statistically independent sources, with the
// FastICA fixed-point algorithm of Hyvärinen (1999) and the logcosh contrast G(u) = log cosh u
// (g = tanh), as scikit-learn's FastICA does: centre each mixture, whiten with the
// eigen-decomposition of the k×k covariance (K = Λ^{−1/2}Eᵀ, so the whitened rows have unit
// variance), start from a standard normal k×k matrix drawn from rng, and iterate.
// It returns ErrRankDeficient when the covariance has an eigenvalue below 1e-12 of the largest.
func FastICA(x []float64, k, d int, rng *rand.Rand, opt ICAOptions) (*ICA, error) {
	if k < 1 || d < 2 || len(x) != k*d {
		panic(fmt.Sprintf("algo: FastICA of %d values as %d mixtures of %d samples", len(x), k, d))
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 200
	}
	if opt.Tol == 0 {
		opt.Tol = 1e-4
	}
	mean, kw, z, err := whiten(x, k, d)
	if err != nil {
		return nil, err
	}
	w0 := mat.NewDense(k, k, nil)
	for i := range k {
		for j := range k {
			w0.Set(i, j, rng.NormFloat64())
		}
	}
	var w *mat.Dense
	var iter int
	var conv bool
	switch opt.Algorithm {
	case ICAParallel:
		w, iter, conv, err = icaParallel(z, k, d, w0, opt)
	case ICADeflation:
		w, iter, conv, err = icaDeflation(z, k, d, w0, opt)
	default:
		panic(fmt.Sprintf("algo: unknown ICA algorithm %d", opt.Algorithm))
	}
	if err != nil {
		return nil, err
	}
	var u mat.Dense
	u.Mul(w, kw)
	return &ICA{Unmixing: &u, Mean: mean, Iter: iter, Converged: conv}, nil
}

// whiten centres each mixture (row of x, k × d) and whitens the centred rows with the
// eigen-decomposition of their k×k covariance, K = Λ^{−1/2}Eᵀ, so that the whitened rows have
// unit variance and are uncorrelated. It returns the means, K and the whitened data z = K·Xc
// (k × d), and ErrRankDeficient when an eigenvalue is below 1e-12 of the largest.
func whiten(x []float64, k, d int) (mean []float64, kw *mat.Dense, z []float64, err error) {
	mean = make([]float64, k)
	xc := make([]float64, k*d)
	for i := range k {
		row := x[i*d : (i+1)*d]
		var s float64
		for _, v := range row {
			s += v
		}
		mean[i] = s / float64(d)
		for j, v := range row {
			xc[i*d+j] = v - mean[i]
		}
	}
	cov := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			var s float64
			ri, rj := xc[i*d:(i+1)*d], xc[j*d:(j+1)*d]
			for t := range ri {
				s += ri[t] * rj[t]
			}
			cov.SetSym(i, j, s/float64(d))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, nil, nil, errors.New("algo: ica: eigen-decomposition of the covariance failed")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	top := vals[len(vals)-1]
	if !(top > 0) || vals[0] <= 1e-12*top {
		return nil, nil, nil, ErrRankDeficient
	}
	kw = mat.NewDense(k, k, nil) // K = Λ^{-1/2} Eᵀ
	for i := range k {
		s := 1 / math.Sqrt(vals[i])
		for j := range k {
			kw.Set(i, j, s*vecs.At(j, i))
		}
	}
	z = make([]float64, k*d)
	mulSmall(z, kw.RawMatrix().Data, xc, k, d)
	return mean, kw, z, nil
}

// mulSmall computes dst (k × d) = a (k × k) · src (k × d), all row-major.
func mulSmall(dst, a, src []float64, k, d int) {
	clear(dst)
	for i := range k {
		out := dst[i*d : (i+1)*d]
		for l := range k {
			c := a[i*k+l]
			if c == 0 {
				continue
			}
			in := src[l*d : (l+1)*d]
			for j, v := range in {
				out[j] += c * v
			}
		}
	}
}

// symDecorrelate replaces w by (W·Wᵀ)^{−1/2}·W, the orthogonal matrix nearest to W.
func symDecorrelate(w *mat.Dense) error {
	k, _ := w.Dims()
	var wwt mat.SymDense
	wwt.SymOuterK(1, w)
	var eig mat.EigenSym
	if !eig.Factorize(&wwt, true) {
		return errors.New("algo: ica: symmetric decorrelation failed")
	}
	vals := eig.Values(nil)
	var u mat.Dense
	eig.VectorsTo(&u)
	inv := mat.NewDense(k, k, nil)
	for i := range k {
		for j := range k {
			var s float64
			for l := range k {
				if !(vals[l] > 0) {
					return errors.New("algo: ica: unmixing matrix became singular")
				}
				s += u.At(i, l) * u.At(j, l) / math.Sqrt(vals[l])
			}
			inv.Set(i, j, s)
		}
	}
	w.Mul(inv, mat.DenseCopyOf(w))
	return nil
}

// tanhAndDeriv sets g[j] = tanh(y[j]) and returns the mean of 1 − tanh² over y: the logcosh
// contrast's g and the mean of g'.
func tanhAndDeriv(g, y []float64) float64 {
	var s float64
	for j, v := range y {
		t := math.Tanh(v)
		g[j] = t
		s += t * t
	}
	return 1 - s/float64(len(y))
}

// icaParallel is scikit-learn's _ica_par: W ← sym_decorrelation(E{g(Wz)zᵀ} − E{g'(Wz)}W).
func icaParallel(z []float64, k, d int, w *mat.Dense, opt ICAOptions) (*mat.Dense, int, bool, error) {
	if err := symDecorrelate(w); err != nil {
		return nil, 0, false, err
	}
	y := make([]float64, k*d)
	g := make([]float64, k*d)
	gp := make([]float64, k)
	w1 := mat.NewDense(k, k, nil)
	for it := 1; it <= opt.MaxIter; it++ {
		mulSmall(y, w.RawMatrix().Data, z, k, d)
		for i := range k {
			gp[i] = tanhAndDeriv(g[i*d:(i+1)*d], y[i*d:(i+1)*d])
		}
		for i := range k {
			gi := g[i*d : (i+1)*d]
			for l := range k {
				zl := z[l*d : (l+1)*d]
				var s float64
				for j, v := range gi {
					s += v * zl[j]
				}
				w1.Set(i, l, s/float64(d)-gp[i]*w.At(i, l))
			}
		}
		if err := symDecorrelate(w1); err != nil {
			return nil, it, false, err
		}
		var lim float64
		for i := range k {
			var s float64
			for l := range k {
				s += w1.At(i, l) * w.At(i, l)
			}
			lim = max(lim, math.Abs(math.Abs(s)-1))
		}
		w.Copy(w1)
		if lim < opt.Tol {
			return w, it, true, nil
		}
	}
	return w, opt.MaxIter, false, nil
}

// icaDeflation is scikit-learn's _ica_def: one unit at a time, w ← E{z g(wᵀz)} − E{g'(wᵀz)}w,
// Gram–Schmidt against the units already found, normalised.
func icaDeflation(z []float64, k, d int, w0 *mat.Dense, opt ICAOptions) (*mat.Dense, int, bool, error) {
	w := mat.NewDense(k, k, nil)
	y := make([]float64, d)
	g := make([]float64, d)
	wi, w1 := make([]float64, k), make([]float64, k)
	most, allConv := 0, true
	found := make([][]float64, 0, k) // the rows of w estimated so far
	decorrelate := func(v []float64) { scaleTo1(v, project(v, found)) }
	for j := range k {
		copy(wi, w0.RawRowView(j))
		decorrelate(wi)
		conv := false
		it := 0
		for it < opt.MaxIter {
			it++
			clear(y)
			for l := range k {
				c := wi[l]
				for t, v := range z[l*d : (l+1)*d] {
					y[t] += c * v
				}
			}
			gp := tanhAndDeriv(g, y)
			for l := range k {
				var s float64
				for t, v := range z[l*d : (l+1)*d] {
					s += v * g[t]
				}
				w1[l] = s/float64(d) - gp*wi[l]
			}
			decorrelate(w1)
			var dot float64
			for l := range k {
				dot += w1[l] * wi[l]
			}
			copy(wi, w1)
			if math.Abs(math.Abs(dot)-1) < opt.Tol {
				conv = true
				break
			}
		}
		if math.IsNaN(wi[0]) {
			return nil, it, false, errors.New("algo: ica: deflation diverged")
		}
		w.SetRow(j, wi)
		found = append(found, w.RawRowView(j))
		most = max(most, it)
		allConv = allConv && conv
	}
	return w, most, allConv, nil
}

// Sources applies u (k×k) to the uncentred mixtures x (k × d): the recovered sources, each a
// scaled copy of one original source when separation succeeds.
func Sources(u *mat.Dense, x []float64, k, d int) []float64 {
	out := make([]float64, k*d)
	mulSmall(out, mat.DenseCopyOf(u).RawMatrix().Data, x, k, d)
	return out
}
