package datamix

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

func testNet(t *testing.T, split int) *models.Net {
	t.Helper()
	arch, err := models.Lookup("mnist-cnn")
	if err != nil {
		t.Fatal(err)
	}
	net, err := models.New(arch, 10, split, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func dirichletScheme(t *testing.T, k int) Scheme {
	t.Helper()
	s, err := mixing.NewSampler("dirichlet", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Scheme{Scheme: mixing.Scheme{K: k, Sampler: s}}
}

// TestCost checks the accounting against the network's analytic FLOPs by hand: mnist-cnn at
// split 1 uploads 16×14×14 float32 features and gets 128 values back.
func TestCost(t *testing.T) {
	net := testNet(t, 1)
	f := net.FLOPs()
	for _, k := range []int{1, 2, 4} {
		c := dirichletScheme(t, k).Cost(net)
		if want := f.Head + f.Tail + int64(2*k*(16*14*14+128)); c.Edge != want {
			t.Errorf("k=%d: edge FLOPs %d, want %d", k, c.Edge, want)
		}
		if c.Cloud != f.Body || c.UploadBytes != 4*16*14*14 || c.DownloadBytes != 4*128 {
			t.Errorf("k=%d: cloud %d (want %d), bytes %d/%d (want %d/%d)", k, c.Cloud, f.Body, c.UploadBytes, c.DownloadBytes, 4*16*14*14, 4*128)
		}
		if fr := c.EdgeFrac(); fr <= 0.1 || fr >= 0.2 { // the paper's bound is 20%; the head is ≈ 11%
			t.Errorf("k=%d: edge share %.3f, want in (0.1, 0.2)", k, fr)
		}
	}
	if c := (Scheme{Scheme: mixing.Scheme{K: 1}}).Cost(net); c.Edge != f.Head+f.Tail {
		t.Errorf("unmixed scheme: edge FLOPs %d, want head+tail %d (no mixing cost)", c.Edge, f.Head+f.Tail)
	}
}

// TestTrainerDrawsPerStep: the datamix trainer is models.Trainer fed with a fresh
// block-diagonal C per step drawn from the given generator, in that order: the same steps
// taken by hand give bit-identical losses.
func TestTrainerDrawsPerStep(t *testing.T) {
	const batch, steps = 8, 3
	s := dirichletScheme(t, 2)
	netA, netB := testNet(t, 1), testNet(t, 1)
	a, err := NewTrainer(netA, batch, s, 1e-3, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := models.NewTrainer(netB, batch, true, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	rngB := rand.New(rand.NewPCG(5, 6))
	data := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, batch*netA.InputDim())
	y := make([]int, batch)
	mix, demix := make([]float32, batch*batch), make([]float32, batch*batch)
	for step := range steps {
		for i := range x {
			x[i] = data.Float32()
		}
		for i := range y {
			y[i] = data.IntN(10)
		}
		la, ca, err := a.Step(x, y)
		if err != nil {
			t.Fatal(err)
		}
		cs, cInvs, err := mixing.DrawGroups(s.Guard, s.Sampler, rngB, batch, s.K)
		if err != nil {
			t.Fatal(err)
		}
		mixing.BlockDiag(mix, cs)
		mixing.BlockDiag(demix, cInvs)
		lb, cb, err := b.Step(x, y, mix, demix)
		if err != nil {
			t.Fatal(err)
		}
		if la != lb || ca != cb {
			t.Fatalf("step %d: loss %v / %d correct, by hand %v / %d", step, la, ca, lb, cb)
		}
	}
	var wa, wb bytes.Buffer
	if err := netA.Save(&wa); err != nil {
		t.Fatal(err)
	}
	if err := netB.Save(&wb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa.Bytes(), wb.Bytes()) {
		t.Error("the weights differ after the same steps")
	}
}
