package mixing

import (
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestSchemeRejectsPartialGroups: a batch that is not a whole number of groups, or a group
// size without a sampler, is a caller's error.
func TestSchemeRejectsPartialGroups(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Scheme
		batch int
		msg   string
	}{
		{"partial group", Scheme{K: 4, Sampler: dirichlet{alpha: 1}}, 6, "batch 6 is not a multiple of group size 4"},
		{"zero k", Scheme{K: 0}, 4, "not a multiple of group size 0"},
		{"k without sampler", Scheme{K: 2}, 4, "group size 2 without a coefficient sampler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.msg) {
					t.Fatalf("panic %v, want one containing %q", r, tc.msg)
				}
			}()
			tc.s.Draw(rand.New(rand.NewPCG(1, 1)), tc.batch)
		})
	}
}

// TestSchemeDraw: a mixed scheme draws one well-conditioned C and its inverse per group, the
// very draws DrawGroups makes from the same generator; an unmixed one draws nothing; a scheme
// with another sampler (an attacker's assumption) draws from that sampler.
func TestSchemeDraw(t *testing.T) {
	s := Scheme{K: 3, Sampler: dirichlet{alpha: 1}, Guard: Guard{MaxCond: 50}}
	cs, cInvs, err := s.Draw(rand.New(rand.NewPCG(4, 5)), 12)
	if err != nil {
		t.Fatal(err)
	}
	want, wantInv, err := DrawGroups(Guard{MaxCond: 50}, dirichlet{alpha: 1}, rand.New(rand.NewPCG(4, 5)), 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 4 || len(cInvs) != 4 {
		t.Fatalf("%d matrices and %d inverses for 4 groups", len(cs), len(cInvs))
	}
	for g := range cs {
		if !mat.Equal(cs[g], want[g]) || !mat.Equal(cInvs[g], wantInv[g]) {
			t.Fatalf("group %d: the scheme drew another C than DrawGroups", g)
		}
		if c := Cond(cs[g]); c > 50 {
			t.Errorf("group %d: condition number %g above the guard's 50", g, c)
		}
	}
	if cs, cInvs, err := (Scheme{K: 1}).Draw(rand.New(rand.NewPCG(1, 1)), 5); cs != nil || cInvs != nil || err != nil {
		t.Errorf("unmixed scheme drew %v, %v, %v; want nothing", cs, cInvs, err)
	}
	g := s.WithSampler(gaussian{})
	if g.K != s.K || g.Guard != s.Guard || s.Sampler.Name() != "dirichlet" {
		t.Fatalf("WithSampler changed more than the sampler: %+v from %+v", g, s)
	}
	cs, _, err = g.Draw(rand.New(rand.NewPCG(6, 7)), 3)
	if err != nil {
		t.Fatal(err)
	}
	negative := false
	for _, v := range cs[0].RawMatrix().Data {
		negative = negative || v < 0
	}
	if !negative { // nine N(0, 1/3) entries are all ≥ 0 with probability 2⁻⁹ — and this seed is fixed
		t.Errorf("C = %v: a gaussian draw with no negative entry", cs[0].RawMatrix().Data)
	}
}
