package metrics_test

import (
	"fmt"

	"github.com/datamix/harness/metrics"
)

// A reconstruction that is off by 0.1 everywhere has a mean squared error of 0.01: 20 dB.
func ExamplePSNR() {
	orig := []float32{0.0, 0.5, 1.0, 0.2}
	recon := []float32{0.1, 0.4, 0.9, 0.3}
	fmt.Printf("%.2f dB\n", metrics.PSNR(orig, recon, 1))
	// Output: 20.00 dB
}

// Group matching scores recovered groups against the true ones; names do not matter.
func ExampleARI() {
	truth := []int{0, 0, 1, 1, 2, 2}
	found := []int{7, 7, 4, 4, 9, 9}
	fmt.Println(metrics.ARI(truth, found))
	// Output: 1
}

// Chance is the score of always guessing the most frequent label.
func ExampleChance() {
	fmt.Println(metrics.Chance([]int{1, 1, 1, 0}))
	// Output: 0.75
}
