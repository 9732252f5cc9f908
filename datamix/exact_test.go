package datamix

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/models/modelstest"
)

// randomImages returns n inputs of net with pixels uniform in [0, 1).
func randomImages(net *models.Net, n int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 11))
	x := make([]float32, n*net.InputDim())
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// unsplitLogits runs x through net as one network: no split, no mixing.
func unsplitLogits(t *testing.T, net *models.Net, x []float32) []float32 {
	t.Helper()
	whole, err := net.WithSplit(0)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(x)/net.InputDim()*net.Classes)
	if err := NewPipeline(whole, Scheme{Scheme: mixing.Scheme{K: 1}}, nil).Logits(out, x); err != nil {
		t.Fatal(err)
	}
	return out
}

// At k = 1 (C = [1], the uploads shuffled) the protocol is plain split inference, and split
// inference computes what the unsplit network computes: the logits are bit for bit those of
// the unsplit network, at every split of both architectures. Mixing and de-mixing by [1] in
// float64 and shuffling are exact, and the head, body and tail run the unsplit network's ops
// on the same values in the same order.
func TestK1EqualsUnsplitNetwork(t *testing.T) {
	for _, name := range models.Names() {
		arch, _ := models.Lookup(name)
		for split := 0; split <= arch.MaxSplit(); split++ {
			t.Run(fmt.Sprintf("%s/split%d", name, split), func(t *testing.T) {
				net, err := models.New(arch, 10, split, rand.New(rand.NewPCG(3, 4)))
				if err != nil {
					t.Fatal(err)
				}
				const batch = 6
				x := randomImages(net, batch, 5)
				want := unsplitLogits(t, net, x)
				s := dirichletScheme(t, 1)
				s.Shuffle = true
				p := NewPipeline(net, s, rand.New(rand.NewPCG(6, 7)))
				got := make([]float32, len(want))
				var ex Record
				p.Record(&ex)
				if err := p.Logits(got, x); err != nil {
					t.Fatal(err)
				}
				if len(ex.C) != batch || ex.C[0].At(0, 0) != 1 || !moved(ex.Pos) {
					t.Fatalf("exchange: %d matrices (C₀ = %v), positions %v: want k = 1 groups with C = [1], shuffled", len(ex.C), ex.C[0].At(0, 0), ex.Pos)
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("logit %d = %v, unsplit network %v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// With a body that is affine on the uploads (modelstest.AffineBody: dense layers with
// non-negative weights and positive biases, fed non-negative mixtures) and convex rows of C,
// de-mixing undoes mixing exactly: C⁻¹·g(C·H) = g(H). The pipeline's logits then equal the
// unsplit network's to float32 round-off, for every group size, with and without shuffling;
// any error in mixing, shuffling, un-shuffling or de-mixing (a wrong C⁻¹, a transposed one,
// another group's, a permutation undone wrongly) moves them by the size of the logits.
func TestDemixingThroughAffineBodyIsExact(t *testing.T) {
	for _, tc := range []struct {
		arch  string
		split int
	}{{"mnist-cnn", 2}, {"cifar-cnn", 3}} {
		arch, _ := models.Lookup(tc.arch)
		raw, err := models.New(arch, 10, tc.split, rand.New(rand.NewPCG(8, 9)))
		if err != nil {
			t.Fatal(err)
		}
		net, err := modelstest.AffineBody(raw)
		if err != nil {
			t.Fatal(err)
		}
		const batch = 24
		x := randomImages(net, batch, 10)
		want := unsplitLogits(t, net, x)
		scale := 0.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for _, k := range []int{2, 3, 4, 8} {
			for _, shuffle := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/k%d/shuffle=%v", tc.arch, k, shuffle), func(t *testing.T) {
					s := dirichletScheme(t, k)
					s.Shuffle = shuffle
					s.Guard = mixing.Guard{MaxCond: 100, MaxTries: 1000}
					p := NewPipeline(net, s, rand.New(rand.NewPCG(uint64(k), 12)))
					got := make([]float32, len(want))
					var ex Record
					p.Record(&ex)
					if err := p.Logits(got, x); err != nil {
						t.Fatal(err)
					}
					// The test means something only if the uploads really are mixtures.
					if d := maxAbsDiff(ex.Uploads, ex.Features); d < 1e-3 {
						t.Fatalf("uploads differ from the features by at most %g: nothing was mixed", d)
					}
					worstCond := 0.0
					for _, c := range ex.C {
						worstCond = math.Max(worstCond, mixing.Cond(c))
					}
					// Bound: the body sums 1568 (mnist) or 2048 (cifar) non-negative float32
					// terms per value, relative error ≤ n·2⁻²⁴ ≈ 1.2e-4 (Higham, Thm 3.1, after
					// the uploads' own rounding to float32); de-mixing amplifies it by at most
					// cond(C) (≤ 100 by the guard), and the tail, a sum of 128 or 256 terms,
					// carries it to the logits. 2e-4·cond relative to the largest logit covers
					// this with the worst case assumed throughout; a broken de-mix is off by
					// O(1) of it.
					tol := 2e-4 * worstCond * scale
					d := maxAbsDiff(got, want)
					if d > tol || math.IsNaN(d) {
						t.Errorf("logits differ from the unsplit network's by %g, bound %g (largest logit %g, worst cond(C) %.1f)", d, tol, scale, worstCond)
					}
					t.Logf("largest difference %.3g of logits up to %.3g (relative %.2g, bound %.2g; worst cond(C) %.1f)", d, scale, d/scale, tol/scale, worstCond)
				})
			}
		}
	}
}

// The same exactness seen from the cloud's side: each de-mixed return equals the body's
// output on the unmixed features, for every group, to the same bound.
func TestDemixedReturnsAreTheBodyOfTheFeatures(t *testing.T) {
	arch, _ := models.Lookup("mnist-cnn")
	raw, err := models.New(arch, 10, 2, rand.New(rand.NewPCG(13, 14)))
	if err != nil {
		t.Fatal(err)
	}
	net, err := modelstest.AffineBody(raw)
	if err != nil {
		t.Fatal(err)
	}
	const batch, k = 12, 3
	x := randomImages(net, batch, 15)
	s := dirichletScheme(t, k)
	s.Shuffle = true
	s.Guard = mixing.Guard{MaxCond: 100, MaxTries: 1000}
	p := NewPipeline(net, s, rand.New(rand.NewPCG(16, 17)))
	logits := make([]float32, batch*net.Classes)
	var ex Record
	p.Record(&ex)
	if err := p.Logits(logits, x); err != nil {
		t.Fatal(err)
	}
	inf, err := models.NewInferer(net, batch)
	if err != nil {
		t.Fatal(err)
	}
	down := net.DownloadDim()
	direct := make([]float32, batch*down)
	if err := inf.Body(direct, ex.Features); err != nil {
		t.Fatal(err)
	}
	// De-mix the cloud's returns by hand: undo the permutation, then C⁻¹ per group.
	for g, c := range ex.C {
		var cInv mat.Dense
		if err := cInv.Inverse(c); err != nil {
			t.Fatal(err)
		}
		for j := range down {
			for r := range k {
				var z float64
				for q := range k {
					z += cInv.At(r, q) * float64(ex.Returns[ex.Pos[g*k+q]*down+j])
				}
				want := float64(direct[(g*k+r)*down+j])
				if d := math.Abs(z - want); d > 2e-4*mixing.Cond(c)*math.Abs(want)+1e-6 {
					t.Fatalf("group %d row %d value %d: de-mixed %g, body of the features %g", g, r, j, z, want)
				}
			}
		}
	}
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	if len(a) != len(b) {
		return math.Inf(1)
	}
	return d
}

// moved reports whether some input was uploaded at another position than its own: whether
// the uploads were shuffled.
func moved(pos []int) bool {
	for i, p := range pos {
		if p != i {
			return true
		}
	}
	return false
}
