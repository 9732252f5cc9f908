package datamix

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Pipeline is DataMix inference between one edge device and one cloud: the edge runs the
// head on groups of K inputs, applies the scheme's before-mix defences, mixes each group with
// a fresh secret C, applies the after-mix defences, optionally shuffles the uploads of all
// groups of a batch (or of each pool of Scheme.Pool uploads) together, the cloud runs the
// body, and the edge un-shuffles, de-mixes with C⁻¹ (in float64) and runs the tail.
//
// A Pipeline is not safe for concurrent use; it holds the graphs and buffers of one batch
// size and rebuilds them when the batch size changes.
type Pipeline struct {
	net    *models.Net
	scheme Scheme
	rng    *rand.Rand

	inf                      *models.Inferer
	h, hd, m, up, ret, zt, z []float32
	draws                    []float32 // the defences' random inputs
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
// upload order (shuffled if shuffling is on), defences applied (quantised uploads as the
// cloud decodes them), and the values the cloud returned, plus the edge's secrets, for
// scoring attacks only: an attacker never gets them.
type Exchange struct {
	Uploads, Returns []float32    // batch × UploadDim, batch × DownloadDim, in upload order
	Features         []float32    // batch × UploadDim: the head output, in input order, before mixing and defences
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
	p.h, p.hd, p.m, p.up = make([]float32, batch*up), make([]float32, batch*up), make([]float32, batch*up), make([]float32, batch*up)
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
	// Edge: head, before-mix defences, mix each group with a fresh C, after-mix defences,
	// shuffle. The C's are drawn first, then the defences' random inputs, then the shuffle.
	if err := p.inf.Head(p.h, x); err != nil {
		return err
	}
	cs, cInvs, err := p.scheme.Draw(p.rng, batch)
	if err != nil {
		return err
	}
	defs := p.scheme.Defences
	features := p.h
	if defs.Has(defence.BeforeMix) {
		copy(p.hd, p.h)
		defs.Apply(defence.BeforeMix, p.hd, up, p.rng, &p.draws)
		features = p.hd
	}
	upload := features
	if p.scheme.Mixed() {
		mixing.MixBatch(p.m, cs, features, up)
		upload = p.m
	}
	if defs.Has(defence.AfterMix) {
		if &upload[0] == &p.h[0] { // keep the head output intact for the exchange
			copy(p.m, upload)
			upload = p.m
		}
		defs.Apply(defence.AfterMix, upload, up, p.rng, &p.draws)
	}
	var perm []int
	if p.scheme.Shuffle {
		perm = p.permutation(batch)
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

// permutation draws the shuffle of a batch: one permutation of the whole batch, or with
// Scheme.Pool set, one per pool of consecutive uploads (the last pool holding the rest), so
// that uploads move only within their pool. It returns the upload position of every row.
func (p *Pipeline) permutation(batch int) []int {
	pool := p.scheme.Pool
	if pool == 0 || pool >= batch {
		return mixing.Permutation(p.rng, batch)
	}
	perm := make([]int, batch)
	for lo := 0; lo < batch; lo += pool {
		hi := min(lo+pool, batch)
		for i, q := range mixing.Permutation(p.rng, hi-lo) {
			perm[lo+i] = lo + q
		}
	}
	return perm
}
