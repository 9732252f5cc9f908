package datamix

import (
	"context"
	"fmt"

	"github.com/datamix/harness/models"
)

// Transport carries the exchange between the edge and the cloud: the uploads of one pool go
// up, the body's answers come back. Local is the cloud in the same process, which experiments
// use; package wire carries the same exchange over gRPC. A Transport is what the edge knows of
// the cloud: it sees the uploads only as the cloud does, after mixing and shuffling.
type Transport interface {
	// Exchange sends uploads (rows of UploadDim values, in the order the cloud receives
	// them) and writes the cloud's answers into returns (one row of DownloadDim values per
	// upload, in the same order). It fails when the cloud cannot answer; the edge then has
	// no prediction for the pool.
	Exchange(ctx context.Context, returns, uploads []float32) error
}

// Cloud is the cloud's half of the protocol: the body g, run on every upload it receives,
// and nothing else — it holds no secret and, given a network loaded from its body file alone
// (models.LoadPart), no head or tail weights. The raw-upload baseline, which sends the input
// and runs the whole network in the cloud, is the one exception: NewCloudWithTail.
//
// The body acts on each upload on its own (batch norms use their running statistics), so an
// upload's answer does not depend on which others share its batch. Body runs the rows
// SetBatch rows at a time; a remainder runs in batches of decreasing powers of two, so a
// cloud that serves batches of any size up to n builds at most 1 + log₂ n graphs.
//
// A Cloud is not safe for concurrent use.
type Cloud struct {
	net   *models.Net
	tail  bool // also run the tail: the raw-upload baseline
	batch int
	infs  map[int]*models.Inferer // per batch size
	mid   []float32               // the body's output before the tail (NewCloudWithTail)
}

// NewCloud returns the cloud half serving net's body.
func NewCloud(net *models.Net) *Cloud { return &Cloud{net: net, infs: map[int]*models.Inferer{}} }

// NewCloudWithTail returns a cloud that runs net's body and then its tail, returning logits:
// the whole network in the cloud when net is split at 0. It is the baseline that uploads the
// input itself, not a DataMix deployment: the cloud sees the predictions.
func NewCloudWithTail(net *models.Net) *Cloud {
	c := NewCloud(net)
	c.tail = true
	return c
}

// Net is the network the cloud serves the body of.
func (c *Cloud) Net() *models.Net { return c.net }

// InputDim is the number of values of one upload; OutputDim of one answer.
func (c *Cloud) InputDim() int { return c.net.UploadDim() }

// OutputDim is the number of values the cloud returns per upload: the body's output, or the
// logits with the tail.
func (c *Cloud) OutputDim() int {
	if c.tail {
		return c.net.Classes
	}
	return c.net.DownloadDim()
}

// SetBatch sets the most uploads the body runs at once; 0, the default, runs every call at
// once. It panics for n < 0.
func (c *Cloud) SetBatch(n int) {
	if n < 0 {
		panic(fmt.Sprintf("datamix: batch %d, need ≥ 0", n))
	}
	c.batch = n
}

// Body computes the answers to uploads (rows of InputDim values) into dst (rows of OutputDim
// values): the body, and the tail for NewCloudWithTail.
func (c *Cloud) Body(dst, uploads []float32) error {
	in, out := c.InputDim(), c.OutputDim()
	if len(uploads)%in != 0 || len(dst) != len(uploads)/in*out {
		panic(fmt.Sprintf("datamix: %d upload values and %d answer values are not whole rows of %d and %d", len(uploads), len(dst), in, out))
	}
	rows := len(uploads) / in
	for lo := 0; lo < rows; {
		n := c.chunk(rows - lo)
		inf, err := c.inferer(n)
		if err != nil {
			return err
		}
		if err := c.run(inf, dst[lo*out:(lo+n)*out], uploads[lo*in:(lo+n)*in]); err != nil {
			return err
		}
		lo += n
	}
	return nil
}

// chunk is how many of the left rows the next batch runs.
func (c *Cloud) chunk(left int) int {
	if c.batch == 0 {
		return left
	}
	if left >= c.batch {
		return c.batch
	}
	n := 1
	for n*2 <= left {
		n *= 2
	}
	return n
}

// inferer returns the graphs of batch size n, building them once.
func (c *Cloud) inferer(n int) (*models.Inferer, error) {
	if inf, ok := c.infs[n]; ok {
		return inf, nil
	}
	parts := []models.Part{models.Body}
	if c.tail {
		parts = append(parts, models.Tail)
	}
	inf, err := models.NewPartInferer(c.net, n, parts...)
	if err != nil {
		return nil, err
	}
	c.infs[n] = inf
	return inf, nil
}

// run applies the body (and the tail) to one batch.
func (c *Cloud) run(inf *models.Inferer, dst, src []float32) error {
	if !c.tail {
		return inf.Body(dst, src)
	}
	n := len(src) / c.InputDim()
	need := n * c.net.DownloadDim()
	if cap(c.mid) < need {
		c.mid = make([]float32, need)
	}
	mid := c.mid[:need]
	if err := inf.Body(mid, src); err != nil {
		return err
	}
	return inf.Tail(dst, mid)
}

// Local returns the in-process transport to cloud: Exchange runs its body on the uploads, in
// this goroutine. It is what experiments evaluate through.
func Local(cloud *Cloud) Transport { return local{cloud} }

type local struct{ cloud *Cloud }

func (l local) Exchange(_ context.Context, returns, uploads []float32) error {
	return l.cloud.Body(returns, uploads)
}
