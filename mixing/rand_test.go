package mixing

import (
	"slices"
	"testing"
)

// TestCryptoRand is a sanity check that CryptoRand is not a fixed or seeded
// stream: two generators give different draws. Four 64-bit words agree by
// chance with probability 2⁻²⁵⁶, which is never.
func TestCryptoRand(t *testing.T) {
	r1, r2 := CryptoRand(), CryptoRand()
	var a, b [4]uint64
	for i := range a {
		a[i], b[i] = r1.Uint64(), r2.Uint64()
	}
	if a == b {
		t.Errorf("two CryptoRand generators drew the same words %x", a)
	}
	// It drives the package's draws like any generator.
	p := Permutation(r1, 10)
	if got := slices.Sorted(slices.Values(p)); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("Permutation(CryptoRand(), 10) = %v", p)
	}
	if _, _, err := (Guard{}).Draw(mustSampler(t, "dirichlet", 1, nil), r2, 4); err != nil {
		t.Error(err)
	}
}
