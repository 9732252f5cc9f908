package models

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/datamix/harness/datasets"
)

var (
	digitsOnce sync.Once
	digits     *datasets.Dataset
	digitsErr  error
)

// testDigits loads the first 1000 training and 200 test images of the embedded MNIST once.
func testDigits(t testing.TB) *datasets.Dataset {
	t.Helper()
	digitsOnce.Do(func() {
		digits, digitsErr = datasets.Load(datasets.Spec{Name: "mnist", TrainLimit: 1000, TestLimit: 200})
	})
	if digitsErr != nil {
		t.Fatal(digitsErr)
	}
	return digits
}

// TestDecoderShapes builds a decoder for the upload of every architecture at every split and
// for a flat input, and checks the layer plan and the decoded shape and range.
func TestDecoderShapes(t *testing.T) {
	type shape struct {
		in      []int
		c, h, w int
	}
	cases := []shape{{[]int{100}, 1, 28, 28}, {[]int{50}, 3, 6, 10}}
	for _, name := range Names() {
		a, _ := Lookup(name)
		for s := 0; s <= a.MaxSplit(); s++ {
			cases = append(cases, shape{mustNet(t, name, s, 1).UploadShape(), a.C, a.H, a.W})
		}
	}
	for _, c := range cases {
		d, err := NewDecoder(c.in, c.c, c.h, c.w, 4, newRNG(1))
		if err != nil {
			t.Fatalf("%v → %d×%d×%d: %v", c.in, c.c, c.h, c.w, err)
		}
		const n = 3
		x := randVals(2, n*d.InDim(), 1)
		y, err := d.Decode(x, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(y) != n*c.c*c.h*c.w {
			t.Fatalf("%v: decoded %d values, want %d", c.in, len(y), n*c.c*c.h*c.w)
		}
		for _, v := range y {
			if !(v > 0 && v < 1) {
				t.Fatalf("%v: decoded value %v outside the sigmoid's (0,1)", c.in, v)
			}
		}
		last := d.layers[len(d.layers)-1]
		if last.act != actSigmoid || !slices.Equal(last.out, []int{c.c, c.h, c.w}) {
			t.Fatalf("%v: last layer %+v", c.in, last)
		}
	}
	if _, err := NewDecoder([]int{16, 5, 5}, 1, 28, 28, 4, newRNG(1)); err == nil {
		t.Error("a 5×5 input decoded to 28×28: want an error (28 is not 5 times a power of two)")
	}
}

// TestDecoderLearns trains decoders of the split-1 and split-2 uploads of a random mnist-cnn
// on 800 digits and checks that each decodes 200 held-out digits with a mean squared error
// well below that of the best constant guess, the mean training image. At split 2, with the
// output bias left at 0, the first steps drove the sigmoid to a black image for good.
func TestDecoderLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains decoders")
	}
	ds := testDigits(t)
	for _, split := range []int{1, 2} {
		net := mustNet(t, "mnist-cnn", split, 3)
		const nTrain, nTest = 800, 200
		feat := make([]float32, ds.Train.N*net.UploadDim())
		f, err := NewInferer(net, ds.Train.N)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Head(feat, ds.Train.X); err != nil {
			t.Fatal(err)
		}
		d, err := NewDecoder(net.UploadShape(), 1, 28, 28, 8, newRNG(4))
		if err != nil {
			t.Fatal(err)
		}
		up, px := net.UploadDim(), net.InputDim()
		if _, err := d.Fit(feat[:nTrain*up], ds.Train.X[:nTrain*px], nTrain, DecoderFit{Epochs: 4, Batch: 32, LR: 2e-3}, newRNG(5)); err != nil {
			t.Fatal(err)
		}
		got, err := d.Decode(feat[nTrain*up:(nTrain+nTest)*up], nTest)
		if err != nil {
			t.Fatal(err)
		}
		mean := make([]float64, px)
		for i := range nTrain {
			for j, v := range ds.Train.X[i*px : (i+1)*px] {
				mean[j] += float64(v) / nTrain
			}
		}
		var mse, base float64
		for i := range nTest {
			x := ds.Train.X[(nTrain+i)*px : (nTrain+i+1)*px]
			for j, v := range x {
				mse += math.Pow(float64(got[i*px+j]-v), 2)
				base += math.Pow(mean[j]-float64(v), 2)
			}
		}
		// The mean image leaves MSE ≈ 0.07 on MNIST; a decoder that learnt nothing scores that
		// or worse, and one that sees the strokes through the features far better.
		if mse > 0.5*base {
			t.Errorf("split %d: held-out decoder MSE %.4f, the mean image's %.4f: want below half", split, mse/float64(nTest*px), base/float64(nTest*px))
		}
		t.Logf("split %d: held-out MSE %.4f (mean image %.4f)", split, mse/float64(nTest*px), base/float64(nTest*px))
	}
}

