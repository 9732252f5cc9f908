package algo

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// StrongUnmix estimates the unmixing matrix C⁻¹ of one group (m: k × d uncentred uploads)
// under the convex-coefficient prior: SimplexUnmix's vertex estimate when its sources come out
// non-negative (less than 0.1% of their mass below zero), else RefineSparse started from it
// (or, when SimplexUnmix fails, from FastICA's unmixing rescaled to unit row sums), keeping
// whichever of start and refinement is less negative. ica may be nil. It returns the matrix
// and the route taken ("vertices", "vertices+refined", "ica+refined").
func StrongUnmix(m []float64, k, d int, ica *ICA) (*mat.Dense, string) {
	var start *mat.Dense
	route := "vertices"
	if c, err := SimplexUnmix(m, k, d); err == nil {
		start = invert(c)
	}
	if start == nil {
		route = "ica"
		if ica != nil {
			start = RowSumScale(ica.Unmixing)
		} else {
			start = mat.NewDense(k, k, nil)
			for i := range k {
				start.Set(i, i, 1)
			}
		}
	} else if negativity(Sources(start, m, k, d)) < 1e-3 {
		return start, route
	}
	ref := RefineSparse(start, m, k, d, 0.05, 20)
	if negativity(Sources(ref, m, k, d)) < negativity(Sources(start, m, k, d)) {
		return ref, route + "+refined"
	}
	return start, route
}

// negativity is the share of the mass of x below zero: Σmax(0,−x)/Σ|x|.
func negativity(x []float64) float64 {
	var neg, all float64
	for _, v := range x {
		all += math.Abs(v)
		if v < 0 {
			neg -= v
		}
	}
	if all == 0 {
		return 0
	}
	return neg / all
}

// SimplexUnmix estimates the mixing matrix C of one group from its k uploads m (k × d,
// row-major) using what the attacker knows when the edge draws convex coefficients (the
// dirichlet and uniform samplers, and the paper's example): C ≥ 0 with rows summing to 1,
// and the mixed signals H ≥ 0 (pixels in [0,1]; post-ReLU features). It is the stronger
// alternative to FastICA that the ICA attack's strong variant uses (StrongUnmix).
//
// Every column m_j = C·h_j of the uploads is then a non-negative combination of the columns
// c_i of C, so m_j/(1ᵀm_j) lies in the simplex spanned by the vertices c_i/(1ᵀc_i). Natural
// images and ReLU features are sparse: where only member i is non-zero ("pure pixels"), the
// normalised column is exactly a vertex. The successive projection algorithm (Araújo et al.,
// Chemometr. Intell. Lab. 57, 2001; Gillis and Vavasis, IEEE TPAMI 36(4), 2014) finds the k
// vertices; the row-sum constraint C·1 = 1 then fixes the scale of each column (Ĉ·s = 1),
// which FastICA can never recover. The returned C is exact when every member has a pure pixel
// and the uploads are exact; H is then C⁻¹·M up to float32 round-off.
//
// It returns an error when fewer than k columns are non-zero, when the vertices are linearly
// dependent, or when the scales come out non-positive (the data do not fit the prior).
func SimplexUnmix(m []float64, k, d int) (*mat.Dense, error) {
	if len(m) != k*d {
		panic("algo: SimplexUnmix: len(m) != k·d")
	}
	p, n := normalisedColumns(m, k, d)
	if n < k {
		return nil, errors.New("algo: simplex: fewer non-zero columns than group members")
	}
	chat, ok := successiveProjection(p, n, k)
	if !ok {
		return nil, errors.New("algo: simplex: vertices are linearly dependent")
	}
	ones := mat.NewVecDense(k, nil)
	for i := range k {
		ones.SetVec(i, 1)
	}
	var s mat.VecDense
	if err := s.SolveVec(chat, ones); err != nil {
		return nil, errors.New("algo: simplex: vertices are linearly dependent")
	}
	c := mat.NewDense(k, k, nil)
	for t := range k {
		if !(s.AtVec(t) > 0) {
			return nil, errors.New("algo: simplex: data do not fit convex coefficients (non-positive scale)")
		}
		for i := range k {
			c.Set(i, t, chat.At(i, t)*s.AtVec(t))
		}
	}
	return c, nil
}

// normalisedColumns returns the n columns of m (k × d) whose sum is above 1e-6 of the largest
// |sum|, each divided by its sum, column-major (n × k): points of the simplex the vertices of
// SimplexUnmix span.
func normalisedColumns(m []float64, k, d int) (p []float64, n int) {
	var maxSum float64
	sums := make([]float64, d)
	for j := range d {
		var s float64
		for i := range k {
			s += m[i*d+j]
		}
		sums[j] = s
		maxSum = max(maxSum, math.Abs(s))
	}
	// Columns below 1e-6 of the largest carry only round-off direction; float32 uploads are
	// exact to 6e-8 relative, so 1e-6 keeps every pixel of intensity ≥ 1/255.
	for j, s := range sums {
		if s > 1e-6*maxSum {
			for i := range k {
				p = append(p, m[i*d+j]/s)
			}
			n++
		}
	}
	return p, n
}

