package algo

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/metrics"
)

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
