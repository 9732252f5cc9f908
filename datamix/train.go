package datamix

import (
	"math/rand/v2"

	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Trainer trains a network mixing-aware: every step draws a fresh secret C for each group of
// K consecutive training inputs and minimises the cross-entropy of tail(C⁻¹·body(C·head(X)))
// end to end, so that the network learns to classify through mixing and de-mixing, which a
// non-linear body does not commute with. Under an unmixed scheme it trains the plain network
// tail(body(head(X))). Shuffling plays no part in training: it permutes the uploads and the
// edge undoes it exactly. The scheme's defences sit in the training graph at their stages
// (models.NewTrainer), with fresh random draws every step, so the network learns through the
// transforms inference applies; a NoPeek defence adds its penalty to the loss.
//
// A Trainer is not safe for concurrent use.
type Trainer struct {
	tr     *models.Trainer
	scheme Scheme
	rng    *rand.Rand

	mix, demix []float32   // batch × batch block-diagonal C and C⁻¹ of the current step
	draws      [][]float32 // the random defences' draws of the current step
}

// NewTrainer builds a trainer of net at the given batch size (a multiple of s.K) with Adam at
// learning rate lr (models.NewTrainer). rng draws the coefficient matrices of every step.
func NewTrainer(net *models.Net, batch int, s Scheme, lr float64, rng *rand.Rand) (*Trainer, error) {
	s.Check(batch)
	tr, err := models.NewTrainer(net, batch, s.Mixed(), lr, s.Defences...)
	if err != nil {
		return nil, err
	}
	return newTrainer(tr, net, batch, s, rng), nil
}

// NewShadowTrainer is NewTrainer for a shadow model of a network (models.Net.Shadow): the
// head and tail learn, mixing-aware under s, through the body, which keeps its weights
// (models.NewShadowTrainer). An attacker trains it under the scheme it assumes: the edge's
// group size, guard and defences with the coefficient distribution it believes in, so that
// the shadow head learns to speak to the body as the edge's head does.
func NewShadowTrainer(shadow *models.Net, batch int, s Scheme, lr float64, rng *rand.Rand) (*Trainer, error) {
	s.Check(batch)
	tr, err := models.NewShadowTrainer(shadow, batch, s.Mixed(), lr, s.Defences...)
	if err != nil {
		return nil, err
	}
	return newTrainer(tr, shadow, batch, s, rng), nil
}

// NewSubstituteTrainer is NewShadowTrainer with FORA's alignment term (models.Alignment) in the
// loss: the uploads the shadow simulates from each batch — head, defences, mixing as s says —
// are pulled towards a batch of uploads the cloud really received, set before every step
// (SetAligned).
func NewSubstituteTrainer(shadow *models.Net, batch int, s Scheme, lr float64, al models.Alignment, rng *rand.Rand) (*Trainer, error) {
	s.Check(batch)
	tr, err := models.NewSubstituteTrainer(shadow, batch, s.Mixed(), lr, al, s.Defences...)
	if err != nil {
		return nil, err
	}
	return newTrainer(tr, shadow, batch, s, rng), nil
}

// SetAligned sets the real uploads the alignment term of a substitute trainer compares the
// next steps' simulated uploads with (models.Trainer.SetAligned).
func (t *Trainer) SetAligned(uploads []float32) { t.tr.SetAligned(uploads) }

// Alignment is the last step's MMD² of a substitute trainer (models.Trainer.Alignment).
func (t *Trainer) Alignment() float64 { return t.tr.Alignment() }

// newTrainer wraps a models trainer of net with the draws of scheme s.
func newTrainer(tr *models.Trainer, net *models.Net, batch int, s Scheme, rng *rand.Rand) *Trainer {
	t := &Trainer{tr: tr, scheme: s, rng: rng}
	for _, d := range s.Defences {
		if d.Form().Random() {
			t.draws = append(t.draws, make([]float32, batch*net.UploadDim()))
		}
	}
	if s.Mixed() {
		t.mix, t.demix = make([]float32, batch*batch), make([]float32, batch*batch)
	}
	return t
}

// SetLR sets the learning rate of the following steps; Adam's moment estimates are kept.
func (t *Trainer) SetLR(lr float64) { t.tr.SetLR(lr) }

// Step draws this step's secrets (the C's, then the defences' random inputs in their order)
// and runs one optimisation step on x (batch × InputDim) with integer labels. It returns the
// batch's mean cross-entropy and the number of correctly classified inputs. A non-finite loss
// or a coefficient draw the guard rejects is an error, and leaves the weights as they were.
func (t *Trainer) Step(x []float32, labels []int) (loss float64, correct int, err error) {
	if t.scheme.Mixed() {
		cs, cInvs, err := t.scheme.Draw(t.rng, t.tr.Batch())
		if err != nil {
			return 0, 0, err
		}
		mixing.BlockDiag(t.mix, cs)
		mixing.BlockDiag(t.demix, cInvs)
	}
	i := 0
	for _, d := range t.scheme.Defences {
		if d.Form().Random() {
			d.Draw(t.draws[i], t.rng)
			i++
		}
	}
	return t.tr.Step(x, labels, t.mix, t.demix, t.draws...)
}

// Penalty is the distance correlation dCor(X, H) of the last step's batch, measured by a
// NoPeek defence (0 without one).
func (t *Trainer) Penalty() float64 { return t.tr.Penalty() }
