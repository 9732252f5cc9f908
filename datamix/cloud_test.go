package datamix

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/datamix/harness/models"
)

// TestCloudBatchSizes: the body's answers do not depend on how the cloud cuts the uploads into
// batches — all at once, batches of 16 with the remainder in powers of two, or one by one —
// bit for bit, and a cloud with the tail returns the whole network's logits at split 0.
func TestCloudBatchSizes(t *testing.T) {
	net := testNet(t, 1)
	const n = 27                                                                       // 16 + 8 + 2 + 1
	up := randomImages(net, n*net.UploadDim()/net.InputDim()+1, 5)[:n*net.UploadDim()] // any values: uploads
	var want []float32
	for _, b := range []int{0, 16, 1, 5} {
		c := NewCloud(net)
		c.SetBatch(b)
		got := make([]float32, n*net.DownloadDim())
		if err := c.Body(got, up); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
		} else if !slices.Equal(got, want) {
			t.Errorf("batches of %d: answers differ from one batch of %d", b, n)
		}
	}

	whole := testNet(t, 0)
	x := randomImages(whole, 6, 7)
	inf, _ := models.NewInferer(whole, 6)
	z := make([]float32, 6*whole.DownloadDim())
	ref := make([]float32, 6*whole.Classes)
	inf.Body(z, x)
	inf.Tail(ref, z)
	c := NewCloudWithTail(whole)
	if c.OutputDim() != whole.Classes {
		t.Fatalf("a cloud with the tail returns %d values, want the %d logits", c.OutputDim(), whole.Classes)
	}
	got := make([]float32, len(ref))
	if err := c.Body(got, x); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, ref) {
		t.Error("the cloud with the tail does not return the whole network's logits")
	}
}

// failing is a transport whose cloud is unreachable.
type failing struct{}

func (failing) Exchange(context.Context, []float32, []float32) error {
	return errors.New("unreachable")
}

// TestEdgeReportsFailedExchange: an edge whose exchange fails returns the transport's error
// and records nothing of the pool.
func TestEdgeReportsFailedExchange(t *testing.T) {
	net := testNet(t, 1)
	e := NewEdge(net, dirichletScheme(t, 2), rand.New(rand.NewPCG(1, 1)), failing{})
	var rec Record
	e.Record(&rec)
	err := e.Logits(context.Background(), make([]float32, 4*net.Classes), randomImages(net, 4, 1))
	if err == nil || err.Error() != "unreachable" {
		t.Errorf("error %v, want the transport's", err)
	}
	if rec.N != 0 {
		t.Errorf("a failed pool was recorded (%d uploads)", rec.N)
	}
}
