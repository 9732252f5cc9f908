package datamix_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Serve four inputs as two groups of two through the protocol, with a network cut after its
// first block, and look at what the cloud received.
func Example() {
	arch, _ := models.Lookup("mnist-cnn")
	net, _ := models.New(arch, 10, 1, rand.New(rand.NewPCG(1, 1))) // split 1: one block on the edge
	sampler, _ := mixing.NewSampler("dirichlet", 1, nil)
	scheme := datamix.Scheme{Scheme: mixing.Scheme{K: 2, Sampler: sampler, Shuffle: true}}

	// Seeded secrets, so that the example repeats; a deployment uses NewCryptoPipeline.
	p := datamix.NewPipeline(net, scheme, rand.New(rand.NewPCG(1, 2)))
	x := make([]float32, 4*net.InputDim()) // four 28×28 images, here all black
	logits := make([]float32, 4*net.Classes)
	var ex datamix.Record
	p.Record(&ex)
	if err := p.Logits(logits, x); err != nil {
		panic(err)
	}

	cost := scheme.Cost(net)
	fmt.Printf("each upload: %v features, %d bytes\n", net.UploadShape(), cost.UploadBytes)
	fmt.Printf("edge share of the FLOPs: %.1f%%\n", 100*cost.EdgeFrac())
	fmt.Printf("secrets: %d matrices C of %d×%d\n", len(ex.C), ex.C[0].RawMatrix().Rows, ex.C[0].RawMatrix().Cols)
	sum := ex.C[0].At(0, 0) + ex.C[0].At(0, 1)
	fmt.Printf("a row of C sums to %.3f (a convex blend)\n", sum)
	fmt.Printf("upload positions of the four inputs: %v\n", ex.Pos)
	// Output:
	// each upload: [16 14 14] features, 12544 bytes
	// edge share of the FLOPs: 11.1%
	// secrets: 2 matrices C of 2×2
	// a row of C sums to 1.000 (a convex blend)
	// upload positions of the four inputs: [2 3 0 1]
}
