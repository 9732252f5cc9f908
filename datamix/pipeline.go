package datamix

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Pipeline is DataMix inference between one edge device and one cloud: the edge runs the
// head on groups of K inputs, mixes each group with a fresh secret C, optionally shuffles
// the uploads of all groups of a batch together, the cloud runs the body, and the edge
// un-shuffles, de-mixes with C⁻¹ (in float64) and runs the tail. The scheme's defences act on
// the edge at their stages: before mixing on the head's output, after mixing on the uploads.
//
// A Pipeline is not safe for concurrent use; it holds the graphs and buffers of one batch
// size and rebuilds them when the batch size changes.
type Pipeline struct {
	net    *models.Net
	scheme Scheme
	rng    *rand.Rand

	inf                  *models.Inferer
	h, m, up, ret, zt, z []float32

	defended, draws []float32 // the features after the before-mix defences; their random inputs
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

// Exchange is what crossed the network for one batch, as the cloud saw it: the uploads in
// upload order (shuffled if shuffling is on; defences applied, quantised uploads as the cloud
// decodes them) and the values the cloud returned, plus the edge's secrets, for scoring
// attacks only: an attacker never gets them. Features are the head's output before any
// defence.
type Exchange struct {
	Uploads, Returns []float32    // batch × UploadDim, batch × DownloadDim, in upload order
	Features         []float32    // batch × UploadDim: the unmixed head output, in input order
	Perm             []int        // upload position of input row i (nil without shuffling)
	C                []*mat.Dense // per group of K consecutive inputs (nil when unmixed)
}

// init prepares p to run batches of the given size.
func (p *Pipeline) init(batch int) error {
	p.scheme.check(batch)
	if p.inf != nil && p.inf.Batch() == batch {
		return nil
	}
	inf, err := models.NewInferer(p.net, batch)
	if err != nil {
		return err
	}
	up, down := p.net.UploadDim(), p.net.DownloadDim()
	p.inf = inf
	p.h, p.m, p.up = make([]float32, batch*up), make([]float32, batch*up), make([]float32, batch*up)
	p.ret, p.zt, p.z = make([]float32, batch*down), make([]float32, batch*down), make([]float32, batch*down)
	return nil
}

// Logits runs one batch x (batch × InputDim, batch a multiple of K) through edge and cloud
// and writes the logits (batch × Classes) into dst. When ex is not nil it is filled with
// what was exchanged; its slices alias the pipeline's buffers and are valid until the next
// call.
func (p *Pipeline) Logits(dst, x []float32, ex *Exchange) error {
	batch := len(x) / p.net.InputDim()
	if err := p.init(batch); err != nil {
		return err
	}
	up, down := p.net.UploadDim(), p.net.DownloadDim()
	// Edge: head, then mix each group with a fresh C, then shuffle.
	if err := p.inf.Head(p.h, x); err != nil {
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
	if err := p.inf.Body(p.ret, upload); err != nil {
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
	if ex != nil {
		*ex = Exchange{Uploads: upload, Returns: p.ret, Features: p.h, Perm: perm, C: cs}
	}
	return p.inf.Tail(dst, returned)
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