// TestInverterSplit0 inverts the identity head (split 0) without a prior: the optimum is the
// target image itself, which the decaying learning rate reaches to well below a grey level.
func TestInverterSplit0(t *testing.T) {
	net := mustNet(t, "mnist-cnn", 0, 1)
	const batch = 4
	ds := testDigits(t)
	target := ds.Test.X[:batch*net.InputDim()]
	v, err := NewInverter(net, batch, 0)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(target))
	for i := range x {
		x[i] = 0.5
	}
	loss, err := v.Invert(x, target, 300, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range target {
		// 2e-3: Adam's last steps are lr·(1+cos(π·299/300))/2 ≈ 7e-6 long; what is left is
		// the error the decayed steps did not remove, far below 1/255.
		if d := math.Abs(float64(x[i] - want)); d > 2e-3 {
			t.Fatalf("pixel %d = %v, target %v (objective %g)", i, x[i], want, loss)
		}
	}
}

// headDist is the squared distance between the head outputs of images x and target.
func headDist(t *testing.T, f *Inferer, x, target []float32) float64 {
	t.Helper()
	h := make([]float32, len(target))
	if err := f.Head(h, x); err != nil {
		t.Fatal(err)
	}
	var s float64
	for i, v := range h {
		s += math.Pow(float64(v-target[i]), 2)
	}
	return s
}

// TestInverterSplit1 inverts a random mnist-cnn's split-1 head: the feature distance falls to
// a tenth of the grey start's, the images stay in [0,1], and the prior keeps them smoother
// than the same inversion without it.
func TestInverterSplit1(t *testing.T) {
	if testing.Short() {
		t.Skip("optimises images")
	}
	net := mustNet(t, "mnist-cnn", 1, 2)
	const batch = 8
	ds := testDigits(t)
	f, err := NewInferer(net, batch)
	if err != nil {
		t.Fatal(err)
	}
	target := make([]float32, batch*net.UploadDim())
	if err := f.Head(target, ds.Test.X[:batch*net.InputDim()]); err != nil {
		t.Fatal(err)
	}
	dist := func(x []float32) float64 { return headDist(t, f, x, target) }
	tv := func(x []float32) float64 {
		var s float64
		tvOp{n: batch, c: 1, h: 28, w: 28, eps: TVEps}.terms(x, func(_, _, _ int, _, _, t float64) { s += t })
		return s
	}
	grey := make([]float32, batch*net.InputDim())
	for j := range grey {
		grey[j] = 0.5
	}
	var tvs [2]float64
	for i, lambda := range []float64{0, 0.5} {
		v, err := NewInverter(net, batch, lambda)
		if err != nil {
			t.Fatal(err)
		}
		x := slices.Clone(grey)
		if _, err := v.Invert(x, target, 150, 0.05); err != nil {
			t.Fatal(err)
		}
		if d0, d := dist(grey), dist(x); d > 0.1*d0 {
			t.Errorf("λ %g: feature distance %g after 150 steps, %g at the grey start: want a tenth", lambda, d, d0)
		}
		for _, p := range x {
			if p < 0 || p > 1 {
				t.Fatalf("λ %g: pixel %v outside [0,1]", lambda, p)
			}
		}
		tvs[i] = tv(x)
	}
	if tvs[1] >= tvs[0] {
		t.Errorf("total variation %g with the prior, %g without: want less", tvs[1], tvs[0])
	}
}

