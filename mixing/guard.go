package mixing

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// DefaultMaxTries is the number of draws used where Guard.MaxTries is 0. A
// draw fails with some probability p that depends on the sampler, k and the
// bound; all tries fail with probability p^100, below 1e-30 whenever p ≤ 1/2.
// With DefaultMaxCond the built-in samplers at k ≤ 16 reject at most about
// 0.3 of their draws (measured on 2,000 draws each for dirichlet with alpha
// from 0.1 to 20, uniform and gaussian, k = 2, 4, 8, 16; the worst were
// dirichlet alpha = 20 at k = 16 and alpha = 0.1 at k = 4), so running out of
// tries means the sampler cannot reach the bound, not bad luck.
const DefaultMaxTries = 100

// Guard draws invertible, well-conditioned mixing matrices by rejection: it
// resamples until C is non-singular and cond(C) ≤ MaxCond (see Cond), at
// most MaxTries times. A zero MaxCond means DefaultMaxCond and a zero
// MaxTries means DefaultMaxTries, so the zero Guard is ready to use.
//
// Rejection conditions the sampler's distribution on the bound: with the
// defaults the change is small for the built-in samplers, but it is a change,
// and attacks that assume the unconditioned distribution should know it.
type Guard struct {
	// MaxCond bounds the 2-norm condition number of an accepted C; it must
	// be ≥ 1, or 0 for DefaultMaxCond.
	MaxCond float64
	// MaxTries bounds the number of draws; it must be ≥ 1, or 0 for
	// DefaultMaxTries.
	MaxTries int
}

// resolved returns g with its defaults filled in, and panics if a field is
// out of range (a configuration bug the caller could have checked).
func (g Guard) resolved() Guard {
	if g.MaxCond == 0 {
		g.MaxCond = DefaultMaxCond
	}
	if g.MaxTries == 0 {
		g.MaxTries = DefaultMaxTries
	}
	if !(g.MaxCond >= 1) {
		panic(fmt.Sprintf("mixing: Guard.MaxCond %g, need ≥ 1 (or 0 for the default)", g.MaxCond))
	}
	if g.MaxTries < 1 {
		panic(fmt.Sprintf("mixing: Guard.MaxTries %d, need ≥ 1 (or 0 for the default)", g.MaxTries))
	}
	return g
}

// Draw draws C from s for a group of size k and returns it with its inverse
// C⁻¹ (computed in float64 by gonum's LU-based mat.Dense.Inverse). A draw is
// rejected if it has a non-finite entry, if gonum reports it singular (its
// mat.Condition error), or if Cond(C) > MaxCond. After MaxTries rejections
// Draw returns an error naming the sampler, k and the bound. Draw panics if
// k < 1, if the Guard's fields are out of range, or if s returns a matrix
// that is not k×k.
func (g Guard) Draw(s Sampler, rng *rand.Rand, k int) (c, cInv *mat.Dense, err error) {
	checkGroupSize(k)
	g = g.resolved()
	last := "none"
	for range g.MaxTries {
		c = s.Sample(rng, k)
		if r, cols := c.Dims(); r != k || cols != k {
			panic(fmt.Sprintf("mixing: sampler %s returned a %dx%d matrix for group size %d", s.Name(), r, cols, k))
		}
		if !finite(c) {
			last = "a non-finite entry"
			continue
		}
		cInv, err = invert(c)
		if err != nil {
			last = "singular"
			continue
		}
		cond := Cond(c)
		if cond <= g.MaxCond {
			return c, cInv, nil
		}
		if math.IsInf(cond, 1) {
			last = "singular"
		} else {
			last = fmt.Sprintf("condition number %.3g", cond)
		}
	}
	return nil, nil, fmt.Errorf("mixing: sampler %s drew no invertible %dx%d matrix with condition number ≤ %g in %d tries (last draw: %s)",
		s.Name(), k, k, g.MaxCond, g.MaxTries, last)
}

// DrawGroups draws one matrix per group for a batch of n rows made of n/k
// consecutive groups of size k, and returns the matrices and their inverses
// in group order, ready for MixBatch, DemixBatch and BlockDiag. It panics if
// k < 1, n < 0 or n is not a multiple of k (the caller drops or pads a final
// partial group), and returns the first group's error, wrapped with the
// group index, if the Guard gives up.
func DrawGroups(g Guard, s Sampler, rng *rand.Rand, n, k int) (cs, cInvs []*mat.Dense, err error) {
	checkGroupSize(k)
	if n < 0 || n%k != 0 {
		panic(fmt.Sprintf("mixing: batch of %d rows is not a whole number of groups of %d", n, k))
	}
	groups := n / k
	cs = make([]*mat.Dense, groups)
	cInvs = make([]*mat.Dense, groups)
	for j := range groups {
		cs[j], cInvs[j], err = g.Draw(s, rng, k)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (group %d of %d)", err, j, groups)
		}
	}
	return cs, cInvs, nil
}
