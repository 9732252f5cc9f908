package attacks

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/metrics"
	"github.com/datamix/harness/mixing"
)

// matchedCorr is the mean |corr| of the k sources (k × d) with the k true signals, under the
// best one-to-one matching.
func matchedCorr(src, x []float64, k, d int) float64 {
	cost := make([]float64, k*k)
	for i := range k {
		for j := range k {
			r := math.Abs(metrics.Pearson(src[i*d:(i+1)*d], x[j*d:(j+1)*d]))
			if math.IsNaN(r) {
				r = 0
			}
			cost[i*k+j] = -r
		}
	}
	var s float64
	for i, j := range Assign(cost, k, k) {
		s -= cost[i*k+j]
	}
	return s / float64(k)
}

// Independent non-Gaussian sources mixed by a known, well-conditioned C are recovered almost
// exactly (issue 3's sanity check: |corr| ≥ 0.99). Sources: Laplace (super-Gaussian), uniform
// (sub-Gaussian), a sparse non-negative spike train and a sine: the kinds FastICA separates.
func TestFastICARecoversSyntheticSources(t *testing.T) {
	const d = 4000
	for _, alg := range []struct {
		name string
		alg  ICAAlgorithm
	}{{"parallel", ICAParallel}, {"deflation", ICADeflation}} {
		for _, k := range []int{2, 3, 4} {
			t.Run(alg.name+"/k="+string(rune('0'+k)), func(t *testing.T) {
				rng := newRNG(uint64(10 + k))
				x := make([]float64, k*d)
				for i := range k {
					for j := range d {
						var v float64
						switch i % 4 {
						case 0:
							v = rng.ExpFloat64() * float64(1-2*rng.IntN(2))
						case 1:
							v = rng.Float64()*2 - 1
						case 2:
							if rng.Float64() < 0.1 {
								v = rng.Float64()
							}
						case 3:
							v = math.Sin(float64(j) * 0.05)
						}
						x[i*d+j] = v
					}
				}
				s, _ := mixing.NewSampler("gaussian", 0, nil)
				c, _, err := mixing.Guard{MaxCond: 20}.Draw(s, rng, k)
				if err != nil {
					t.Fatal(err)
				}
				m := make([]float64, k*d)
				mulSmall(m, c.RawMatrix().Data, x, k, d)
				res, err := FastICA(m, k, d, rng, ICAOptions{Algorithm: alg.alg})
				if err != nil {
					t.Fatal(err)
				}
				// 0.99: the criterion; with 4000 samples the estimation error of the
				// unmixing vectors is of order 1/√4000 ≈ 0.016 in angle, |corr| ≈ 1 − 1e-4.
				if r := matchedCorr(Sources(res.Unmixing, m, k, d), x, k, d); r < 0.99 {
					t.Errorf("mean |corr| = %.4f, want ≥ 0.99 (converged %v after %d)", r, res.Converged, res.Iter)
				}
			})
		}
	}
}

func TestFastICARankDeficient(t *testing.T) {
	rng := newRNG(1)
	const d = 100
	m := make([]float64, 2*d)
	for j := range d {
		m[j] = rng.NormFloat64()
		m[d+j] = 2 * m[j] // the second upload repeats the first
	}
	if _, err := FastICA(m, 2, d, rng, ICAOptions{}); err != ErrRankDeficient {
		t.Errorf("err = %v, want ErrRankDeficient", err)
	}
}

// sparseSources draws k non-negative sparse signals in [0,1] of length d, each with pixels
// where it alone is non-zero.
func sparseSources(rng interface{ Float64() float64 }, k, d int) []float64 {
	x := make([]float64, k*d)
	for i := range k {
		for j := range d {
			if rng.Float64() < 0.2 {
				x[i*d+j] = rng.Float64()
			}
		}
		x[i*d+i] = 1 // a pure pixel
		for l := range k {
			if l != i {
				x[l*d+i] = 0
			}
		}
	}
	return x
}

