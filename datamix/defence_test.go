package datamix

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/models"
)

func testImages(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// exchange runs one batch through a pipeline of scheme s (seeded) and returns its record.
func exchange(t *testing.T, net *models.Net, s Scheme, x []float32) Record {
	t.Helper()
	p := NewPipeline(net, s, rand.New(rand.NewPCG(9, 9)))
	logits := make([]float32, len(x)/net.InputDim()*net.Classes)
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
	return ex
}

// TestPipelineAppliesDefences: the uploads the cloud receives carry the defences — noise of the
// configured size on top of the very mixtures an undefended pipeline with the same secrets
// sends, quantised values on at most 2^b levels per upload — while the exchange's Features
// stay the clean head output; a NoPeek defence (training only) changes nothing at inference.
func TestPipelineAppliesDefences(t *testing.T) {
	net := testNet(t, 1)
	plain := dirichletScheme(t, 2)
	const batch = 16
	x := testImages(batch, net.InputDim(), 1)
	up := net.UploadDim()
	ref := exchange(t, net, plain, x)

	noisy := plain
	noisy.Defences = defence.Stack{defence.Noise{Dist: defence.Gaussian, Scale: 0.5, At: defence.AfterMix}}
	got := exchange(t, net, noisy, x) // the C's are drawn first: the same as ref's
	var ss, ssRef float64
	for lo := 0; lo < len(ref.Uploads); lo += up {
		_, std := defence.RowStats(ref.Uploads[lo : lo+up])
		for j := lo; j < lo+up; j++ {
			e := (float64(got.Uploads[j]) - float64(ref.Uploads[j])) / std
			ss += e * e
		}
		ssRef += float64(up)
	}
	// The standardised noise has variance 0.5² = 0.25; over 16·12544 values the sample
	// variance's standard error is 0.25·√(2/200704) ≈ 0.0008, so ±0.004 is a 5σ bound.
	if v := ss / ssRef; math.Abs(v-0.25) > 0.004 {
		t.Errorf("upload noise variance %.4f (in units of each upload's variance), want 0.25", v)
	}
	for i := range ref.Features {
		if got.Features[i] != ref.Features[i] {
			t.Fatalf("Features[%d] = %v, want the clean head output %v", i, got.Features[i], ref.Features[i])
		}
	}

	quant := plain
	quant.Defences = defence.Stack{defence.Quantiser{Bits: 3}}
	q := exchange(t, net, quant, x)
	for lo := 0; lo < len(q.Uploads); lo += up {
		levels := map[float32]bool{}
		for _, v := range q.Uploads[lo : lo+up] {
			levels[v] = true
		}
		if len(levels) > 8 {
			t.Fatalf("upload %d takes %d values, want at most 2³", lo/up, len(levels))
		}
	}

	nopeek := plain
	nopeek.Defences = defence.Stack{defence.NoPeek{Weight: 1}}
	np := exchange(t, net, nopeek, x)
	for i := range ref.Uploads {
		if np.Uploads[i] != ref.Uploads[i] {
			t.Fatalf("NoPeek changed upload value %d at inference", i)
		}
	}
}

// TestMaskBeforeMixing: a mask of rate p on the features at split 0 and k = 1 (C = [1]) zeroes
// a fraction p of the uploaded pixels, which are never 0 otherwise here.
func TestMaskBeforeMixing(t *testing.T) {
	net := testNet(t, 0)
	const batch, p = 32, 0.4
	x := testImages(batch, net.InputDim(), 2)
	for i := range x {
		x[i] = 0.5 + x[i]/2
	}
	s := dirichletScheme(t, 1)
	s.Defences = defence.Stack{defence.Mask{Rate: p, At: defence.BeforeMix}}
	ex := exchange(t, net, s, x)
	zeros := 0
	for _, v := range ex.Uploads {
		if v == 0 {
			zeros++
		}
	}
	n := float64(len(ex.Uploads))
	// Binomial standard error √(p(1−p)/n) ≈ 0.0031 over 25,088 values; 4.42 of them bound a
	// false failure at about 1 in 100,000.
	if frac := float64(zeros) / n; math.Abs(frac-p) > 4.42*math.Sqrt(p*(1-p)/n) {
		t.Errorf("masked fraction %.4f, want %.2f", frac, p)
	}
}

// TestCostWithDefences: defences add their FLOPs per uploaded value to the edge (and
// quantisation its decoding to the cloud), and quantisation sets the upload's bytes.
func TestCostWithDefences(t *testing.T) {
	net := testNet(t, 1)
	plain := dirichletScheme(t, 2)
	s := plain
	s.Defences = defence.Stack{defence.Mask{Rate: 0.3, At: defence.BeforeMix}, defence.Quantiser{Bits: 4}}
	c0, c := plain.Cost(net), s.Cost(net)
	d := int64(net.UploadDim()) // 12,544
	if c.Edge-c0.Edge != (2+5)*d || c.Cloud-c0.Cloud != 2*d {
		t.Errorf("defence FLOPs: edge +%d, cloud +%d; want +%d and +%d", c.Edge-c0.Edge, c.Cloud-c0.Cloud, 7*d, 2*d)
	}
	if c.UploadBytes != d/2+8 || c0.UploadBytes != 4*d {
		t.Errorf("upload bytes %d (4 bit) and %d (float32), want %d and %d", c.UploadBytes, c0.UploadBytes, d/2+8, 4*d)
	}
}
