package datamix

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// TestDeploymentSecrets: a deployment pipeline draws fresh secrets from crypto/rand on every
// call, so the same inputs give different coefficients and uploads, while the edge still gets
// finite logits back.
func TestDeploymentSecrets(t *testing.T) {
	arch, _ := models.Lookup("mnist-cnn")
	net, err := models.New(arch, 10, 1, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := mixing.NewSampler("dirichlet", 1, nil)
	p := NewCryptoPipeline(net, Scheme{K: 2, Sampler: s, Shuffle: true})
	const batch = 8
	x := make([]float32, batch*net.InputDim())
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	logits := make([]float32, batch*net.Classes)
	var first []*mat.Dense
	var firstUp []float32
	for call := 0; call < 2; call++ {
		var ex Exchange
		if err := p.Logits(logits, x, &ex); err != nil {
			t.Fatal(err)
		}
		for _, v := range logits {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("non-finite logit %v", v)
			}
		}
		if call == 0 {
			first, firstUp = ex.C, append([]float32(nil), ex.Uploads...)
			continue
		}
		// Two Dirichlet(1) draws from crypto/rand coincide with probability 0.
		if mat.Equal(first[0], ex.C[0]) {
			t.Error("the same C was drawn twice")
		}
		same := true
		for i := range firstUp {
			same = same && firstUp[i] == ex.Uploads[i]
		}
		if same {
			t.Error("the same uploads were sent twice")
		}
	}
}

// A pool larger than the network's batch is mixed and shuffled as one: the same secrets as
// in one run (one generator, drawn per pool), the same uploads and logits, and a permutation
// that crosses batches.
func TestPipelinePoolInBatches(t *testing.T) {
	arch, _ := models.Lookup("mnist-cnn")
	net, err := models.New(arch, 10, 1, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := mixing.NewSampler("dirichlet", 1, nil)
	scheme := Scheme{K: 2, Sampler: s, Shuffle: true}
	const pool, batch = 48, 16
	x := make([]float32, pool*net.InputDim())
	src := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = src.Float32()
	}
	run := func(b int) ([]float32, Exchange) {
		p := NewPipeline(net, scheme, rand.New(rand.NewPCG(5, 6)))
		p.SetBatch(b)
		logits := make([]float32, pool*net.Classes)
		var ex Exchange
		if err := p.Logits(logits, x, &ex); err != nil {
			t.Fatal(err)
		}
		ex.Uploads = append([]float32(nil), ex.Uploads...)
		return logits, ex
	}
	whole, wex := run(0)
	parts, pex := run(batch)
	for i := range wex.Perm {
		if wex.Perm[i] != pex.Perm[i] || !mat.Equal(wex.C[i/2], pex.C[i/2]) {
			t.Fatalf("secrets differ at input %d", i)
		}
	}
	crosses := false
	for i, p := range pex.Perm {
		crosses = crosses || i/batch != p/batch
	}
	if !crosses {
		t.Error("no upload left its batch: the pool was not shuffled as one")
	}
	// 1e-5: float32 round-off of the network, whose sums may split differently by batch size.
	for i := range whole {
		if d := math.Abs(float64(whole[i] - parts[i])); d > 1e-5*(1+math.Abs(float64(whole[i]))) {
			t.Fatalf("logit %d: %v in one run, %v in batches of %d", i, whole[i], parts[i], batch)
		}
	}
	for i := range wex.Uploads {
		if d := math.Abs(float64(wex.Uploads[i] - pex.Uploads[i])); d > 1e-5*(1+math.Abs(float64(wex.Uploads[i]))) {
			t.Fatalf("upload value %d: %v in one run, %v in batches", i, wex.Uploads[i], pex.Uploads[i])
		}
	}
}
