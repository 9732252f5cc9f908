package datamix

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Pipeline is DataMix inference between one edge device and one cloud: the edge runs the
// head on groups of K inputs, mixes each group with a fresh secret C, optionally shuffles
// the uploads of all groups of a call together (one shuffling pool), the cloud runs the
// body, and the edge un-shuffles, de-mixes with C⁻¹ (in float64) and runs the tail. The
// network runs on at most SetBatch inputs at a time, so a pool may be far larger than what
// the network holds at once. The scheme's defences act on the edge at their stages: before mixing on the head's output, after mixing on the uploads.
//
// A Pipeline is not safe for concurrent use; it holds the graphs and buffers of one batch
// size and rebuilds them when the batch size changes.
type Pipeline struct {
	net    *models.Net
	scheme Scheme
	rng    *rand.Rand
	batch  int // the most inputs the network runs at once; 0: a whole call

	inf                  *models.Inferer
	h, m, up, ret, zt, z []float32

	defended, draws []float32 // the features after the before-mix defences; their random inputs

	rec *Record // where the calls are recorded; nil for none
}

// NewPipeline returns a Pipeline whose secrets (each group's C and the shuffle of the
// uploads) are drawn from rng. Experiments pass a seeded generator so that their runs
// repeat; a real deployment must use NewCryptoPipeline.
func NewPipeline(net *models.Net, s Scheme, rng *rand.Rand) *Pipeline {
	return &Pipeline{net: net, scheme: s, rng: rng}
}

// NewCryptoPipeline returns a Pipeline for real use: every secret is drawn from crypto/rand
// (mixing.CryptoRand), never from a seed. Secrets from a seeded, guessable generator can be
// recovered by guessing the seed: InstaHide, a related mixing scheme, fell partly that way.
func NewCryptoPipeline(net *models.Net, s Scheme) *Pipeline {
	return NewPipeline(net, s, mixing.CryptoRand())
}

// Net is the network the pipeline serves.
func (p *Pipeline) Net() *models.Net { return p.net }

// Scheme is the pipeline's mixing scheme.
func (p *Pipeline) Scheme() Scheme { return p.scheme }

// Record is a recording of the pipeline's calls (Pipeline.Record), pool after pool: what the
// cloud observed, and the edge's secrets, which never leave the edge and serve only to score
// what an attacker concludes from the cloud's view.
type Record struct {
	Observed
	Secrets
}

// Observed is what the cloud observed over the recorded calls: every upload it received and
// every value it returned, in the order they crossed the network (shuffled within each call's
// pool when the scheme shuffles; defences applied, quantised uploads as the cloud decodes
// them). N is the number of uploads, Pool the number of uploads per call: the shuffling pool,
// which the protocol makes public like the rest of the scheme.
type Observed struct {
	N, Pool          int
	Uploads, Returns []float32 // N × UploadDim, N × DownloadDim, in arrival order
}

// Secrets is the edge's side of a recording. Input i is the i-th row of the recorded calls'
// inputs, call after call; groups are consecutive inputs [g·K, (g+1)·K), and input i's row
// of its group's mixing (its group's C, row i mod K) was uploaded at position Pos[i] of the
// cloud's view. Without shuffling Pos is the identity.
type Secrets struct {
	Features []float32    // N × UploadDim: each input's head output before any defence, in input order
	Pos      []int        // upload position of input i's mixture
	C        []*mat.Dense // per group (nil when unmixed)
}

// Record makes every following call append what it exchanged to r: the cloud's view
// (uploads and returns) and the edge's secrets (features, upload positions, each group's C).
// Every recorded call must have the same number of inputs, the Pool of r; a call of another
// size panics. nil stops recording.
func (p *Pipeline) Record(r *Record) { p.rec = r }

// SetBatch sets the most inputs the network runs at once: a call to Logits with more runs
// head, body and tail batch after batch while it mixes, shuffles and de-mixes all of them as
// one pool. 0, the default, runs every call at once. A call's inputs must then be a multiple
// of n.
func (p *Pipeline) SetBatch(n int) {
	if n < 0 {
		panic(fmt.Sprintf("datamix: batch %d, need ≥ 0", n))
	}
	p.batch = n
}

// init prepares p to run pools of the given size through the network in batches of batch.
func (p *Pipeline) init(pool, batch int) error {
	p.scheme.Check(pool)
	if pool%batch != 0 {
		panic(fmt.Sprintf("datamix: %d inputs are not whole batches of %d", pool, batch))
	}
	up, down := p.net.UploadDim(), p.net.DownloadDim()
	if p.inf == nil || p.inf.Batch() != batch {
		inf, err := models.NewInferer(p.net, batch)
		if err != nil {
			return err
		}
		p.inf = inf
	}
	if len(p.h) != pool*up {
		p.h, p.m, p.up = make([]float32, pool*up), make([]float32, pool*up), make([]float32, pool*up)
		p.ret, p.zt, p.z = make([]float32, pool*down), make([]float32, pool*down), make([]float32, pool*down)
	}
	return nil
}

