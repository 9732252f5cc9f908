package nets

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/datamix"
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

// TestTargetMatchesTheNetwork: the attacks' view of a network runs its head and body exactly
// as the network's own inferer does, for a number of inputs that is not a whole number of the
// target's batches; at split 0 the head is the identity.
func TestTargetMatchesTheNetwork(t *testing.T) {
	net := testNet(t, 1)
	const n = targetBatch + 3
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n*net.InputDim())
	for i := range x {
		x[i] = rng.Float32()
	}
	tg := Target(net)
	h, err := tg.Head(x, n)
	if err != nil {
		t.Fatal(err)
	}
	inf, err := models.NewInferer(net, 1)
	if err != nil {
		t.Fatal(err)
	}
	up, down := net.UploadDim(), net.DownloadDim()
	for _, i := range []int{0, targetBatch - 1, targetBatch, n - 1} {
		want := make([]float32, up)
		if err := inf.Head(want, x[i*net.InputDim():(i+1)*net.InputDim()]); err != nil {
			t.Fatal(err)
		}
		// 1e-5: float32 sums of the convolution may run in another order at another batch size.
		for j, v := range want {
			if d := v - h[i*up+j]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("input %d value %d: target head %v, network %v", i, j, h[i*up+j], v)
			}
		}
	}
	ret, err := tg.Body(h, n)
	if err != nil || len(ret) != n*down || tg.ReturnDim() != down || !slices.Equal(tg.UploadShape(), net.UploadShape()) {
		t.Fatalf("body: %d values (%v), want %d; shapes %v %d", len(ret), err, n*down, tg.UploadShape(), tg.ReturnDim())
	}
	pix, err := Target(testNet(t, 0)).Head(x, n)
	if err != nil || !slices.Equal(pix, x) {
		t.Fatalf("split 0: the head is not the identity (%v)", err)
	}
}

// TestShadowUnderTheScheme: a shadow model trains under the scheme it is given — mixing-aware
// in groups of k, drawing each group's C as the scheme draws it — and its head keeps the
// network's upload shape; a batch that is not a whole number of groups is refused.
func TestShadowUnderTheScheme(t *testing.T) {
	net := testNet(t, 1)
	s, err := mixing.NewSampler("dirichlet", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	scheme := datamix.Scheme{Scheme: mixing.Scheme{K: 2, Sampler: s}}
	const n = 64
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, n*net.InputDim())
	for i := range x {
		x[i] = rng.Float32()
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 10
	}
	l := Learner(net)
	wb, err := l.Shadow(x, labels, n, attacks.ShadowOptions{Epochs: 1, Batch: 32, LR: 1e-3, Scheme: scheme}, rng)
	if err != nil {
		t.Fatal(err)
	}
	h, err := wb.Head(x[:2*net.InputDim()], 2)
	if err != nil || len(h) != 2*net.UploadDim() {
		t.Fatalf("shadow head: %d values (%v), want %d", len(h), err, 2*net.UploadDim())
	}
	if _, err := l.Shadow(x, labels, n, attacks.ShadowOptions{Epochs: 1, Batch: 31, LR: 1e-3, Scheme: scheme}, rng); err == nil ||
		!strings.Contains(err.Error(), "batches of 31, groups of 2") {
		t.Errorf("a batch of 31 in groups of 2: error %v, want one naming both", err)
	}
}
