package datamix

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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
	p := NewCryptoPipeline(net, Scheme{Scheme: mixing.Scheme{K: 2, Sampler: s, Shuffle: true}})
	const batch = 8
	x := make([]float32, batch*net.InputDim())
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	logits := make([]float32, batch*net.Classes)
	var first []*mat.Dense
	var firstUp []float32
	for call := 0; call < 2; call++ {
		var ex Record
		p.Record(&ex)
		if err := p.Logits(logits, x); err != nil {
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
	scheme := Scheme{Scheme: mixing.Scheme{K: 2, Sampler: s, Shuffle: true}}
	const pool, batch = 48, 16
	x := make([]float32, pool*net.InputDim())
	src := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = src.Float32()
	}
	run := func(b int) ([]float32, Record) {
		p := NewPipeline(net, scheme, rand.New(rand.NewPCG(5, 6)))
		p.SetBatch(b)
		logits := make([]float32, pool*net.Classes)
		var ex Record
		p.Record(&ex)
		if err := p.Logits(logits, x); err != nil {
			t.Fatal(err)
		}
		return logits, ex
	}
	whole, wex := run(0)
	parts, pex := run(batch)
	for i := range wex.Pos {
		if wex.Pos[i] != pex.Pos[i] || !mat.Equal(wex.C[i/2], pex.C[i/2]) {
			t.Fatalf("secrets differ at input %d", i)
		}
	}
	crosses := false
	for i, p := range pex.Pos {
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

// TestRecordAppendsCalls: a recording pipeline appends call after call — the cloud's view
// in arrival order, the edge's features in input order, upload positions counted across the
// calls — exactly what each call alone would record; a call of another pool size panics.
func TestRecordAppendsCalls(t *testing.T) {
	net := testNet(t, 1)
	s := dirichletScheme(t, 2)
	s.Shuffle = true
	const pool = 6
	x := randomImages(net, 2*pool, 3)
	in, up := net.InputDim(), net.UploadDim()
	logits := make([]float32, pool*net.Classes)

	var both Record
	p := NewPipeline(net, s, rand.New(rand.NewPCG(8, 9)))
	p.Record(&both)
	var each [2]Record
	q := NewPipeline(net, s, rand.New(rand.NewPCG(8, 9)))
	for c := range 2 {
		if err := p.Logits(logits, x[c*pool*in:(c+1)*pool*in]); err != nil {
			t.Fatal(err)
		}
		q.Record(&each[c])
		if err := q.Logits(logits, x[c*pool*in:(c+1)*pool*in]); err != nil {
			t.Fatal(err)
		}
	}
	if both.N != 2*pool || both.Pool != pool || len(both.C) != pool {
		t.Fatalf("record of %d uploads in pools of %d with %d matrices; want %d, %d, %d", both.N, both.Pool, len(both.C), 2*pool, pool, pool)
	}
	for c, e := range each {
		for i := range pool {
			if both.Pos[c*pool+i] != c*pool+e.Pos[i] {
				t.Fatalf("call %d input %d uploaded at %d, alone at %d", c, i, both.Pos[c*pool+i], e.Pos[i])
			}
		}
		if !slices.Equal(both.Uploads[c*pool*up:(c+1)*pool*up], e.Uploads) || !slices.Equal(both.Features[c*pool*up:(c+1)*pool*up], e.Features) {
			t.Fatalf("call %d: the recording differs from the call's own", c)
		}
	}
	// The cloud's view is the features, mixed and shuffled: input i's row is at Pos[i].
	for i := range both.N {
		g, r := i/2, i%2
		u := both.Uploads[both.Pos[i]*up : (both.Pos[i]+1)*up]
		for j := range 5 {
			want := both.C[g].At(r, 0)*float64(both.Features[(2*g)*up+j]) + both.C[g].At(r, 1)*float64(both.Features[(2*g+1)*up+j])
			if d := math.Abs(float64(u[j]) - want); d > 1e-5*(1+math.Abs(want)) { // 1e-5: float32 storage of a float64 blend
				t.Fatalf("input %d value %d: upload %g, C·H %g", i, j, u[j], want)
			}
		}
	}
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, "calls of 6") {
			t.Errorf("recording a call of another size: panic %q, want one naming the pool", r)
		}
	}()
	p.Logits(logits[:2*net.Classes], x[:2*in])
}