// TestInverterBatchNormHead inverts the batch-normalised heads of a random mnist-resnet8
// (running statistics, as at inference) at every split > 0: the feature distance falls to a
// tenth of the grey start's and the images move towards the digits. A net that evaluates with
// batch statistics is refused with an error naming them.
func TestInverterBatchNormHead(t *testing.T) {
	if testing.Short() {
		t.Skip("optimises images")
	}
	const batch = 4
	ds := testDigits(t)
	truth := ds.Test.X[:batch*784]
	a, _ := Lookup("mnist-resnet8")
	for split := 1; split <= a.MaxSplit(); split++ {
		net := mustNet(t, "mnist-resnet8", split, 2)
		f, err := NewInferer(net, batch)
		if err != nil {
			t.Fatal(err)
		}
		target := make([]float32, batch*net.UploadDim())
		if err := f.Head(target, truth); err != nil {
			t.Fatal(err)
		}
		dist := func(x []float32) float64 { return headDist(t, f, x, target) }
		mse := func(x []float32) float64 {
			var s float64
			for i, v := range x {
				s += math.Pow(float64(v-truth[i]), 2)
			}
			return s / float64(len(x))
		}
		v, err := NewInverter(net, batch, 0)
		if err != nil {
			t.Fatalf("split %d: %v", split, err)
		}
		grey := make([]float32, batch*784)
		for j := range grey {
			grey[j] = 0.5
		}
		x := slices.Clone(grey)
		if _, err := v.Invert(x, target, 150, 0.05); err != nil {
			t.Fatal(err)
		}
		if d0, d := dist(grey), dist(x); d > 0.1*d0 {
			t.Errorf("split %d: feature distance %g after 150 steps, %g at the grey start: want a tenth", split, d, d0)
		}
		if m0, m := mse(grey), mse(x); m > 0.5*m0 {
			t.Errorf("split %d: pixel MSE %.4f after inversion, %.4f at the grey start: want below half", split, m, m0)
		} else {
			t.Logf("split %d: pixel MSE %.4f (grey start %.4f)", split, m, m0)
		}
	}
	if _, err := NewInverter(mustNet(t, "mnist-resnet8", 1, 1).WithBNStats(BatchStats), 2, 0); err == nil || !strings.Contains(err.Error(), "batch statistics") {
		t.Errorf("mnist-resnet8 evaluating with batch statistics: error %v, want one naming them", err)
	}
}

