package attacks

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xa77ac)) }

var (
	mnistOnce sync.Once
	mnist     *datasets.Dataset
	mnistErr  error
)

// testMNIST loads the first 3000 training and 1000 test images of the embedded MNIST once.
func testMNIST(t *testing.T) *datasets.Dataset {
	t.Helper()
	mnistOnce.Do(func() {
		mnist, mnistErr = datasets.Load(datasets.Spec{Name: "mnist", TrainLimit: 3000, TestLimit: 1000})
	})
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnist
}

// pixelNet is split 0 of a network whose body is a fixed random ReLU layer of 64 units: the
// head is the identity, as at split 0 of every architecture.
type pixelNet struct {
	c, h, w int
	body    []float32 // dim × 64
}

const pixelNetOut = 64

func newPixelNet(c, h, w int, rng *rand.Rand) *pixelNet {
	n := &pixelNet{c: c, h: h, w: w, body: make([]float32, c*h*w*pixelNetOut)}
	for i := range n.body {
		n.body[i] = float32(rng.NormFloat64() * 0.05)
	}
	return n
}

func (n *pixelNet) Split() int                  { return 0 }
func (n *pixelNet) InputShape() (int, int, int) { return n.c, n.h, n.w }
func (n *pixelNet) UploadShape() []int          { return []int{n.c, n.h, n.w} }
func (n *pixelNet) ReturnDim() int              { return pixelNetOut }
func (n *pixelNet) Head(x []float32, k int) ([]float32, error) {
	return append([]float32(nil), x...), nil
}
func (n *pixelNet) Body(m []float32, k int) ([]float32, error) {
	d := n.c * n.h * n.w
	out := make([]float32, k*pixelNetOut)
	for i := range k {
		row := m[i*d : (i+1)*d]
		for o := range pixelNetOut {
			var s float32
			for j, v := range row {
				s += v * n.body[j*pixelNetOut+o]
			}
			out[i*pixelNetOut+o] = max(s, 0)
		}
	}
	return out, nil
}

// capture serves the first n images through the edge as the scheme says — head, the
// before-mix defences, a C per group drawn as the scheme draws it, the after-mix defences,
// shuffling within pools of pool uploads — and the body,
// and records the exchange as a datamix.Pipeline records it (a Pipeline needs a models.Net;
// the attack tests run on small networks of plain Go).
func capture(t *testing.T, net Network, imgs *datasets.Images, n, pool int, scheme datamix.Scheme, rng *rand.Rand) *Capture {
	t.Helper()
	x := imgs.X[:n*imgs.Dim()]
	feat, err := net.Head(x, n)
	if err != nil {
		t.Fatal(err)
	}
	d := len(feat) / n
	cs, _, err := scheme.Draw(rng, n)
	if err != nil {
		t.Fatal(err)
	}
	var draws []float32
	src := feat
	if scheme.Defences.Has(defence.BeforeMix) {
		src = slices.Clone(feat)
		scheme.Defences.Apply(defence.BeforeMix, src, d, rng, &draws)
	}
	mixed := make([]float32, n*d)
	mixing.MixBatch(mixed, cs, src, d)
	scheme.Defences.Apply(defence.AfterMix, mixed, d, rng, &draws)
	pos := make([]int, n)
	up := make([]float32, n*d)
	for lo := 0; lo < n; lo += pool {
		perm := seq(pool)
		if scheme.Shuffle {
			perm = mixing.Permutation(rng, pool)
		}
		mixing.Shuffle(up[lo*d:(lo+pool)*d], mixed[lo*d:(lo+pool)*d], d, perm)
		for i, p := range perm {
			pos[lo+i] = lo + p
		}
	}
	ret, err := net.Body(up, n)
	if err != nil {
		t.Fatal(err)
	}
	return &Capture{
		Observed: datamix.Observed{N: n, Pool: pool, Uploads: up, Returns: ret},
		Truth:    Truth{Images: imgs.Subset(seq(n)), Secrets: datamix.Secrets{Features: feat, Pos: pos, C: cs}},
	}
}

// schemeOf is the scheme of groups of k mixed with coefficients from s, shuffled or not,
// under the default guard and without defences.
func schemeOf(k int, shuffle bool, s mixing.Sampler) datamix.Scheme {
	return datamix.Scheme{Scheme: mixing.Scheme{K: k, Sampler: s, Shuffle: shuffle}}
}

func dirichlet(t *testing.T) mixing.Sampler {
	s, err := mixing.NewSampler("dirichlet", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// env builds an attack environment on MNIST at split 0.
func pixelEnv(t *testing.T, n, k, pool int, shuffle bool, seed uint64) *Env {
	ds := testMNIST(t)
	rng := newRNG(seed)
	net := newPixelNet(1, 28, 28, rng)
	scheme := schemeOf(k, shuffle, dirichlet(t))
	return &Env{Net: net, Capture: capture(t, net, ds.Test, n, pool, scheme, rng), Pool: ds.Train,
		Classes: 10, Scheme: scheme, RNG: rng}
}

func run(t *testing.T, s Spec, env *Env) *Result {
	t.Helper()
	if s.Victims == 0 {
		s.Victims = 200
	}
	if s.Aux == 0 {
		s.Aux = 1000
	}
	res, err := Run(s, env)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
