package nets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/datamix"
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
// epoch's order wait for the next), under the scheme the attacker assumes
// (datamix.NewShadowTrainer): mixing-aware with coefficients drawn from rng as o.Scheme draws
// them, and through the scheme's defences with draws of rng's own. At k = 1 a convex sampler
// draws C = [1], so the shadow then trains unmixed; a signed one draws a random signed scale,
// which the shadow trains through.
func (l *learner) Shadow(x []float32, labels []int, n int, o attacks.ShadowOptions, rng *rand.Rand) (attacks.WhiteBox, error) {
	s, tr, err := l.shadow(n, o, rng, func(s *models.Net, scheme datamix.Scheme) (*datamix.Trainer, error) {
		return datamix.NewShadowTrainer(s, o.Batch, scheme, o.LR, rng)
	})
	if err != nil {
		return nil, err
	}
	if err := l.train(tr, x, labels, n, o, rng, nil); err != nil {
		return nil, err
	}
	return &whiteBox{net: s}, nil
}

// Substitute trains FORA's substitute head: a shadow model as Shadow trains one, with the
// alignment term of datamix.NewSubstituteTrainer in its loss against o.AlignBatch of the real
// uploads, drawn afresh from rng for every step, under five Gaussian kernels whose squared
// bandwidths are 1/4, 1/2, 1, 2 and 4 times the median squared distance between real uploads
// (the median heuristic, over up to 200 of them).
func (l *learner) Substitute(x []float32, labels []int, n int, uploads []float32, nu int, o attacks.SubstituteOptions, rng *rand.Rand) (attacks.WhiteBox, float64, error) {
	if nu < 2 || o.AlignBatch < 1 || !(o.Align > 0) {
		return nil, 0, fmt.Errorf("nets: substitute aligned to %d uploads in batches of %d with weight %v", nu, o.AlignBatch, o.Align)
	}
	d := len(uploads) / nu
	med := medianSqDist(uploads, min(nu, 200), d)
	if !(med > 0) {
		return nil, 0, fmt.Errorf("nets: the uploads are all alike (median squared distance %v): nothing to align to", med)
	}
	al := models.Alignment{Weight: o.Align, Batch: o.AlignBatch, Sigma2: []float64{med / 4, med / 2, med, 2 * med, 4 * med}}
	s, tr, err := l.shadow(n, o.ShadowOptions, rng, func(s *models.Net, scheme datamix.Scheme) (*datamix.Trainer, error) {
		return datamix.NewSubstituteTrainer(s, o.Batch, scheme, o.LR, al, rng)
	})
	if err != nil {
		return nil, 0, err
	}
	real := make([]float32, o.AlignBatch*d)
	align := func() {
		for i := range o.AlignBatch {
			j := rng.IntN(nu)
			copy(real[i*d:(i+1)*d], uploads[j*d:(j+1)*d])
		}
		tr.SetAligned(real)
	}
	if err := l.train(tr, x, labels, n, o.ShadowOptions, rng, align); err != nil {
		return nil, 0, err
	}
	return &whiteBox{net: s}, tr.Alignment(), nil
}

// shadow checks a shadow model's options and builds the shadow of the net and its trainer
// (by build) under the scheme the shadow trains through: o.Scheme, unmixed at k = 1 when its
// sampler is convex (it draws C = [1]).
func (l *learner) shadow(n int, o attacks.ShadowOptions, rng *rand.Rand, build func(*models.Net, datamix.Scheme) (*datamix.Trainer, error)) (*models.Net, *datamix.Trainer, error) {
	k := o.Scheme.K
	if o.Batch < 1 || k < 1 || o.Batch%k != 0 || n < o.Batch {
		return nil, nil, fmt.Errorf("nets: shadow model on %d images in batches of %d, groups of %d", n, o.Batch, k)
	}
	s, err := l.net.Shadow(rng)
	if err != nil {
		return nil, nil, err
	}
	scheme := o.Scheme
	if k == 1 && scheme.Mixed() && scheme.Sampler.Convex() {
		scheme.Sampler = nil // C = [1]: the network unmixed
	}
	tr, err := build(s, scheme)
	return s, tr, err
}