// TestShadowTrainer checks that a shadow model starts with the body's weights (and, in the
// residual networks, the body's batch-norm running statistics) and fresh head and tail
// weights, and that its trainer moves the head and tail and leaves the body's weights alone,
// with mixing and without.
func TestShadowTrainer(t *testing.T) {
	layerParams := func(p layerPlan) []int {
		if p.w >= 0 {
			return []int{p.w, p.b}
		}
		return p.ps
	}
	for _, arch := range []string{"mnist-cnn", "mnist-resnet8"} {
		for _, mixed := range []bool{false, true} {
			real := mustNet(t, arch, 1, 1)
			// One training step moves the real net's running statistics off their start.
			rt, err := NewTrainer(real, 4, false, 1e-3)
			if err != nil {
				t.Fatal(err)
			}
			x, y := randomBatch(newRNG(2), real, 4)
			if _, _, err := rt.Step(x, y, nil, nil); err != nil {
				t.Fatal(err)
			}
			s, err := real.Shadow(newRNG(9))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range s.plan {
				for _, i := range p.rs {
					same := slices.Equal(s.stats[i].Data().([]float32), real.stats[i].Data().([]float32))
					if same != s.inBody(p) {
						t.Errorf("%s: running statistics %d of layer %v (block %d) copied: %v", arch, i, p.Layer, p.block, same)
					}
				}
			}
			// The shadow starts from the real body and from head and tail weights of its own:
			// the attacker never sees the real head's, not even as a start.
			for _, p := range s.plan {
				for _, i := range layerParams(p) {
					same := slices.Equal(s.params[i].Data().([]float32), real.params[i].Data().([]float32))
					if same != s.inBody(p) {
						t.Errorf("%s: layer %v (block %d), parameter %d starts equal to the real one: %v", arch, p.Layer, p.block, i, same)
					}
				}
			}
			before := make([][]float32, len(s.params))
			for i, p := range s.params {
				before[i] = slices.Clone(p.Data().([]float32))
			}
			tr, err := NewShadowTrainer(s, 4, mixed, 1e-2)
			if err != nil {
				t.Fatal(err)
			}
			rng := newRNG(3)
			x, y = randomBatch(rng, s, 4)
			var mix, demix []float32
			if mixed {
				mix, demix, _ = blockDiag2(rng, 4)
			}
			if _, _, err := tr.Step(x, y, mix, demix); err != nil {
				t.Fatal(err)
			}
			for _, p := range s.plan {
				for _, i := range layerParams(p) {
					now := s.params[i].Data().([]float32)
					moved := !slices.Equal(now, before[i])
					realW := real.params[i].Data().([]float32)
					if s.inBody(p) {
						if moved || !slices.Equal(now, realW) {
							t.Errorf("%s, mixed %v: body layer %v, parameter %d changed", arch, mixed, p.Layer, i)
						}
						continue
					}
					if !moved {
						t.Errorf("%s, mixed %v: head or tail layer %v (block %d), parameter %d did not move", arch, mixed, p.Layer, p.block, i)
					}
					if slices.Equal(now, realW) {
						t.Errorf("%s, mixed %v: layer %v, parameter %d holds the real network's weights", arch, mixed, p.Layer, i)
					}
				}
			}
		}
	}
	if _, err := NewShadowTrainer(mustNet(t, "mnist-cnn", 0, 1), 4, false, 1e-3); err == nil {
		t.Error("a shadow trainer at split 0: want an error")
	}
}