func TestSimplexUnmixIsExactWithPurePixels(t *testing.T) {
	rng := newRNG(2)
	const d = 500
	s, _ := mixing.NewSampler("dirichlet", 1, nil)
	for _, k := range []int{2, 4, 8} {
		x := sparseSources(rng, k, d)
		c, _, err := mixing.Guard{}.Draw(s, rng, k)
		if err != nil {
			t.Fatal(err)
		}
		m := make([]float64, k*d)
		mulSmall(m, c.RawMatrix().Data, x, k, d)
		got, err := SimplexUnmix(m, k, d)
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		// The columns come out in the order SPA finds them: compare up to a permutation.
		// 1e-9: a k×k solve with condition number ≤ 100 in float64.
		for j := range k {
			found := false
			for l := range k {
				same := true
				for i := range k {
					same = same && math.Abs(got.At(i, j)-c.At(i, l)) < 1e-9
				}
				found = found || same
			}
			if !found {
				t.Errorf("k=%d: column %d of the estimate matches no column of C:\n%v\nvs\n%v", k, j, mat.Formatted(got), mat.Formatted(c))
				break
			}
		}
	}
}

func TestRowSumScale(t *testing.T) {
	c := mat.NewDense(2, 2, []float64{0.7, 0.3, 0.6, 0.4})
	ci := invert(c)
	// What ICA could return: rows permuted and scaled by −3 and 0.5.
	u := mat.NewDense(2, 2, nil)
	u.SetRow(0, []float64{-3 * ci.At(1, 0), -3 * ci.At(1, 1)})
	u.SetRow(1, []float64{0.5 * ci.At(0, 0), 0.5 * ci.At(0, 1)})
	got := RowSumScale(u)
	want := mat.NewDense(2, 2, []float64{ci.At(1, 0), ci.At(1, 1), ci.At(0, 0), ci.At(0, 1)})
	if !mat.EqualApprox(got, want, 1e-12) {
		t.Errorf("RowSumScale = %v, want %v", mat.Formatted(got), mat.Formatted(want))
	}
}

func TestAssignMatchesBruteForce(t *testing.T) {
	rng := newRNG(3)
	for trial := range 50 {
		n, m := 1+trial%4, 4+trial%3
		cost := make([]float64, n*m)
		for i := range cost {
			cost[i] = float64(rng.IntN(10))
		}
		got := Assign(cost, n, m)
		seen := map[int]bool{}
		var total float64
		for i, j := range got {
			if seen[j] {
				t.Fatalf("column %d assigned twice", j)
			}
			seen[j] = true
			total += cost[i*m+j]
		}
		best := math.Inf(1)
		var rec func(i int, used []bool, s float64)
		rec = func(i int, used []bool, s float64) {
			if i == n {
				best = math.Min(best, s)
				return
			}
			for j := range m {
				if !used[j] {
					used[j] = true
					rec(i+1, used, s+cost[i*m+j])
					used[j] = false
				}
			}
		}
		rec(0, make([]bool, m), 0)
		if total != best {
			t.Fatalf("trial %d: cost %g, brute force %g", trial, total, best)
		}
	}
}

