package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/mixing"
)

// featureNet is split 1 of a network whose head is a fixed random ReLU layer of 128 units (about
// half of its outputs exact zeros, like post-ReLU features) and whose body is pixelNet's.
type featureNet struct {
	*pixelNet
	head []float32 // 784 × featureDim
}

const featureDim = 128

func newFeatureNet(rng *rand.Rand) *featureNet {
	n := &featureNet{pixelNet: &pixelNet{c: 1, h: 28, w: 28, body: make([]float32, featureDim*pixelNetOut)},
		head: make([]float32, 28*28*featureDim)}
	for i := range n.body {
		n.body[i] = float32(rng.NormFloat64() * 0.1)
	}
	for i := range n.head {
		n.head[i] = float32(rng.NormFloat64() * 0.05)
	}
	return n
}

func (n *featureNet) Split() int         { return 1 }
func (n *featureNet) UploadShape() []int { return []int{featureDim} }
func (n *featureNet) Head(x []float32, k int) ([]float32, error) {
	return relu(x, n.head, k, 28*28, featureDim), nil
}
func (n *featureNet) Body(m []float32, k int) ([]float32, error) {
	return relu(m, n.body, k, featureDim, pixelNetOut), nil
}

// relu returns max(0, x·w) for k rows of x (k × in) and w (in × out).
func relu(x, w []float32, k, in, out int) []float32 {
	y := make([]float32, k*out)
	for i := range k {
		for j, v := range x[i*in : (i+1)*in] {
			if v == 0 {
				continue
			}
			row := w[j*out : (j+1)*out]
			for o := range out {
				y[i*out+o] += v * row[o]
			}
		}
		for o := range out {
			y[i*out+o] = max(y[i*out+o], 0)
		}
	}
	return y
}

// canaryCell builds one attack environment of the leak-canary test, the same for the same
// seed: 100 victims in one shuffled pool, k = 2.
type canaryCell struct {
	name string
	env  func(t *testing.T, seed uint64) *Env
}

var canaryCells = []canaryCell{
	{"split 0, dirichlet", func(t *testing.T, seed uint64) *Env {
		return withCanaryLearner(pixelEnv(t, 100, 2, 100, true, seed))
	}},
	{"split 1, dirichlet", func(t *testing.T, seed uint64) *Env {
		ds := testMNIST(t)
		rng := newRNG(seed)
		net := newFeatureNet(rng)
		scheme := schemeOf(2, true, dirichlet(t))
		return withCanaryLearner(&Env{Net: net, Capture: capture(t, net, ds.Test, 100, 100, scheme, rng), Pool: ds.Train,
			Classes: 10, Scheme: scheme, RNG: rng})
	}},
	{"split 0, fixed C", func(t *testing.T, seed uint64) *Env {
		ds := testMNIST(t)
		rng := newRNG(seed)
		net := newPixelNet(1, 28, 28, rng)
		scheme := schemeOf(2, true, fixedSampler(t, [][]float64{{0.7, 0.3}, {0.6, 0.4}}))
		return withCanaryLearner(&Env{Net: net, Capture: capture(t, net, ds.Test, 100, 100, scheme, rng), Pool: ds.Train,
			Classes: 10, Scheme: scheme, RNG: rng})
	}},
}

// withCanaryLearner gives env a canaryLearner over env itself, so that the learner's head is
// whatever head env has when the attack runs: after scramble, a withheld head answers with
// noise and is no white box.
func withCanaryLearner(env *Env) *Env {
	env.Learner = &canaryLearner{env: env}
	return env
}

// canaryLearner is the Learner of the canary's cells, in plain Go at both splits: decoders
// are ridge regressions (ridgeLearner's), Head is a white box over the env's own head (the
// identity at split 0, featureNet's ReLU layer at split 1) and fails for any other, and Shadow
// is a stand-in that never reads the real head: a fresh random ReLU layer drawn from the
// generator it is given, so that a shadow attack is as deterministic as the real one.
type canaryLearner struct {
	ridgeLearner
	env *Env
}

