package experiments

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Pipeline is DataMix inference between one edge device and one cloud (DataMix §4): the edge
// runs the head on groups of K inputs, mixes each group with a fresh secret C, optionally
// shuffles the uploads of all groups in a batch together, the cloud runs the body, and the
// edge un-shuffles, de-mixes with C⁻¹ (in float64) and runs the tail.
//
// RNG draws the secrets. Experiments pass a seeded generator so runs repeat; a deployment must
// pass mixing.CryptoRand(), since secrets from a guessable generator can be recovered
// (InstaHide fell partly to such an attack). K = 1 with a simplex sampler is plain split
// inference. A nil Sampler runs the network unmixed.
type Pipeline struct {
	Net     *models.Net
	Sampler mixing.Sampler
	Guard   mixing.Guard
	K       int
	Shuffle bool
	RNG     *rand.Rand

	inf                  *models.Inferer
	h, m, up, ret, zt, z []float32
}

// Exchange is what crossed the network for one batch, as the cloud saw it: the uploads in
// upload order (shuffled if shuffling is on) and the values the cloud returned, plus the
// edge's secrets (for scoring attacks only; an attacker never gets them).
type Exchange struct {
	Uploads, Returns []float32 // batch × UploadDim, batch × DownloadDim
	Features         []float32 // batch × UploadDim: the unmixed head output, in input order
	Perm             []int     // upload position of input row i (nil without shuffling)
	C                []*mat.Dense
}

// NewDeployment returns a Pipeline for real use: it draws the secrets (each group's C and
// the shuffle of the uploads) from crypto/rand through mixing.CryptoRand, never from a seed.
func NewDeployment(net *models.Net, s mixing.Sampler, g mixing.Guard, k int, shuffle bool) *Pipeline {
	return &Pipeline{Net: net, Sampler: s, Guard: g, K: k, Shuffle: shuffle, RNG: mixing.CryptoRand()}
}

// init prepares p to run batches of the given size (a multiple of p.K).
func (p *Pipeline) init(batch int) error {
	if p.inf != nil && p.inf.Batch() == batch {
		return nil
	}
	if p.K < 1 || batch%p.K != 0 {
		panic(fmt.Sprintf("experiments: batch %d is not a multiple of group size %d", batch, p.K))
	}
	inf, err := models.NewInferer(p.Net, batch)
	if err != nil {
		return err
	}
	up, down := p.Net.UploadDim(), p.Net.DownloadDim()
	p.inf = inf
	p.h, p.m, p.up = make([]float32, batch*up), make([]float32, batch*up), make([]float32, batch*up)
	p.ret, p.zt, p.z = make([]float32, batch*down), make([]float32, batch*down), make([]float32, batch*down)
	return nil
}

// Logits runs one batch x (batch × InputDim) through edge and cloud and writes the logits
// (batch × Classes) into dst. When ex is not nil it is filled with what was exchanged; its
// slices alias the pipeline's buffers and are valid until the next call.
func (p *Pipeline) Logits(dst, x []float32, ex *Exchange) error {
	batch := len(x) / p.Net.InputDim()
	if err := p.init(batch); err != nil {
		return err
	}
	up, down := p.Net.UploadDim(), p.Net.DownloadDim()
	if err := p.inf.Head(p.h, x); err != nil {
		return err
	}
	var cs, cInvs []*mat.Dense
	upload := p.h
	if p.Sampler != nil {
		var err error
		if cs, cInvs, err = mixing.DrawGroups(p.Guard, p.Sampler, p.RNG, batch, p.K); err != nil {
			return err
		}
		mixing.MixBatch(p.m, cs, p.h, up)
		upload = p.m
	}
	var perm []int
	if p.Shuffle {
		perm = mixing.Permutation(p.RNG, batch)
		mixing.Shuffle(p.up, upload, up, perm)
		upload = p.up
	}
	if err := p.inf.Body(p.ret, upload); err != nil {
		return err
	}
	returned := p.ret
	if perm != nil {
		mixing.Unshuffle(p.zt, p.ret, down, perm)
		returned = p.zt
	}
	if p.Sampler != nil {
		mixing.DemixBatch(p.z, cInvs, returned, down)
		returned = p.z
	}
	if ex != nil {
		*ex = Exchange{Uploads: upload, Returns: p.ret, Features: p.h, Perm: perm, C: cs}
	}
	return p.inf.Tail(dst, returned)
}
