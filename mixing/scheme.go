package mixing

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Scheme is how an edge mixes: the group size K, the Sampler that draws each group's secret
// C, the Guard that rejects singular and ill-conditioned draws, and whether the uploads of
// many groups are shuffled together before they leave the edge. It is one value, passed
// whole to everything that mixes or simulates mixing — the edge's protocol, mixing-aware
// training, and an attacker simulating uploads with the distribution it assumes (the same
// scheme with another Sampler, WithSampler) — so that the draw itself is written once, here.
//
// A nil Sampler is the unmixed network: no C is drawn and K must be 1. K = 1 with a simplex
// sampler (dirichlet, uniform) draws C = [1]: plain split inference.
type Scheme struct {
	K       int
	Sampler Sampler
	Guard   Guard
	Shuffle bool
}

// Mixed reports whether s mixes: whether it draws a C per group.
func (s Scheme) Mixed() bool { return s.Sampler != nil }

// WithSampler returns s drawing its coefficients from another sampler: the scheme an attacker
// believes in when it assumes a coefficient distribution.
func (s Scheme) WithSampler(sampler Sampler) Scheme {
	s.Sampler = sampler
	return s
}

// Check panics when s cannot mix a batch of n rows: a group size below 1, a batch that is not
// a whole number of groups, or groups of more than one row without a sampler. All three are
// the caller's errors.
func (s Scheme) Check(n int) {
	if s.K < 1 || n%s.K != 0 {
		panic(fmt.Sprintf("mixing: batch %d is not a multiple of group size %d", n, s.K))
	}
	if !s.Mixed() && s.K != 1 {
		panic(fmt.Sprintf("mixing: group size %d without a coefficient sampler", s.K))
	}
}

// Draw draws the secrets of a batch of n rows in consecutive groups of K: each group's C and
// C⁻¹ under the guard (DrawGroups), or nil for an unmixed scheme. It panics as Check does,
// and fails when the guard finds no well-conditioned C.
func (s Scheme) Draw(rng *rand.Rand, n int) (cs, cInvs []*mat.Dense, err error) {
	s.Check(n)
	if !s.Mixed() {
		return nil, nil, nil
	}
	return DrawGroups(s.Guard, s.Sampler, rng, n, s.K)
}
