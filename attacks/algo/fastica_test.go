package algo

import (
	"math"
	"testing"

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
// exactly (the sanity check of any separation: |corr| ≥ 0.99). Sources: Laplace (super-Gaussian), uniform
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
				// 0.99: the sanity criterion; with 4000 samples the estimation error of the
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
