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