// A noise-free linear map is recovered by the primal (d ≤ n) and the dual (d > n) solver. In
// the dual case the inputs lie in a 10-dimensional subspace, so 30 rows determine the map there.
func TestRidgeRecoversLinearMap(t *testing.T) {
	for _, c := range []struct {
		name    string
		n, d, r int
	}{{"primal", 200, 20, 20}, {"dual", 30, 60, 10}} {
		t.Run(c.name, func(t *testing.T) {
			rng := newRNG(4)
			const o = 3
			randm := func(r, c int) *mat.Dense {
				m := mat.NewDense(r, c, nil)
				for i := range r {
					for j := range c {
						m.Set(i, j, rng.NormFloat64())
					}
				}
				return m
			}
			a, basis := randm(c.d, o), randm(c.r, c.d)
			gen := func(n int) (*mat.Dense, *mat.Dense) {
				var x, y mat.Dense
				x.Mul(randm(n, c.r), basis)
				y.Mul(&x, a)
				for i := range n {
					for j := range o {
						y.Set(i, j, y.At(i, j)+5)
					}
				}
				return &x, &y
			}
			x, y := gen(c.n)
			r, err := FitRidge(x, y, rng, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Unseen inputs are mapped right. 1e-3 of the target variance (about d): the
			// smallest strength tried (1e-6 of the mean eigenvalue) biases the fit by far less.
			xt, yt := gen(10)
			if l := mseLoss(r.Predict(xt), yt); l > 1e-3*float64(c.d) {
				t.Errorf("test MSE %g, want ≤ %g", l, 1e-3*float64(c.d))
			}
		})
	}
}

func TestBalancedClustersRecoversPlantedGroups(t *testing.T) {
	rng := newRNG(5)
	const n, k = 60, 3
	truth := rng.Perm(n) // item i belongs to group truth[i]/k
	aff := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := 0.3 * rng.Float64()
			if truth[i]/k == truth[j]/k {
				v = 0.5 + 0.5*rng.Float64()
			}
			aff.SetSym(i, j, v)
		}
	}
	label := BalancedClusters(aff, k)
	want := make([]int, n)
	for i := range want {
		want[i] = truth[i] / k
	}
	if ari := metrics.ARI(want, label); ari != 1 {
		t.Errorf("ARI = %g, want 1", ari)
	}
	count := map[int]int{}
	for _, l := range label {
		count[l]++
	}
	for l, c := range count {
		if c != k {
			t.Errorf("cluster %d has %d items, want %d", l, c, k)
		}
	}
}

func TestAffinitySupportIsOneWithinGroups(t *testing.T) {
	up := []float32{
		0, 1, 2, 0, // shares support with the next
		0, 3, 1, 0,
		5, 0, 0, 1,
	}
	aff, kind := Affinity(up, 3, 4, AffinityAuto)
	if kind != AffinitySupport {
		t.Fatalf("auto chose %s with half the values zero, want support", kind)
	}
	if aff.At(0, 1) != 1 || aff.At(0, 2) != 0 {
		t.Errorf("affinities %g and %g, want 1 and 0", aff.At(0, 1), aff.At(0, 2))
	}
}

// ---- attacks on MNIST at split 0 ----

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

// Issue 3's sanity check of the inversion attack: at split 0, k = 1, the upload is the image
// and the decoder learns the identity; SSIM must reach 0.9.
func TestInversionSplit0K1Reconstructs(t *testing.T) {
	env := pixelEnv(t, 200, 1, 200, false, 1)
	res := run(t, Spec{Kind: KindInversion, HeadWeights: true}, env)
	if s := res.Metrics["inversion_ssim"]; !(s >= 0.9) {
		t.Errorf("inversion_ssim = %g, want ≥ 0.9 (notes: %v)", s, res.Notes)
	}
	if !strings.HasPrefix(res.Notes["inversion"], "setting: ") {
		t.Errorf("notes %q, want the setting", res.Notes["inversion"])
	}
	if len(res.Recon) != 1 || len(res.Recon[0].Images) != 200 {
		t.Errorf("reconstructions for the grid missing")
	}
}

// Issue 3's sanity check of the attribute attack: on unmixed uploads (k = 1) it is far above
// chance. Ridge on raw pixels reaches about 0.8 on digits (chance about 0.13); 0.5 above chance
// leaves a wide margin.
func TestAttributeUnmixedFarAboveChance(t *testing.T) {
	env := pixelEnv(t, 200, 1, 200, false, 2)
	res := run(t, Spec{Kind: KindAttribute, HeadWeights: true}, env)
	for _, a := range []string{"label", "ink"} {
		acc, chance := res.Metrics["attr_"+a+"_acc"], res.Metrics["attr_"+a+"_chance"]
		margin := 0.5
		if a == "ink" {
			margin = 0.2 // a binary attribute: chance is about 0.5-0.6, accuracy about 0.9
		}
		if !(acc >= chance+margin) {
			t.Errorf("attr_%s_acc = %g, chance %g: want ≥ chance + %g", a, acc, chance, margin)
		}
	}
}

