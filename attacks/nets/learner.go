package nets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Learner returns the attacks' Learner on the trained network net: decoders
// (models.Decoder), net's head and shadow heads as white boxes (models.Inverter for rMLE), and
// shadow models of net trained through its frozen body (models.Net.Shadow,
// models.NewShadowTrainer).
func Learner(net *models.Net) attacks.Learner { return &learner{net: net} }

// learner is Learner's attacks.Learner.
type learner struct {
	net *models.Net
}

func (l *learner) TrainDecoder(x []float32, shape []int, y []float32, n int, o attacks.DecoderOptions, rng *rand.Rand) (attacks.Decoder, error) {
	a := l.net.Arch
	d, err := models.NewDecoder(shape, a.C, a.H, a.W, o.Width, rng)
	if err != nil {
		return nil, err
	}
	if _, err := d.Fit(x, y, n, models.DecoderFit{Epochs: o.Epochs, Batch: o.Batch, LR: o.LR}, rng); err != nil {
		return nil, err
	}
	return d, nil
}

func (l *learner) Head() (attacks.WhiteBox, error) { return &whiteBox{net: l.net}, nil }

// Shadow trains a shadow model of the net (models.Net.Shadow) on n labelled images for
// o.Epochs epochs, in an order drawn from rng per epoch (the n mod o.Batch left over by an
// epoch's order wait for the next), mixing-aware when o.Scheme groups more than one input,
// with coefficients drawn from rng as o.Scheme draws them.
func (l *learner) Shadow(x []float32, labels []int, n int, o attacks.ShadowOptions, rng *rand.Rand) (attacks.WhiteBox, error) {
	k := o.Scheme.K
	if o.Batch < 1 || k < 1 || o.Batch%k != 0 || n < o.Batch {
		return nil, fmt.Errorf("nets: shadow model on %d images in batches of %d, groups of %d", n, o.Batch, k)
	}
	s, err := l.net.Shadow(rng)
	if err != nil {
		return nil, err
	}
	mixed := k > 1
	tr, err := models.NewShadowTrainer(s, o.Batch, mixed, o.LR)
	if err != nil {
		return nil, err
	}
	dim := s.InputDim()
	bx, by := make([]float32, o.Batch*dim), make([]int, o.Batch)
	var mix, demix []float32
	if mixed {
		mix, demix = make([]float32, o.Batch*o.Batch), make([]float32, o.Batch*o.Batch)
	}
	for e := range o.Epochs {
		perm := rng.Perm(n)
		for lo := 0; lo+o.Batch <= n; lo += o.Batch {
			for i, j := range perm[lo : lo+o.Batch] {
				copy(bx[i*dim:(i+1)*dim], x[j*dim:(j+1)*dim])
				by[i] = labels[j]
			}
			if mixed {
				cs, cInvs, err := o.Scheme.Draw(rng, o.Batch)
				if err != nil {
					return nil, err
				}
				mixing.BlockDiag(mix, cs)
				mixing.BlockDiag(demix, cInvs)
			}
			if _, _, err := tr.Step(bx, by, mix, demix); err != nil {
				return nil, fmt.Errorf("nets: shadow model, epoch %d: %w", e+1, err)
			}
		}
	}
	return &whiteBox{net: s}, nil
}

// whiteBox is a net's head as the attacks see it: run it, and invert it by optimisation.
type whiteBox struct {
	net *models.Net
	inf attacks.Network
}

func (w *whiteBox) Head(x []float32, n int) ([]float32, error) {
	if w.inf == nil {
		w.inf = Target(w.net)
	}
	return w.inf.Head(x, n)
}

// invertBatch is the batch size of the inversion's graph: large enough to keep both cores
// busy, small enough that a cell's attacks keep a bounded memory.
const invertBatch = 100

// Invert runs rMLE (models.Inverter) on the targets in batches of invertBatch, the last one
// padded with copies of its last target (whose results are dropped).
func (w *whiteBox) Invert(targets []float32, n int, init []float32, o attacks.InvertOptions) ([]float32, error) {
	d, dim := w.net.UploadDim(), w.net.InputDim()
	if len(targets) != n*d || len(init) != n*dim {
		panic(fmt.Sprintf("nets: invert %d targets of %d values from %d values", n, d, len(init)))
	}
	if o.TV < 0 || math.IsNaN(o.TV) {
		return nil, fmt.Errorf("nets: total variation weight %v", o.TV)
	}
	batch := min(n, invertBatch)
	inv, err := models.NewInverter(w.net, batch, o.TV)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(init)
	x, t := make([]float32, batch*dim), make([]float32, batch*d)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		for i := range batch {
			j := min(lo+i, hi-1)
			copy(x[i*dim:(i+1)*dim], init[j*dim:(j+1)*dim])
			copy(t[i*d:(i+1)*d], targets[j*d:(j+1)*d])
		}
		if _, err := inv.Invert(x, t, o.Iterations, o.LR); err != nil {
			return nil, err
		}
		copy(out[lo*dim:hi*dim], x)
	}
	return out, nil
}