// Logits runs one pool x (pool × InputDim, pool a multiple of K and of the batch size set by
// SetBatch) through edge and cloud and writes the logits (pool × Classes) into dst: every
// group gets a fresh C, and with shuffling the uploads of the whole pool are shuffled
// together. A recording pipeline (Record) appends what was exchanged to its Record.
func (p *Pipeline) Logits(dst, x []float32) error {
	in := p.net.InputDim()
	batch := len(x) / in
	run := batch
	if p.batch > 0 && p.batch < batch {
		run = p.batch
	}
	if err := p.init(batch, run); err != nil {
		return err
	}
	up, down := p.net.UploadDim(), p.net.DownloadDim()
	// inBatches applies a stage of the network to a pool, run inputs at a time.
	inBatches := func(stage func(*models.Inferer, []float32, []float32) error, dst, src []float32, out, in int) error {
		for lo := 0; lo < batch; lo += run {
			if err := stage(p.inf, dst[lo*out:(lo+run)*out], src[lo*in:(lo+run)*in]); err != nil {
				return err
			}
		}
		return nil
	}
	// Edge: head, then mix each group with a fresh C, then shuffle.
	if err := inBatches((*models.Inferer).Head, p.h, x, up, in); err != nil {
		return err
	}
	cs, cInvs, err := p.scheme.Draw(p.rng, batch)
	if err != nil {
		return err
	}
	upload := p.defend(defence.BeforeMix, p.h)
	if p.scheme.Mixed() {
		mixing.MixBatch(p.m, cs, upload, up)
		upload = p.m
	}
	upload = p.defend(defence.AfterMix, upload)
	var perm []int
	if p.scheme.Shuffle {
		perm = mixing.Permutation(p.rng, batch)
		mixing.Shuffle(p.up, upload, up, perm)
		upload = p.up
	}
	// Cloud: the body, on the uploads in the order they arrived.
	if err := inBatches((*models.Inferer).Body, p.ret, upload, down, up); err != nil {
		return err
	}
	// Edge: un-shuffle, de-mix, tail.
	returned := p.ret
	if perm != nil {
		mixing.Unshuffle(p.zt, p.ret, down, perm)
		returned = p.zt
	}
	if p.scheme.Mixed() {
		mixing.DemixBatch(p.z, cInvs, returned, down)
		returned = p.z
	}
	if p.rec != nil {
		p.rec.add(batch, upload, p.ret, p.h, perm, cs)
	}
	return inBatches((*models.Inferer).Tail, dst, returned, p.net.Classes, down)
}

// defend applies the scheme's defences of stage st to rows (batch × UploadDim), drawing their
// random inputs after the batch's C's and before its shuffle, and returns the defended rows:
// rows itself when the stage has none, else rows defended in place — or a defended copy when
// rows is the head's output, which the exchange reports as it was.
func (p *Pipeline) defend(st defence.Stage, rows []float32) []float32 {
	defs := p.scheme.Defences
	if !defs.Has(st) {
		return rows
	}
	if &rows[0] == &p.h[0] {
		if len(p.defended) != len(rows) {
			p.defended = make([]float32, len(rows))
		}
		copy(p.defended, rows)
		rows = p.defended
	}
	defs.Apply(st, rows, p.net.UploadDim(), p.rng, &p.draws)
	return rows
}

// add appends one call of n inputs to r: its uploads and returns in upload order, its
// features in input order, perm (the upload position of the call's input i; nil without
// shuffling) and its groups' C's. It panics when n differs from the earlier calls' pool.
func (r *Record) add(n int, uploads, returns, features []float32, perm []int, cs []*mat.Dense) {
	if r.N > 0 && n != r.Pool {
		panic(fmt.Sprintf("datamix: recording a call of %d inputs after calls of %d: a record holds pools of one size", n, r.Pool))
	}
	r.Pool = n
	r.Uploads = append(r.Uploads, uploads...)
	r.Returns = append(r.Returns, returns...)
	r.Features = append(r.Features, features...)
	for i := range n {
		pos := i
		if perm != nil {
			pos = perm[i]
		}
		r.Pos = append(r.Pos, r.N+pos)
	}
	r.C = append(r.C, cs...)
	r.N += n
}
