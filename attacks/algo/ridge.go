package algo

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// ridgeAlphas are the regularisation strengths tried, relative to the mean eigenvalue of the
// centred Gram matrix (trace/rank): a decade grid wide enough for exact maps (k = 1, split 0,
// where the smallest wins) and for heavily mixed uploads (where the largest may).
var ridgeAlphas = []float64{1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1}

// ridgeSketch is the number of random output combinations the strength is chosen on when a
// fit has many outputs (see FitRidge).
const ridgeSketch = 32

// ridgeHoldout is the fraction of the training rows held out to choose the strength.
const ridgeHoldout = 0.2

// Ridge is a linear map with intercept, y ≈ (x − XMean)·W + YMean, fitted by ridge regression.
// The attacks use it as their learner: a linear decoder from uploads to images, and a
// one-vs-rest least-squares classifier (Rifkin and Klautau, JMLR 5, 2004) for attributes and
// outputs. It needs no gradient descent and no gorgonia, and is exact at split 0, k = 1, where
// the best decoder is the identity.
type Ridge struct {
	XMean, YMean []float64
	W            *mat.Dense // d × o
	// Alpha is the chosen strength relative to the mean eigenvalue of the Gram matrix.
	Alpha float64
}

// FitRidge fits a Ridge from the rows of x (n × d) to the rows of y (n × o). It holds out a
// random fifth of the rows (drawn from rng), picks the strength on the grid ridgeAlphas that
// minimises loss(pred, truth) on them, and refits on all rows. It solves in the primal
// (d×d system) when d ≤ n and in the dual (n×n kernel system, W = Xᵀα) otherwise, so the cost
// is about n·d·min(n,d) multiply-adds either way. loss nil means the mean squared error.
func FitRidge(x, y *mat.Dense, rng *rand.Rand, loss func(pred, truth *mat.Dense) float64) (*Ridge, error) {
	n, d := x.Dims()
	if ny, _ := y.Dims(); n != ny {
		panic(fmt.Sprintf("algo: FitRidge with %d inputs and %d targets", n, ny))
	}
	if n < 5 {
		return nil, fmt.Errorf("algo: ridge: %d training rows, need at least 5", n)
	}
	mse := loss == nil
	if mse {
		loss = mseLoss
	}
	xc, xm := center(x)
	yc, ym := center(y)
	perm := rng.Perm(n)
	nv := max(1, int(ridgeHoldout*float64(n)))
	val, tr := perm[:nv], perm[nv:]
	// Choosing the strength needs a solve per strength, costing n² (dual) or d² (primal) per
	// output: with many outputs (an image decoder's 784 pixels) and the default squared loss,
	// choose on ridgeSketch random Gaussian combinations of the outputs instead. The squared
	// error of a Gaussian sketch is an unbiased estimate of the full one (E‖RᵀE‖² = s‖E‖²), and
	// the final fit still uses every output.
	ysel := yc
	if _, o := y.Dims(); mse && o > 2*ridgeSketch {
		ysel = sketch(yc, rng)
	}
	yt, yv := rows(ysel, tr), rows(ysel, val)
	var sv ridgeSolver
	if d <= n {
		sv = primalSolver(xc, yc, yt, tr, val)
	} else {
		sv = dualSolver(xc, yc, yt, tr, val)
	}
	if !(sv.scale > 0) {
		sv.scale = 1
	}
	best, bestLoss := 0.0, math.Inf(1)
	for _, a := range ridgeAlphas {
		p, err := sv.heldOut(a * sv.scale)
		if err != nil {
			continue
		}
		if l := loss(p, yv); l < bestLoss {
			best, bestLoss = a, l
		}
	}
	if math.IsInf(bestLoss, 1) {
		return nil, errors.New("algo: ridge: no regularisation strength gave a solvable system")
	}
	w, err := sv.all(best * sv.scale)
	if err != nil {
		return nil, err
	}
	return &Ridge{XMean: xm, YMean: ym, W: w, Alpha: best}, nil
}

// sketch returns yc (n × o) times an o × ridgeSketch matrix of standard normal values drawn
// from rng, row by row.
func sketch(yc *mat.Dense, rng *rand.Rand) *mat.Dense {
	_, o := yc.Dims()
	r := mat.NewDense(o, ridgeSketch, nil)
	for i := range o {
		for j := range ridgeSketch {
			r.Set(i, j, rng.NormFloat64())
		}
	}
	var p mat.Dense
	p.Mul(yc, r)
	return &p
}

// ridgeSolver solves one ridge system at a given absolute strength λ, in the primal or the
// dual form.
type ridgeSolver struct {
	// heldOut fits on the training rows and predicts the held-out rows (of the targets the
	// strength is chosen on); all fits W on every row and every output.
	heldOut, all func(lambda float64) (*mat.Dense, error)
	// scale is the mean eigenvalue of the Gram matrix: ridgeAlphas are relative to it.
	scale float64
}

// primalSolver solves the d×d system (XᵀX + λI)·W = XᵀY, for d ≤ n. xc and yc are the centred
// inputs and targets, yt the training rows of the targets the strength is chosen on, and tr and
// val the training and held-out rows.
func primalSolver(xc, yc, yt *mat.Dense, tr, val []int) ridgeSolver {
	_, d := xc.Dims()
	xt, xv := rows(xc, tr), rows(xc, val)
	gt, gall := gram(xt.T()), gram(xc.T())
	var bt mat.Dense
	bt.Mul(xt.T(), yt)
	return ridgeSolver{
		scale: trace(gall) / float64(d),
		heldOut: func(l float64) (*mat.Dense, error) {
			w, err := cholSolve(gt, l, &bt)
			if err != nil {
				return nil, err
			}
			var p mat.Dense
			p.Mul(xv, w)
			return &p, nil
		},
		all: func(l float64) (*mat.Dense, error) {
			var ball mat.Dense
			ball.Mul(xc.T(), yc)
			return cholSolve(gall, l, &ball)
		},
	}
}

