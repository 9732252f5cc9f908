package algo

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// subspace is the objective of the subspace affinity. The k uploads of a group are mixtures of
// the same k inputs, so they lie in one k-dimensional subspace whether or not they share
// exact zeros; uploads of different groups do not. Rows are centred and scaled to unit norm
// (as for correlation: centring commutes with mixing), and a group's value is
// −log det(G + εI), G the Gram matrix of its rows: 0 for orthogonal rows, growing as they crowd
// into fewer dimensions; for two rows it is −log(1 − r² + …), a function of |r| alone, so at
// k = 2 only the swap phase's objective differs from correlation's. The greedy phase adds the
// candidate with the smallest residual off the span of the members so far (by the chain rule
// of determinants, the smallest rise of log det), looking among the members' neighbours; swaps
// raise the total value. ε = 1e-9 keeps the value finite when rows repeat.
type subspace struct {
	g     *neighbourGraph
	z     *corrRows
	known map[[2]int]float64 // signed dot products of rows, computed once
}

// subspaceRidge is the ε of subspace's value: far below the 1 − r² of any two distinct uploads.
const subspaceRidge = 1e-9

// dot returns the signed dot product of rows x and y of z.
func (s *subspace) dot(x, y int) float64 {
	key := [2]int{min(x, y), max(x, y)}
	v, ok := s.known[key]
	if !ok {
		a, b := s.z.z.RawRowView(x), s.z.z.RawRowView(y)
		for t := range a {
			v += a[t] * b[t]
		}
		s.known[key] = v
	}
	return v
}

// grow returns the unassigned row with the smallest residual off the span of the members'
// rows (the smallest index among ties), among the members' unassigned neighbours, or among
// every unassigned row when they have none.
func (s *subspace) grow(members []int) int {
	g := s.g
	var cands []int
	for _, m := range members {
		for _, nb := range g.nbr[m] {
			if !g.assigned[nb.j] {
				cands = append(cands, nb.j)
			}
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	if len(cands) == 0 {
		for j, done := range g.assigned {
			if !done {
				cands = append(cands, j)
			}
		}
	}
	basis := s.orthonormal(members)
	best, bestProj := -1, math.Inf(-1)
	for _, j := range cands {
		zj := s.z.z.RawRowView(j)
		var norm, proj float64
		for _, v := range zj {
			norm += v * v
		}
		if norm == 0 {
			proj = -1 // a constant upload carries no direction: the worst candidate
		}
		for _, q := range basis {
			var c float64
			for t, v := range zj {
				c += q[t] * v
			}
			proj += c * c
		}
		if proj > bestProj {
			best, bestProj = j, proj
		}
	}
	return best
}

// orthonormal returns an orthonormal basis of the span of the rows of members (modified
// Gram–Schmidt; rows within 1e-12 of the span of those before them add nothing).
func (s *subspace) orthonormal(members []int) [][]float64 {
	var basis [][]float64
	for _, m := range members {
		v := slices.Clone(s.z.z.RawRowView(m))
		sq := project(v, basis)
		if sq <= 1e-12 {
			continue
		}
		scaleTo1(v, sq)
		basis = append(basis, v)
	}
	return basis
}

// value is −log det(G + εI) of the rows of grp.
func (s *subspace) value(grp []int) float64 {
	k := len(grp)
	gm := mat.NewSymDense(k, nil)
	for a := range k {
		for b := a; b < k; b++ {
			v := s.dot(grp[a], grp[b])
			if a == b {
				v += subspaceRidge
			}
			gm.SetSym(a, b, v)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(gm) {
		return math.Inf(-1) // not positive definite: round-off on crowded rows; never preferred
	}
	return -ch.LogDet()
}

// gain is the rise of the total value when x (of A) and y (of B) change places.
func (s *subspace) gain(A, B []int, x, y int) float64 {
	swap := func(grp []int, out, in int) []int {
		g := slices.Clone(grp)
		g[slices.Index(g, out)] = in
		return g
	}
	return s.value(swap(A, x, y)) + s.value(swap(B, y, x)) - s.value(A) - s.value(B)
}
