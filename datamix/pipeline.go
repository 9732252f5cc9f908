package datamix

import (
	"context"
	"math/rand/v2"

	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Pipeline is DataMix inference between one edge device and one cloud in one process: an
// Edge whose transport is Local, the cloud's body running in the caller's goroutine. The edge
// runs the head on groups of K inputs, mixes each group with a fresh secret C, optionally
// shuffles the uploads of all groups of a call together (one shuffling pool), the cloud runs
// the body, and the edge un-shuffles, de-mixes with C⁻¹ (in float64) and runs the tail. The
// network runs on at most SetBatch inputs at a time, so a pool may be far larger than what
// the network holds at once. The scheme's defences act on the edge at their stages: before
// mixing on the head's output, after mixing on the uploads.
//
// A Pipeline is not safe for concurrent use; it holds the graphs and buffers of one batch
// size and rebuilds them when the batch size changes.
type Pipeline struct {
	edge  *Edge
	cloud *Cloud
}

// NewPipeline returns a Pipeline whose secrets (each group's C and the shuffle of the
// uploads) are drawn from rng. Experiments pass a seeded generator so that their runs
// repeat; a real deployment must use NewCryptoPipeline.
func NewPipeline(net *models.Net, s Scheme, rng *rand.Rand) *Pipeline {
	cloud := NewCloud(net)
	return &Pipeline{edge: NewEdge(net, s, rng, Local(cloud)), cloud: cloud}
}

// NewCryptoPipeline returns a Pipeline for real use: every secret is drawn from crypto/rand
// (mixing.CryptoRand), never from a seed. Secrets from a seeded, guessable generator can be
// recovered by guessing the seed: InstaHide, a related mixing scheme, fell partly that way.
func NewCryptoPipeline(net *models.Net, s Scheme) *Pipeline {
	return NewPipeline(net, s, mixing.CryptoRand())
}

// Net is the network the pipeline serves.
func (p *Pipeline) Net() *models.Net { return p.edge.net }

// Scheme is the pipeline's mixing scheme.
func (p *Pipeline) Scheme() Scheme { return p.edge.scheme }

// Edge is the pipeline's edge half.
func (p *Pipeline) Edge() *Edge { return p.edge }

// Record makes every following call append what it exchanged to r (see Edge.Record).
func (p *Pipeline) Record(r *Record) { p.edge.Record(r) }

// SetBatch sets the most inputs the network runs at once, on the edge and in the cloud: a
// call to Logits with more runs head, body and tail batch after batch while it mixes,
// shuffles and de-mixes all of them as one pool. 0, the default, runs every call at once. A
// call's inputs must then be a multiple of n.
func (p *Pipeline) SetBatch(n int) {
	p.edge.SetBatch(n)
	p.cloud.SetBatch(n)
}

// Logits runs one pool x (pool × InputDim, pool a multiple of K and of the batch size set by
// SetBatch) through edge and cloud and writes the logits (pool × Classes) into dst
// (Edge.Logits): every group gets a fresh C, and with shuffling the uploads of the whole pool
// are shuffled together. A recording pipeline (Record) appends what was exchanged to its
// Record.
func (p *Pipeline) Logits(dst, x []float32) error {
	return p.edge.Logits(context.Background(), dst, x)
}