// BenchmarkDecoderStep is one training step of the decoder of mnist-cnn's split-1 uploads
// (16×14×14 → 1×28×28, width 16) at batch 64: bench/compare.sh compares it with the same
// decoder in PyTorch (bench/torch_reference.py).
func BenchmarkDecoderStep(b *testing.B) {
	const batch = 64
	d, err := NewDecoder([]int{16, 14, 14}, 1, 28, 28, 16, newRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewDecoderTrainer(d, batch, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	rng := newRNG(2)
	x := make([]float32, batch*d.InDim())
	for i := range x {
		x[i] = max(float32(rng.NormFloat64()), 0)
	}
	y := make([]float32, batch*d.OutDim())
	for i := range y {
		y[i] = rng.Float32()
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Step(x, y); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, batch, cpu0)
}

// TestSubstituteTrainerAligns: FORA's alignment term pulls a shadow head's uploads towards the
// real head's: over 40 steps on one batch, with the real uploads of that batch as the target
// distribution, the MMD² between them falls to a fraction of its start, and the body stays the
// cloud's.
func TestSubstituteTrainerAligns(t *testing.T) {
	real := mustNet(t, "mnist-cnn", 1, 1)
	const batch = 16
	x, y := randomBatch(newRNG(4), real, batch)
	f, err := NewInferer(real, batch)
	if err != nil {
		t.Fatal(err)
	}
	up := make([]float32, batch*real.UploadDim())
	if err := f.Head(up, x); err != nil {
		t.Fatal(err)
	}
	s, err := real.Shadow(newRNG(5))
	if err != nil {
		t.Fatal(err)
	}
	// Bandwidths around the median squared distance between the real uploads (the median
	// heuristic, as the attack sets them).
	d := real.UploadDim()
	var ds []float64
	for i := range batch {
		for j := i + 1; j < batch; j++ {
			var q float64
			for k := range d {
				q += math.Pow(float64(up[i*d+k]-up[j*d+k]), 2)
			}
			ds = append(ds, q)
		}
	}
	slices.Sort(ds)
	med := ds[len(ds)/2]
	tr, err := NewSubstituteTrainer(s, batch, false, 1e-2, Alignment{Weight: 10, Batch: batch, Sigma2: []float64{med / 4, med, 4 * med}})
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	for i := range 40 {
		tr.SetAligned(up)
		if _, _, err := tr.Step(x, y, nil, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = tr.Alignment()
		}
		last = tr.Alignment()
	}
	t.Logf("MMD² %.4g at the first step, %.4g at the last", first, last)
	if !(first > 0) || !(last < 0.5*first) {
		t.Errorf("MMD² %.4g at the first step, %.4g after 40: want it halved", first, last)
	}
	if _, err := NewSubstituteTrainer(s, batch, false, 1e-3, Alignment{Batch: batch, Sigma2: []float64{1}}); err == nil {
		t.Error("an alignment of weight 0 was accepted")
	}
}

// TestJointInverterBatchNorm: UnSplit's graph builds on the batch-normalised heads of
// mnist-resnet8 (batch statistics, whose weight gradients exist) and takes its steps.
func TestJointInverterBatchNorm(t *testing.T) {
	real := mustNet(t, "mnist-resnet8", 2, 1)
	s, err := real.Shadow(newRNG(7))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewJointInverter(s, 4, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := randomBatch(newRNG(8), real, 4)
	for i := range x {
		x[i] = min(max(x[i], 0), 1)
	}
	target := make([]float32, 4*real.UploadDim())
	for i := range target {
		target[i] = 0.1
	}
	start, err := v.Invert(slices.Clone(x), target, 0, 0.05, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	end, err := v.Invert(x, target, 20, 0.05, 1e-3)
	if err != nil || !(end < start) {
		t.Errorf("objective %v after 20 steps, %v at the start (%v): want lower", end, start, err)
	}
}

// TestJointInverter runs UnSplit's joint optimisation on a fresh surrogate of mnist-cnn's head
// towards a real head's outputs of four digits: the objective falls to a fraction of its start,
// the images stay in [0,1], and the surrogate's head weights move while its body's do not.
func TestJointInverter(t *testing.T) {
	real := mustNet(t, "mnist-cnn", 1, 1)
	const batch = 4
	ds := testDigits(t)
	f, err := NewInferer(real, batch)
	if err != nil {
		t.Fatal(err)
	}
	target := make([]float32, batch*real.UploadDim())
	if err := f.Head(target, ds.Test.X[:batch*real.InputDim()]); err != nil {
		t.Fatal(err)
	}
	s, err := real.Shadow(newRNG(6))
	if err != nil {
		t.Fatal(err)
	}
	before := make([][]float32, len(s.params))
	for i, p := range s.params {
		before[i] = slices.Clone(p.Data().([]float32))
	}
	v, err := NewJointInverter(s, batch, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, batch*real.InputDim())
	for i := range x {
		x[i] = 0.5
	}
	start, err := v.Invert(slices.Clone(x), target, 0, 0.05, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	end, err := v.Invert(x, target, 200, 0.05, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("objective %.4g at the grey start, %.4g after 200 joint steps", start, end)
	if !(end < 0.2*start) {
		t.Errorf("objective %.4g after 200 steps, %.4g at the start: want a fifth", end, start)
	}
	for _, p := range x {
		if p < 0 || p > 1 {
			t.Fatalf("pixel %v outside [0,1]", p)
		}
	}
	for _, p := range s.plan {
		if p.w < 0 {
			continue
		}
		moved := !slices.Equal(s.params[p.w].Data().([]float32), before[p.w])
		if head := p.block >= 0 && p.block < s.Split; moved != head {
			t.Errorf("layer %v (block %d): weights moved %v", p.Layer, p.block, moved)
		}
	}
}