// dualSolver solves the n×n kernel system (XXᵀ + λI)·α = Y and returns W = Xᵀα, for d > n;
// its arguments are primalSolver's.
func dualSolver(xc, yc, yt *mat.Dense, tr, val []int) ridgeSolver {
	n, _ := xc.Dims()
	k := gram(xc)
	ktt := subSym(k, tr)
	kvt := mat.NewDense(len(val), len(tr), nil)
	for a, i := range val {
		for b, j := range tr {
			kvt.Set(a, b, k.At(i, j))
		}
	}
	return ridgeSolver{
		scale: trace(k) / float64(n),
		heldOut: func(l float64) (*mat.Dense, error) {
			a, err := cholSolve(ktt, l, yt)
			if err != nil {
				return nil, err
			}
			var p mat.Dense
			p.Mul(kvt, a)
			return &p, nil
		},
		all: func(l float64) (*mat.Dense, error) {
			a, err := cholSolve(k, l, yc)
			if err != nil {
				return nil, err
			}
			var w mat.Dense
			w.Mul(xc.T(), a)
			return &w, nil
		},
	}
}

// gram returns a·aᵀ as a symmetric matrix, through the general (parallel) matrix multiply.
func gram(a mat.Matrix) *mat.SymDense {
	var p mat.Dense
	p.Mul(a, a.T())
	n, _ := p.Dims()
	raw := p.RawMatrix()
	return mat.NewSymDense(n, raw.Data[:n*n:n*n])
}

func subSym(s *mat.SymDense, idx []int) *mat.SymDense {
	out := mat.NewSymDense(len(idx), nil)
	for a, i := range idx {
		for b := a; b < len(idx); b++ {
			out.SetSym(a, b, s.At(i, idx[b]))
		}
	}
	return out
}

func trace(s *mat.SymDense) float64 {
	var t float64
	for i := range s.SymmetricDim() {
		t += s.At(i, i)
	}
	return t
}

// cholSolve solves (g + λI)·X = b by Cholesky factorisation, leaving g unchanged.
func cholSolve(g *mat.SymDense, lambda float64, b mat.Matrix) (*mat.Dense, error) {
	n := g.SymmetricDim()
	h := mat.NewSymDense(n, nil)
	h.CopySym(g)
	for i := range n {
		h.SetSym(i, i, h.At(i, i)+lambda)
	}
	var ch mat.Cholesky
	if !ch.Factorize(h) {
		return nil, errors.New("algo: ridge: system not positive definite")
	}
	var x mat.Dense
	if err := ch.SolveTo(&x, b); err != nil {
		return nil, err
	}
	return &x, nil
}

// Predict returns the predictions for the rows of x (n × d): n × o.
func (r *Ridge) Predict(x *mat.Dense) *mat.Dense {
	n, d := x.Dims()
	xc := mat.NewDense(n, d, nil)
	for i := range n {
		src, dst := x.RawRowView(i), xc.RawRowView(i)
		for j := range d {
			dst[j] = src[j] - r.XMean[j]
		}
	}
	var out mat.Dense
	out.Mul(xc, r.W)
	_, o := out.Dims()
	for i := range n {
		row := out.RawRowView(i)
		for j := range o {
			row[j] += r.YMean[j]
		}
	}
	return &out
}

func mseLoss(pred, truth *mat.Dense) float64 {
	var d mat.Dense
	d.Sub(pred, truth)
	n := mat.Norm(&d, 2)
	r, c := d.Dims()
	return n * n / float64(r*c)
}

// center returns x with its column means subtracted, and the means.
func center(x *mat.Dense) (*mat.Dense, []float64) {
	n, d := x.Dims()
	mean := make([]float64, d)
	for i := range n {
		for j, v := range x.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	out := mat.NewDense(n, d, nil)
	for i := range n {
		src, dst := x.RawRowView(i), out.RawRowView(i)
		for j := range d {
			dst[j] = src[j] - mean[j]
		}
	}
	return out, mean
}

// rows copies the given rows of x.
func rows(x *mat.Dense, idx []int) *mat.Dense {
	_, d := x.Dims()
	out := mat.NewDense(len(idx), d, nil)
	for i, r := range idx {
		copy(out.RawRowView(i), x.RawRowView(r))
	}
	return out
}

// ClassLoss is 1 − accuracy of one-vs-rest predictions, with the outputs split into blocks of
// the given sizes (one block per attribute), averaged over blocks.
func ClassLoss(blocks []int) func(pred, truth *mat.Dense) float64 {
	return func(pred, truth *mat.Dense) float64 {
		n, _ := pred.Dims()
		var errs float64
		for i := range n {
			p, t := pred.RawRowView(i), truth.RawRowView(i)
			off := 0
			for _, b := range blocks {
				if floats.MaxIdx(p[off:off+b]) != floats.MaxIdx(t[off:off+b]) {
					errs++
				}
				off += b
			}
		}
		return errs / float64(n*len(blocks))
	}
}