func (l *canaryLearner) Head() (WhiteBox, error) {
	switch n := l.env.Net.(type) {
	case *pixelNet:
		return identityBox{}, nil
	case *featureNet:
		return reluBox{w: n.head, in: n.c * n.h * n.w, out: featureDim}, nil
	}
	return nil, fmt.Errorf("the head of %T is not given to the attacker", l.env.Net)
}

func (l *canaryLearner) Shadow(x []float32, _ []int, n int, _ ShadowOptions, rng *rand.Rand) (WhiteBox, error) {
	b := reluBox{in: len(x) / n, out: UploadDim(l.env.Net)}
	b.w = make([]float32, b.in*b.out)
	for i := range b.w {
		b.w[i] = float32(rng.NormFloat64() * 0.05)
	}
	return b, nil
}

// Substitute is Shadow's stand-in scaled so that the mean of its outputs on the auxiliary
// images matches the mean of the real uploads: it reads what the cloud observed, never the
// head.
func (l *canaryLearner) Substitute(x []float32, labels []int, n int, uploads []float32, nu int, o SubstituteOptions, rng *rand.Rand) (WhiteBox, float64, error) {
	wb, err := l.Shadow(x, labels, n, o.ShadowOptions, rng)
	if err != nil {
		return nil, 0, err
	}
	b := wb.(reluBox)
	h, _ := b.Head(x, n)
	if hm, um := meanOf32(h), meanOf32(uploads); hm > 0 {
		for i := range b.w {
			b.w[i] *= float32(um / hm)
		}
	}
	return b, 0, nil
}

// JointInvert is UnSplit's stand-in: a fresh random ReLU layer from rng, which the images are
// inverted through (reluBox.Invert) with the iterations UnSplit would take.
func (l *canaryLearner) JointInvert(targets []float32, n int, init []float32, o JointOptions, rng *rand.Rand) ([]float32, error) {
	wb, err := l.Shadow(init, nil, n, ShadowOptions{}, rng)
	if err != nil {
		return nil, err
	}
	return wb.Invert(targets, n, init, InvertOptions{Iterations: o.Iterations})
}