func TestOutputInferenceAboveChance(t *testing.T) {
	env := pixelEnv(t, 200, 2, 200, true, 3)
	res := run(t, Spec{Kind: KindOutput, HeadWeights: true}, env)
	if acc, chance := res.Metrics["output_acc"], res.Metrics["output_chance"]; !(acc > chance+0.2) {
		t.Errorf("output_acc = %g, chance %g: want well above chance", acc, chance)
	}
}

// Group matching undoes the shuffle at split 0 (measured: every group recovered at k = 2, 4),
// and ICA on the recovered groups reaches the reference quality; the strong variant beats it.
func TestGroupMatchingAndICAOnShuffledMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("about 2 s")
	}
	for _, k := range []int{2, 4} {
		env := pixelEnv(t, 200, k, 200, true, uint64(4+k))
		gm := run(t, Spec{Kind: KindGroupMatching}, env)
		if acc := gm.Metrics["group_match_acc"]; !(acc >= 0.95) {
			t.Errorf("k=%d: group_match_acc = %g, want ≥ 0.95", k, acc)
		}
		res := run(t, Spec{Kind: KindICA, HeadWeights: true, Grouping: GroupingAuto}, env)
		// Reference (issue 3): scikit-learn reaches 0.92 at k = 2 and 0.83 at k = 4; 0.05
		// below that allows for the 100 or 50 groups sampled here.
		ref := map[int]float64{2: 0.92, 4: 0.83}[k]
		if c := res.Metrics["ica_corr"]; !(c >= ref-0.05) {
			t.Errorf("k=%d: ica_corr = %g, want ≥ %g", k, c, ref-0.05)
		}
		if c := res.Metrics["ica_strong_corr"]; !(c >= 0.99) {
			t.Errorf("k=%d: ica_strong_corr = %g, want ≥ 0.99", k, c)
		}
		if !strings.Contains(res.Notes["ica"], "recovered by group matching") {
			t.Errorf("notes %q, want the grouping", res.Notes["ica"])
		}
	}
}

// splitNet pretends to be split 1 so that attacks needing the head's weights can be withheld.
type splitNet struct{ *pixelNet }

func (splitNet) Split() int { return 1 }

func TestSkippedAttacksRecordWhy(t *testing.T) {
	unshuffled := pixelEnv(t, 100, 2, 100, false, 7)
	single := pixelEnv(t, 100, 1, 100, true, 8)
	noHead := pixelEnv(t, 100, 2, 100, true, 9)
	noHead.Net = splitNet{noHead.Net.(*pixelNet)}
	for _, c := range []struct {
		name string
		spec Spec
		env  *Env
		why  string
	}{
		{"ica k=1", Spec{Kind: KindICA}, single, "k = 1"},
		{"group matching k=1", Spec{Kind: KindGroupMatching}, single, "k = 1"},
		{"group matching unshuffled", Spec{Kind: KindGroupMatching}, unshuffled, "not shuffled"},
		{"inversion without head", Spec{Kind: KindInversion}, noHead, "head's weights"},
		{"attribute without head", Spec{Kind: KindAttribute}, noHead, "head's weights"},
		{"output without head", Spec{Kind: KindOutput}, noHead, "head's weights"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.spec, c.env)
			note := res.Notes[c.spec.ColumnPrefix()]
			if !strings.HasPrefix(note, "skipped: ") || !strings.Contains(note, c.why) {
				t.Errorf("note %q, want skipped because %s", note, c.why)
			}
			if len(res.Metrics) != 0 {
				t.Errorf("a skipped attack reported %v", res.Metrics)
			}
		})
	}
}

func TestRunRejectsUnknownKind(t *testing.T) {
	if _, err := Run(Spec{Kind: "telepathy"}, &Env{}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("err = %v", err)
	}
}

func TestKindsHaveDistinctColumnPrefixes(t *testing.T) {
	var names []string
	for _, k := range Kinds() {
		names = append(names, DefaultName(k))
	}
	slices.Sort(names)
	if len(slices.Compact(names)) != len(Kinds()) {
		t.Errorf("default names collide: %v", names)
	}
}
