package mixing_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/datamix/harness/mixing"
	"gonum.org/v1/gonum/mat"
)

// The paper's k = 2 example: two feature vectors A and B are uploaded as
// 0.7A + 0.3B and 0.6A + 0.4B, and de-mixed with C⁻¹ = [[4, −3], [−6, 7]].
func ExampleMix() {
	s, err := mixing.NewSampler("fixed", 0, [][]float64{{0.7, 0.3}, {0.6, 0.4}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A fixed sampler ignores the generator; a real one needs it.
	c, cInv, err := mixing.Guard{}.Draw(s, rand.New(rand.NewPCG(1, 2)), 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	const d = 3
	h := []float32{
		1, 2, 3, // A
		4, 5, 6, // B
	}
	m := make([]float32, 2*d)
	mixing.Mix(m, c, h, d)
	fmt.Printf("uploads:  %.4g\n", m)
	fmt.Printf("C⁻¹:      %.4g\n", mat.Formatted(cInv, mat.Prefix("          "), mat.Squeeze()))

	// The cloud returns its replies; here it returns the uploads unchanged.
	z := make([]float32, 2*d)
	mixing.Demix(z, cInv, m, d)
	fmt.Printf("de-mixed: %.4g\n", z)
	// Output:
	// uploads:  [1.9 2.9 3.9 2.2 3.2 4.2]
	// C⁻¹:      ⎡ 4  -3⎤
	//           ⎣-6   7⎦
	// de-mixed: [1 2 3 4 5 6]
}

// Shuffle sends row i to row perm[i]; Unshuffle brings it back.
func ExampleShuffle() {
	const d = 2
	uploads := []float32{
		10, 11, // row 0
		20, 21, // row 1
		30, 31, // row 2
	}
	perm := []int{2, 0, 1} // in practice mixing.Permutation(rng, 3)
	shuffled := make([]float32, len(uploads))
	mixing.Shuffle(shuffled, uploads, d, perm)
	fmt.Println("shuffled:  ", shuffled)
	restored := make([]float32, len(uploads))
	mixing.Unshuffle(restored, shuffled, d, perm)
	fmt.Println("unshuffled:", restored)
	// Output:
	// shuffled:   [20 21 30 31 10 11]
	// unshuffled: [10 11 20 21 30 31]
}

// BlockDiag lays a batch's per-group matrices on one diagonal, here a group
// of two with the paper's matrix and a group of one (plain split inference).
func ExampleBlockDiag() {
	blocks := []*mat.Dense{
		mat.NewDense(2, 2, []float64{0.7, 0.3, 0.6, 0.4}),
		mat.NewDense(1, 1, []float64{1}),
	}
	dst := make([]float32, 3*3)
	mixing.BlockDiag(dst, blocks)
	for i := range 3 {
		fmt.Println(dst[i*3 : (i+1)*3])
	}
	// Output:
	// [0.7 0.3 0]
	// [0.6 0.4 0]
	// [0 0 1]
}
