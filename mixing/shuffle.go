package mixing

import (
	"fmt"
	"math/rand/v2"
)

// Permutation draws a uniformly random permutation of 0..n-1 from rng, for
// shuffling the n uploads of a batch together (inter-group shuffling). The
// edge keeps it to unshuffle the replies. The same seeded rng state gives
// the same permutation; a deployment passes CryptoRand. Permutation panics if
// n < 0.
func Permutation(rng *rand.Rand, n int) []int {
	if n < 0 {
		panic(fmt.Sprintf("mixing: permutation of %d rows, need ≥ 0", n))
	}
	return rng.Perm(n)
}

// Shuffle permutes the rows of src (each of length d) into dst by the
// destination map perm: row i of src goes to row perm[i] of dst, that is
// dst[perm[i]] = src[i]. dst and src must not overlap. Shuffle panics if
// d < 1, if len(src) or len(dst) is not len(perm)·d, if perm is not a
// permutation of 0..len(perm)-1, or if dst and src are the same slice.
func Shuffle(dst, src []float32, d int, perm []int) {
	checkPerm("Shuffle", dst, src, d, perm)
	for i, p := range perm {
		copy(dst[p*d:(p+1)*d], src[i*d:(i+1)*d])
	}
}

// Unshuffle undoes Shuffle with the same perm: row i of dst is row perm[i]
// of src, dst[i] = src[perm[i]], so Unshuffle(Shuffle(x)) == x. The edge
// applies it to the cloud's replies, which come back in upload order, before
// de-mixing. It panics under the same conditions as Shuffle.
func Unshuffle(dst, src []float32, d int, perm []int) {
	checkPerm("Unshuffle", dst, src, d, perm)
	for i, p := range perm {
		copy(dst[i*d:(i+1)*d], src[p*d:(p+1)*d])
	}
}

func checkPerm(fn string, dst, src []float32, d int, perm []int) {
	if d < 1 {
		panic(fmt.Sprintf("mixing: %s with row length %d, need ≥ 1", fn, d))
	}
	n := len(perm)
	if len(src) != n*d || len(dst) != n*d {
		panic(fmt.Sprintf("mixing: %s of %d rows of length %d: len(src) = %d, len(dst) = %d, need %d",
			fn, n, d, len(src), len(dst), n*d))
	}
	if n > 0 && &dst[0] == &src[0] {
		panic(fmt.Sprintf("mixing: %s in place, need distinct dst and src", fn))
	}
	seen := make([]bool, n)
	for i, p := range perm {
		if p < 0 || p >= n || seen[p] {
			panic(fmt.Sprintf("mixing: %s: perm[%d] = %d, need a permutation of 0..%d", fn, i, p, n-1))
		}
		seen[p] = true
	}
}
