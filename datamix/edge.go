package datamix

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Edge is the edge's half of the protocol: the head, the defences, mixing each group with a
// fresh secret C, shuffling the pool's uploads, and — once the cloud has answered through the
// Transport — un-shuffling, de-mixing and the tail. It holds every secret: the C's, the
// permutation, the defences' draws. The network it is given needs only its head and tail
// weights (models.LoadPart of the head and tail files); the body is the cloud's.
//
// An Edge is not safe for concurrent use; it holds the graphs and buffers of one batch size
// and rebuilds them when the batch size changes.
type Edge struct {
	net       *models.Net
	scheme    Scheme
	rng       *rand.Rand
	transport Transport
	batch     int // the most inputs the head and tail run at once; 0: a whole call

	inf                  *models.Inferer // head and tail
	h, m, up, ret, zt, z []float32

	defended, draws []float32 // the features after the before-mix defences; their random inputs

	rec *Record // where the calls are recorded; nil for none
}

// NewEdge returns the edge half serving net under s through t, its secrets drawn from rng:
// a seeded generator for experiments that must repeat, mixing.CryptoRand() for a deployment.
func NewEdge(net *models.Net, s Scheme, rng *rand.Rand, t Transport) *Edge {
	return &Edge{net: net, scheme: s, rng: rng, transport: t}
}

// Net is the network the edge serves.
func (e *Edge) Net() *models.Net { return e.net }

// Scheme is the edge's scheme.
func (e *Edge) Scheme() Scheme { return e.scheme }

// Record makes every following call append what it exchanged to r: the cloud's view
// (uploads and returns, as the edge sent and received them) and the edge's secrets
// (features, upload positions, each group's C). Every recorded call must have the same number
// of inputs, the Pool of r; a call of another size panics. nil stops recording.
func (e *Edge) Record(r *Record) { e.rec = r }

// SetBatch sets the most inputs the head and the tail run at once; 0, the default, runs every
// call at once. A call's inputs must then be a multiple of n.
func (e *Edge) SetBatch(n int) {
	if n < 0 {
		panic(fmt.Sprintf("datamix: batch %d, need ≥ 0", n))
	}
	e.batch = n
}

// init prepares e to run pools of the given size through head and tail in batches of batch.
func (e *Edge) init(pool, batch int) error {
	e.scheme.Check(pool)
	if pool%batch != 0 {
		panic(fmt.Sprintf("datamix: %d inputs are not whole batches of %d", pool, batch))
	}
	up, down := e.net.UploadDim(), e.net.DownloadDim()
	if e.inf == nil || e.inf.Batch() != batch {
		inf, err := models.NewPartInferer(e.net, batch, models.Head, models.Tail)
		if err != nil {
			return err
		}
		e.inf = inf
	}
	if len(e.h) != pool*up {
		e.h, e.m, e.up = make([]float32, pool*up), make([]float32, pool*up), make([]float32, pool*up)
		e.ret, e.zt, e.z = make([]float32, pool*down), make([]float32, pool*down), make([]float32, pool*down)
	}
	return nil
}

// Logits serves one pool x (pool × InputDim, pool a multiple of K and of the batch size set
// by SetBatch) and writes the logits (pool × Classes) into dst: every group gets a fresh C,
// and with shuffling the uploads of the whole pool are shuffled together; the pool's uploads
// go to the cloud in one Exchange. A recording edge (Record) appends what was exchanged to
// its Record. A failed exchange is returned as it is; the pool then has no prediction.
func (e *Edge) Logits(ctx context.Context, dst, x []float32) error {
	in := e.net.InputDim()
	batch := len(x) / in
	run := batch
	if e.batch > 0 && e.batch < batch {
		run = e.batch
	}
	if err := e.init(batch, run); err != nil {
		return err
	}
	up, down := e.net.UploadDim(), e.net.DownloadDim()
	// inBatches applies a stage of the network to a pool, run inputs at a time.
	inBatches := func(stage func(*models.Inferer, []float32, []float32) error, dst, src []float32, out, in int) error {
		for lo := 0; lo < batch; lo += run {
			if err := stage(e.inf, dst[lo*out:(lo+run)*out], src[lo*in:(lo+run)*in]); err != nil {
				return err
			}
		}
		return nil
	}
	// Edge: head, then mix each group with a fresh C, then shuffle.
	if err := inBatches((*models.Inferer).Head, e.h, x, up, in); err != nil {
		return err
	}
	cs, cInvs, err := e.scheme.Draw(e.rng, batch)
	if err != nil {
		return err
	}
	upload := e.defend(defence.BeforeMix, e.h)
	if e.scheme.Mixed() {
		mixing.MixBatch(e.m, cs, upload, up)
		upload = e.m
	}
	upload = e.defend(defence.AfterMix, upload)
	var perm []int
	if e.scheme.Shuffle {
		perm = mixing.Permutation(e.rng, batch)
		mixing.Shuffle(e.up, upload, up, perm)
		upload = e.up
	}
	// Cloud: the body, on the uploads in the order they arrive.
	if err := e.transport.Exchange(ctx, e.ret, upload); err != nil {
		return err
	}
	// Edge: un-shuffle, de-mix, tail.
	returned := e.ret
	if perm != nil {
		mixing.Unshuffle(e.zt, e.ret, down, perm)
		returned = e.zt
	}
	if e.scheme.Mixed() {
		mixing.DemixBatch(e.z, cInvs, returned, down)
		returned = e.z
	}
	if e.rec != nil {
		e.rec.add(batch, upload, e.ret, e.h, perm, cs)
	}
	return inBatches((*models.Inferer).Tail, dst, returned, e.net.Classes, down)
}

// defend applies the scheme's defences of stage st to rows (batch × UploadDim), drawing their
// random inputs after the batch's C's and before its shuffle, and returns the defended rows:
// rows itself when the stage has none, else rows defended in place — or a defended copy when
// rows is the head's output, which the exchange reports as it was.
func (e *Edge) defend(st defence.Stage, rows []float32) []float32 {
	defs := e.scheme.Defences
	if !defs.Has(st) {
		return rows
	}
	if &rows[0] == &e.h[0] {
		if len(e.defended) != len(rows) {
			e.defended = make([]float32, len(rows))
		}
		copy(e.defended, rows)
		rows = e.defended
	}
	defs.Apply(st, rows, e.net.UploadDim(), e.rng, &e.draws)
	return rows
}
