package mixing

import (
	"slices"
	"testing"
)

func TestPermutation(t *testing.T) {
	for _, n := range []int{0, 1, 2, 17, 1000} {
		p := Permutation(newRNG(30), n)
		if len(p) != n {
			t.Fatalf("n=%d: length %d", n, len(p))
		}
		sorted := slices.Sorted(slices.Values(p))
		for i, v := range sorted {
			if v != i {
				t.Fatalf("n=%d: %v is not a permutation of 0..%d", n, p, n-1)
			}
		}
		if q := Permutation(newRNG(30), n); !slices.Equal(p, q) {
			t.Errorf("n=%d: the same seed gave %v and %v", n, p, q)
		}
	}
	// Different seeds give different permutations of 1000 rows; a
	// coincidence has probability 1/1000!, effectively never.
	if slices.Equal(Permutation(newRNG(31), 1000), Permutation(newRNG(32), 1000)) {
		t.Error("seeds 31 and 32 gave the same permutation")
	}
	mustPanic(t, "permutation of -1 rows", func() { Permutation(newRNG(33), -1) })
}

// TestShuffleConvention pins the documented direction: row i of src goes
// to row perm[i] of dst.
func TestShuffleConvention(t *testing.T) {
	src := []float32{0, 0, 1, 1, 2, 2} // three rows of length 2: row r holds r
	perm := []int{2, 0, 1}
	dst := make([]float32, 6)
	Shuffle(dst, src, 2, perm)
	if want := []float32{1, 1, 2, 2, 0, 0}; !slices.Equal(dst, want) {
		t.Errorf("Shuffle(%v, perm %v) = %v, want %v (dst[perm[i]] = src[i])", src, perm, dst, want)
	}
	back := make([]float32, 6)
	Unshuffle(back, dst, 2, perm)
	if !slices.Equal(back, src) {
		t.Errorf("Unshuffle gave %v, want %v", back, src)
	}
}

func TestShuffleRoundTrip(t *testing.T) {
	rng := newRNG(34)
	for range 20 {
		n, d := rng.IntN(50), 1+rng.IntN(20)
		src := randBlock(rng, n, d)
		perm := Permutation(rng, n)
		mid, back := make([]float32, n*d), make([]float32, n*d)
		Shuffle(mid, src, d, perm)
		for i, p := range perm {
			if !slices.Equal(mid[p*d:(p+1)*d], src[i*d:(i+1)*d]) {
				t.Fatalf("n=%d d=%d: row %d not at row %d", n, d, i, p)
			}
		}
		Unshuffle(back, mid, d, perm)
		if !slices.Equal(back, src) {
			t.Fatalf("n=%d d=%d: Unshuffle(Shuffle(x)) != x", n, d)
		}
	}
}

func TestShufflePanics(t *testing.T) {
	x, y := make([]float32, 6), make([]float32, 6)
	mustPanic(t, "Shuffle: perm[2] = 0, need a permutation of 0..2", func() { Shuffle(y, x, 2, []int{0, 1, 0}) })
	mustPanic(t, "Unshuffle: perm[1] = 3, need a permutation of 0..2", func() { Unshuffle(y, x, 2, []int{0, 3, 1}) })
	mustPanic(t, "Shuffle: perm[0] = -1", func() { Shuffle(y, x, 2, []int{-1, 0, 1}) })
	mustPanic(t, "Shuffle of 2 rows of length 2: len(src) = 6, len(dst) = 6, need 4", func() { Shuffle(y, x, 2, []int{1, 0}) })
	mustPanic(t, "Unshuffle of 3 rows of length 2: len(src) = 6, len(dst) = 5, need 6", func() { Unshuffle(y[:5], x, 2, []int{1, 0, 2}) })
	mustPanic(t, "Shuffle with row length 0", func() { Shuffle(y, x, 0, []int{1, 0, 2}) })
	mustPanic(t, "Shuffle in place", func() { Shuffle(x, x, 2, []int{1, 0, 2}) })
}