// successiveProjection finds k vertices among the n points p (n × k, row-major) by the
// successive projection algorithm: take the point of largest norm, project every point onto
// the orthogonal complement of it, repeat. It returns the vertices as the columns of a k×k
// matrix, in the order found, and false when the points left have no norm above 1e-10 (the
// vertices are linearly dependent).
func successiveProjection(p []float64, n, k int) (*mat.Dense, bool) {
	r := append([]float64(nil), p...)
	chat := mat.NewDense(k, k, nil)
	for t := range k {
		best, bestNorm := -1, -1.0
		for j := range n {
			var s float64
			for _, v := range r[j*k : (j+1)*k] {
				s += v * v
			}
			if s > bestNorm {
				best, bestNorm = j, s
			}
		}
		if bestNorm <= 1e-20 {
			return nil, false
		}
		for i := range k {
			chat.Set(i, t, p[best*k+i])
		}
		u := append([]float64(nil), r[best*k:(best+1)*k]...)
		nu := math.Sqrt(bestNorm)
		for i := range u {
			u[i] /= nu
		}
		for j := range n {
			v := r[j*k : (j+1)*k]
			var s float64
			for i := range k {
				s += v[i] * u[i]
			}
			for i := range k {
				v[i] -= s * u[i]
			}
		}
	}
	return chat, true
}

// RowSumScale rescales each row of an unmixing matrix u (k×k, applied to uncentred uploads) so
// that it sums to 1. When C has rows summing to 1, so does C⁻¹ (C·1 = 1 ⇒ C⁻¹·1 = 1), and a
// separation P·D·C⁻¹ found by FastICA is turned into P·C⁻¹: the sources come out in the units
// of the inputs, sign and scale included. Rows that sum to about 0 are left as they are.
func RowSumScale(u *mat.Dense) *mat.Dense {
	k, _ := u.Dims()
	out := mat.DenseCopyOf(u)
	for i := range k {
		row := out.RawRowView(i)
		var s, a float64
		for _, v := range row {
			s += v
			a += math.Abs(v)
		}
		if math.Abs(s) > 1e-9*a {
			for j := range row {
				row[j] /= s
			}
		}
	}
	return out
}

// RefineSparse improves an unmixing matrix w (k×k, rows summing to 1, applied to uncentred
// uploads m of k × d) by exploiting sparsity: each source x_i = w_i·M is zero wherever member
// i has no ink (or an inactive feature) while others do, and those columns of M span the
// other k−1 members. Each round takes, per source, the non-zero columns where the current
// estimate is at most q times its largest value as its presumed zeros Z, and sets w_i to the
// vector with w_i·1 = 1 that is closest to orthogonal to them: w ∝ (M_Z M_Zᵀ + εI)⁻¹·1. Rounds
// stop when no row moves by more than 1e-9 or after iters rounds.
func RefineSparse(w *mat.Dense, m []float64, k, d int, q float64, iters int) *mat.Dense {
	out := mat.DenseCopyOf(w)
	nz := nonZeroColumns(m, k, d)
	r := sparseRefiner{m: m, k: k, d: d, q: q, nz: nz,
		vals: make([]float64, len(nz)), order: make([]int, len(nz)), g: mat.NewSymDense(k, nil),
		ones: mat.NewVecDense(k, nil)}
	for i := range k {
		r.ones.SetVec(i, 1)
	}
	for range iters {
		moved := 0.0
		for i := range k {
			moved = max(moved, r.refineRow(out.RawRowView(i)))
		}
		if moved < 1e-9 {
			break
		}
	}
	return out
}

// nonZeroColumns returns the columns of m (k × d) whose absolute sum exceeds 1e-6 of the
// largest: SimplexUnmix's round-off threshold.
func nonZeroColumns(m []float64, k, d int) []int {
	var nz []int
	var maxSum float64
	for j := range d {
		var s float64
		for i := range k {
			s += math.Abs(m[i*d+j])
		}
		maxSum = max(maxSum, s)
	}
	for j := range d {
		var s float64
		for i := range k {
			s += math.Abs(m[i*d+j])
		}
		if s > 1e-6*maxSum {
			nz = append(nz, j)
		}
	}
	return nz
}

// sparseRefiner holds RefineSparse's data and the buffers its rounds reuse.
type sparseRefiner struct {
	m     []float64 // k × d uploads
	k, d  int
	q     float64
	nz    []int // the non-zero columns
	vals  []float64
	order []int
	g     *mat.SymDense
	ones  *mat.VecDense
}

// refineRow replaces one row of the unmixing matrix by the solution on its presumed zeros and
// returns how far it moved; a row with fewer than k presumed zeros or a singular system is
// left as it is (moved 0).
func (r *sparseRefiner) refineRow(row []float64) (moved float64) {
	k, d, m := r.k, r.d, r.m
	for t, j := range r.nz {
		var s float64
		for l := range k {
			s += row[l] * m[l*d+j]
		}
		r.vals[t] = s
		r.order[t] = t
	}
	var top float64
	for _, v := range r.vals {
		top = max(top, v)
	}
	z := r.order[:0]
	for t, v := range r.vals {
		if v <= r.q*top {
			z = append(z, t)
		}
	}
	if len(z) < k {
		return 0
	}
	g := r.g
	g.Zero()
	var tr float64
	for _, t := range z {
		j := r.nz[t]
		for a := range k {
			for b := a; b < k; b++ {
				g.SetSym(a, b, g.At(a, b)+m[a*d+j]*m[b*d+j])
			}
		}
	}
	for a := range k {
		tr += g.At(a, a)
	}
	for a := range k {
		g.SetSym(a, a, g.At(a, a)+1e-10*tr/float64(k))
	}
	var sol mat.VecDense
	var ch mat.Cholesky
	if !ch.Factorize(g) || ch.SolveVecTo(&sol, r.ones) != nil {
		return 0
	}
	var s float64
	for a := range k {
		s += sol.AtVec(a)
	}
	if s == 0 || math.IsNaN(s) {
		return 0
	}
	for a := range k {
		v := sol.AtVec(a) / s
		moved = max(moved, math.Abs(v-row[a]))
		row[a] = v
	}
	return moved
}

func invert(c *mat.Dense) *mat.Dense {
	var ci mat.Dense
	if err := ci.Inverse(c); err != nil {
		return nil
	}
	return &ci
}