func meanOf32(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// reluBox is a white box over the ReLU layer max(0, x·W), W in × out: featureNet's head or a
// shadow's stand-in. Invert takes projected gradient steps of reluStep on ½‖relu(x·W) − t‖²,
// whose gradient is (m ⊙ (relu(x·W) − t))·Wᵀ, m the units with x·W > 0, clipping x to [0,1].
type reluBox struct {
	w       []float32
	in, out int
}

// reluStep is below 2/σ_max(W)² for featureNet's head (σ_max ≈ 0.05·(√784 + √128) ≈ 2), so
// the steps descend.
const reluStep = 0.2

func (b reluBox) Head(x []float32, n int) ([]float32, error) {
	return relu(x, b.w, n, b.in, b.out), nil
}

func (b reluBox) Invert(t []float32, n int, init []float32, o InvertOptions) ([]float32, error) {
	x := slices.Clone(init)
	for range o.Iterations {
		y := relu(x, b.w, n, b.in, b.out)
		for i := range n {
			r := y[i*b.out : (i+1)*b.out]
			for u, v := range r {
				if v > 0 {
					r[u] = v - t[i*b.out+u]
				}
			}
			for j := range b.in {
				var g float32
				for u, v := range b.w[j*b.out : (j+1)*b.out] {
					g += v * r[u]
				}
				x[i*b.in+j] = min(max(x[i*b.in+j]-reluStep*g, 0), 1)
			}
		}
	}
	return x, nil
}

func fixedSampler(t *testing.T, m [][]float64) mixing.Sampler {
	s, err := mixing.NewSampler("fixed", 0, m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// canarySpecs lists the specs the canary runs of kind k: its default setting and every oracle
// setting it accepts.
func canarySpecs(k Kind) []Spec {
	// Few steps and epochs keep the gradient-trained kinds quick; the other kinds ignore them.
	base := Spec{Kind: k.Name(), Victims: 100, Aux: 300, HeadWeights: true, Epochs: 1, Iterations: 20, ShadowEpochs: 1}
	specs := []Spec{base}
	if slices.Contains(k.Options(), OptionGrouping) {
		s := base
		s.Grouping = GroupingOracle
		specs = append(specs, s)
	}
	s := base
	s.Coefficients = CoefficientsOracle
	withheld := base
	withheld.HeadWeights = false
	return append(specs, s, withheld)
}

// otherHead is a network whose head answers with noise: the head of a cell whose weights the
// attacker is not given.
type otherHead struct {
	Network
	rng *rand.Rand
}

func (o otherHead) Head(x []float32, n int) ([]float32, error) {
	out := make([]float32, n*UploadDim(o.Network))
	for i := range out {
		out[i] = float32(o.rng.NormFloat64())
	}
	return out, nil
}

// scramble replaces every secret of env that spec s does not hand the attacker (Spec.Oracles)
// by another draw: the victims' images and labels (other test images, labels permuted), their
// unmixed features (Gaussian noise), each group's C (fresh Dirichlet draws), the permutation
// and with it the true grouping (a fresh shuffle of each pool), under fixed coefficients the
// edge's sampler (another fixed matrix) and, when the spec withholds the head's weights at
// split > 0, the head (one answering with noise). What the cloud observed is left as it was.
func scramble(t *testing.T, env *Env, s Spec, rng *rand.Rand) {
	c := env.Capture
	given := s.Oracles()
	ds := testMNIST(t)
	other := make([]int, c.N)
	for i := range other {
		other[i] = ds.Test.N - 1 - i // the last test images, never victims here
	}
	imgs := ds.Test.Subset(other)
	labels := rng.Perm(c.N)
	for i := range imgs.Y {
		imgs.Y[i] = ds.Test.Y[other[labels[i]]]
	}
	c.Images = imgs
	feat := make([]float32, len(c.Features))
	for i := range feat {
		feat[i] = float32(rng.NormFloat64())
	}
	c.Features = feat
	cs, _, err := env.Scheme.WithSampler(dirichlet(t)).Draw(rng, c.N)
	if err != nil {
		t.Fatal(err)
	}
	c.C = cs
	if !slices.Contains(given, OracleGrouping) {
		pos := make([]int, c.N)
		for lo := 0; lo < c.N; lo += c.Pool {
			for i, p := range rng.Perm(c.Pool) {
				pos[lo+i] = lo + p
			}
		}
		c.Pos = pos
	}
	if env.Scheme.Sampler.Name() == "fixed" && !slices.Contains(given, OracleCoefficients) {
		env.Scheme.Sampler = fixedSampler(t, [][]float64{{0.2, 0.8}, {0.9, 0.1}})
	}
	if !s.HeadWeights && env.Net.Split() > 0 {
		env.Net = otherHead{Network: env.Net, rng: rng}
	}
}

// TestLeakCanary checks, for every attack kind in the registry, that its estimate depends only
// on what the cloud observed and the secrets its spec hands it: with every other secret of the
// capture replaced by a scrambled one, the estimate (Result.Estimate) stays the same bit for
// bit, while the scores change. Each kind runs at its default setting, at each oracle setting
// and with the head's weights withheld, on a pixel cell, a feature cell and a cell with a
// fixed, secret C; a kind must apply to at least one of them.
func TestLeakCanary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every attack twice on three cells")
	}
	for _, k := range registry {
		ran := false
		for _, spec := range canarySpecs(k) {
			for ci, cell := range canaryCells {
				name := fmt.Sprintf("%s %v head %t/%s", k.Name(), spec.Oracles(), spec.HeadWeights, cell.name)
				seed := uint64(40 + ci)
				env := cell.env(t, seed)
				if ok, _ := spec.Applies(env.cell()); !ok {
					continue
				}
				if slices.Contains(spec.Oracles(), OracleCoefficients) && env.Scheme.Sampler.Name() != "fixed" {
					continue // the oracle sampler is the known distribution: the default setting
				}
				ran = true
				t.Run(name, func(t *testing.T) {
					estimate, scores := canary(t, spec, cell, seed)
					if estimate {
						t.Errorf("the estimate changed when secrets the attacker is not given were scrambled")
					}
					if !scores {
						t.Errorf("no score changed: the scramble did not reach the scorer")
					}
				})
			}
		}
		if !ran {
			t.Errorf("kind %s applies to none of the canary's cells; add one it applies to", k.Name())
		}
	}
}

// canary runs spec on the cell twice, as served and with every secret the spec does not hand
// the attacker scrambled, and reports whether the estimate changed (a leak) and whether some
// score did (the scramble reached the scorer).
func canary(t *testing.T, spec Spec, cell canaryCell, seed uint64) (estimate, scores bool) {
	t.Helper()
	clean, err := Run(spec, cell.env(t, seed))
	if err != nil {
		t.Fatal(err)
	}
	env := cell.env(t, seed)
	scramble(t, env, spec, newRNG(99))
	scrambled, err := Run(spec, env)
	if err != nil {
		t.Fatal(err)
	}
	if clean.Estimate == nil {
		t.Fatalf("no estimate (notes %v)", clean.Notes)
	}
	return !sameBits(reflect.ValueOf(clean.Estimate), reflect.ValueOf(scrambled.Estimate)),
		!sameMetrics(clean.Metrics, scrambled.Metrics)
}

// sameMetrics reports whether two metric maps are equal, bit for bit.
func sameMetrics(a, b map[string]float64) bool {
	return sameBits(reflect.ValueOf(a), reflect.ValueOf(b))
}

// sameBits reports whether a and b are deeply equal, floats compared by their bits (so that NaN
// equals NaN), unexported fields included.
func sameBits(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameBits(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !sameBits(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameBits(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameBits(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.String:
		return a.String() == b.String()
	}
	panic("sameBits: cannot compare " + a.Type().String())
}

// leakyKind is a planted attack kind that cheats: its estimate is the true upload position of
// each victim (a secret its spec is not given), read from the truth before it reveals
// anything, and its score the share of them that it "recovered".
type leakyKind struct{}

func (leakyKind) Name() string               { return "leaky" }
func (leakyKind) Prefix() string             { return "leaky" }
func (leakyKind) Needs() []Need              { return nil }
func (leakyKind) Options() []Option          { return nil }
func (leakyKind) Columns(Spec, int) []string { return []string{"acc"} }
func (leakyKind) run(a *attack) error {
	est := slices.Clone(a.truth.Pos[:a.victims()]) // the leak
	truth := a.reveal(est)
	right := 0
	for i, p := range est {
		if truth.Pos[i] == p {
			right++
		}
	}
	a.metric("acc", float64(right)/float64(len(est)))
	a.done()
	return nil
}

// The canary must catch a leak: a planted kind that reads a secret, registered beside the
// real ones and run through the real attack runner (Run), is caught by the very check
// TestLeakCanary applies to every kind.
func TestLeakCanaryCatchesALeak(t *testing.T) {
	registry = append(registry, leakyKind{})
	defer func() { registry = registry[:len(registry)-1] }()
	// Its score is 1 either way (it always "recovers" the permutation it read): only the
	// estimate can tell, and must.
	if estimate, _ := canary(t, Spec{Kind: "leaky", Victims: 100, Aux: 100}, canaryCells[0], 40); !estimate {
		t.Error("the canary missed a kind whose estimate is the secret permutation")
	}
}

// sameBits compares floats by their bits, so that NaN equals NaN, and tells other matrices
// apart.
func TestSameBits(t *testing.T) {
	var m1, m2 mat.Dense
	m1.CloneFrom(mat.NewDense(1, 1, []float64{math.NaN()}))
	m2.CloneFrom(mat.NewDense(1, 1, []float64{math.NaN()}))
	if !sameBits(reflect.ValueOf(&m1), reflect.ValueOf(&m2)) {
		t.Error("sameBits: NaN matrices differ")
	}
	m2.Set(0, 0, 1)
	if sameBits(reflect.ValueOf(&m1), reflect.ValueOf(&m2)) {
		t.Error("sameBits: different matrices equal")
	}
}