// train runs o.Epochs epochs of tr over the n labelled images x, in batches drawn in an order
// from rng per epoch; before is called before every step (nil: nothing).
func (l *learner) train(tr *datamix.Trainer, x []float32, labels []int, n int, o attacks.ShadowOptions, rng *rand.Rand, before func()) error {
	dim := l.net.InputDim()
	bx, by := make([]float32, o.Batch*dim), make([]int, o.Batch)
	for e := range o.Epochs {
		perm := rng.Perm(n)
		for lo := 0; lo+o.Batch <= n; lo += o.Batch {
			for i, j := range perm[lo : lo+o.Batch] {
				copy(bx[i*dim:(i+1)*dim], x[j*dim:(j+1)*dim])
				by[i] = labels[j]
			}
			if before != nil {
				before()
			}
			if _, _, err := tr.Step(bx, by); err != nil {
				return fmt.Errorf("nets: shadow model, epoch %d: %w", e+1, err)
			}
		}
	}
	return nil
}

// medianSqDist is the median squared Euclidean distance between the first n rows of v (d values
// each), over all pairs.
func medianSqDist(v []float32, n, d int) float64 {
	var ds []float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			var q float64
			for t := range d {
				x := float64(v[i*d+t]) - float64(v[j*d+t])
				q += x * x
			}
			ds = append(ds, q)
		}
	}
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// JointInvert runs UnSplit (models.JointInverter) on a surrogate of the net — its architecture
// with a head freshly initialised from rng — over the targets in batches of o.Batch
// (inBatches), o.Rounds passes in all, each image carried from pass to pass and the surrogate
// from batch to batch.
func (l *learner) JointInvert(targets []float32, n int, init []float32, o attacks.JointOptions, rng *rand.Rand) ([]float32, error) {
	d, dim := l.net.UploadDim(), l.net.InputDim()
	if len(targets) != n*d || len(init) != n*dim {
		panic(fmt.Sprintf("nets: joint inversion of %d targets of %d values from %d values", n, d, len(init)))
	}
	if o.Rounds < 1 || o.Batch < 1 || o.Iterations < 1 {
		return nil, fmt.Errorf("nets: UnSplit with %d rounds of %d steps in batches of %d", o.Rounds, o.Iterations, o.Batch)
	}
	s, err := l.net.Shadow(rng)
	if err != nil {
		return nil, err
	}
	batch := min(n, o.Batch)
	inv, err := models.NewJointInverter(s, batch, o.TV)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(init)
	for range o.Rounds {
		if err := inBatches(out, targets, n, batch, func(x, t []float32) error {
			_, err := inv.Invert(x, t, o.Iterations, o.LRX, o.LRW)
			return err
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// inBatches runs invert on the n images of x (updated in place) and their targets, batch at a
// time, the last batch padded with copies of its last image and target (whose results are
// dropped).
func inBatches(x, targets []float32, n, batch int, invert func(x, t []float32) error) error {
	dim, d := len(x)/n, len(targets)/n
	bx, bt := make([]float32, batch*dim), make([]float32, batch*d)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		for i := range batch {
			j := min(lo+i, hi-1)
			copy(bx[i*dim:(i+1)*dim], x[j*dim:(j+1)*dim])
			copy(bt[i*d:(i+1)*d], targets[j*d:(j+1)*d])
		}
		if err := invert(bx, bt); err != nil {
			return err
		}
		copy(x[lo*dim:hi*dim], bx)
	}
	return nil
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

// Invert runs rMLE (models.Inverter) on the targets in batches of invertBatch (inBatches).
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
	if err := inBatches(out, targets, n, batch, func(x, t []float32) error {
		_, err := inv.Invert(x, t, o.Iterations, o.LR)
		return err
	}); err != nil {
		return nil, err
	}
	return out, nil
}
