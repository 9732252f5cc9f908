package algo

import (
	"fmt"
	"math"
	"math/bits"

	"gonum.org/v1/gonum/mat"
)

// Affinities for group matching.
const (
	AffinityAuto        = "auto"        // support when the uploads have exact zeros, else subspace
	AffinitySupport     = "support"     // Jaccard index of the non-zero sets
	AffinityCorrelation = "correlation" // |Pearson correlation|
	AffinitySubspace    = "subspace"    // a group's rows span one k-dimensional subspace (MatchGroups only)
)

// Affinity returns the n×n affinity matrix of n uploads (n × d) and the affinity used (auto
// resolved). The uploads of one group are mixtures of the same k inputs, so they lie in one
// k-dimensional subspace and, with non-zero coefficients, share their support exactly: a value
// is zero in every upload of a group wherever it is zero in every member, and non-zero
// elsewhere. Support affinity is the Jaccard index of the non-zero sets (1 within a group);
// correlation affinity is |Pearson r|, which also rises within a group because every upload
// carries every member. Auto picks support when at least 1% of the values are exact zeros
// (pixel backgrounds, ReLU features), correlation otherwise (MatchGroups' auto picks its
// subspace objective instead, which is not a pairwise affinity). Affinity and
// BalancedClusters hold the n×n matrix: MatchGroups is the same clustering for large pools.
func Affinity(up []float32, n, d int, kind string) (*mat.SymDense, string) {
	if len(up) != n*d {
		panic(fmt.Sprintf("algo: Affinity of %d values as %d×%d", len(up), n, d))
	}
	if kind == AffinityAuto || kind == "" {
		if kind = resolveAffinity(up, kind); kind == AffinitySubspace {
			kind = AffinityCorrelation
		}
	}
	aff := mat.NewSymDense(n, nil)
	switch kind {
	case AffinitySupport:
		supportAffinity(aff, up, n, d)
	case AffinityCorrelation:
		correlationAffinity(aff, up, n, d)
	default:
		panic(fmt.Sprintf("algo: unknown affinity %q", kind))
	}
	return aff, kind
}

// resolveAffinity resolves AffinityAuto (or "") for the uploads up: support when at least 1%
// of the values are exact zeros, subspace otherwise. Other kinds are returned as they are.
func resolveAffinity(up []float32, kind string) string {
	if kind != AffinityAuto && kind != "" {
		return kind
	}
	zeros := 0
	for _, v := range up {
		if v == 0 {
			zeros++
		}
	}
	if zeros*100 >= len(up) {
		return AffinitySupport
	}
	return AffinitySubspace
}

// supportAffinity sets aff to the Jaccard index of the non-zero sets of the n uploads (n × d),
// counted on bit sets.
func supportAffinity(aff *mat.SymDense, up []float32, n, d int) {
	words := (d + 63) / 64
	set := make([]uint64, n*words)
	count := make([]int, n)
	for i := range n {
		for j, v := range up[i*d : (i+1)*d] {
			if v != 0 {
				set[i*words+j/64] |= 1 << (j % 64)
				count[i]++
			}
		}
	}
	for i := range n {
		a := set[i*words : (i+1)*words]
		for j := i; j < n; j++ {
			b := set[j*words : (j+1)*words]
			inter := 0
			for t := range a {
				inter += bits.OnesCount64(a[t] & b[t])
			}
			union := count[i] + count[j] - inter
			v := 1.0
			if union > 0 {
				v = float64(inter) / float64(union)
			}
			aff.SetSym(i, j, v)
		}
	}
}

// correlationAffinity sets aff to the |Pearson correlation| of the n uploads (n × d): the Gram
// matrix of the centred rows scaled to unit norm.
func correlationAffinity(aff *mat.SymDense, up []float32, n, d int) {
	z := newCorrRows(up, n, d).z
	g := gram(z)
	for i := range n {
		for j := i; j < n; j++ {
			aff.SetSym(i, j, math.Abs(g.At(i, j)))
		}
	}
}

// BalancedClusters partitions n items (n a multiple of k) into clusters of exactly k by their
// affinity: greedily, the unassigned item whose k−1 strongest affinities to other unassigned
// items sum highest seeds a cluster, which then takes, one at a time, the unassigned item with
// the largest total affinity to its members; then pairwise swaps between clusters that raise
// the total within-cluster affinity are made until none is left (at most 50 passes). It
// returns a cluster label in [0, n/k) per item.
func BalancedClusters(aff *mat.SymDense, k int) []int {
	n := aff.SymmetricDim()
	if k < 1 || n%k != 0 {
		panic(fmt.Sprintf("algo: %d items in clusters of %d", n, k))
	}
	label, groups := greedyClusters(aff, k)
	if k > 1 {
		swapRefine(aff, label, groups)
	}
	return label
}

// greedyClusters is BalancedClusters' first phase: it grows n/k clusters of k one after the
// other, each from the unassigned item whose k−1 strongest affinities to other unassigned items
// sum highest, adding the unassigned item with the largest total affinity to its members. It
// returns each item's cluster and each cluster's members.
func greedyClusters(aff *mat.SymDense, k int) (label []int, groups [][]int) {
	n := aff.SymmetricDim()
	label = make([]int, n)
	for i := range label {
		label[i] = -1
	}
	groups = make([][]int, 0, n/k)
	tops := make([]float64, 0, n)
	for g := 0; g < n/k; g++ {
		seed, seedScore := -1, math.Inf(-1)
		for i := range n {
			if label[i] >= 0 {
				continue
			}
			tops = tops[:0]
			for j := range n {
				if j != i && label[j] < 0 {
					tops = append(tops, aff.At(i, j))
				}
			}
			s := sumLargest(tops, k-1)
			if s > seedScore {
				seed, seedScore = i, s
			}
		}
		members := []int{seed}
		label[seed] = g
		for len(members) < k {
			best, bestScore := -1, math.Inf(-1)
			for j := range n {
				if label[j] >= 0 {
					continue
				}
				var s float64
				for _, m := range members {
					s += aff.At(j, m)
				}
				if s > bestScore {
					best, bestScore = j, s
				}
			}
			members = append(members, best)
			label[best] = g
		}
		groups = append(groups, members)
	}
	return label, groups
}

// swapRefine is BalancedClusters' second phase: it swaps pairs of items between clusters
// wherever that raises the total within-cluster affinity (by more than 1e-12, so that round-off
// cannot cycle), pass after pass until a pass makes no swap or 50 passes have run. It updates
// label and groups in place.
func swapRefine(aff *mat.SymDense, label []int, groups [][]int) {
	with := func(x int, g []int, except int) float64 {
		var s float64
		for _, y := range g {
			if y != except {
				s += aff.At(x, y)
			}
		}
		return s
	}
	for pass := 0; pass < 50; pass++ {
		swapped := false
		for ga := range groups {
			for gb := ga + 1; gb < len(groups); gb++ {
				A, B := groups[ga], groups[gb]
				for ia, x := range A {
					for ib, y := range B {
						gain := with(y, A, x) + with(x, B, y) - with(x, A, x) - with(y, B, y)
						if gain > 1e-12 {
							A[ia], B[ib] = y, x
							label[x], label[y] = gb, ga
							x = y
							swapped = true
						}
					}
				}
			}
		}
		if !swapped {
			return
		}
	}
}

// sumLargest returns the sum of the m largest values of v (reordering v).
func sumLargest(v []float64, m int) float64 {
	if m <= 0 {
		return 0
	}
	if m >= len(v) {
		var s float64
		for _, x := range v {
			s += x
		}
		return s
	}
	// Partial selection sort; m is k−1, small.
	var s float64
	for t := range m {
		best := t
		for j := t + 1; j < len(v); j++ {
			if v[j] > v[best] {
				best = j
			}
		}
		v[t], v[best] = v[best], v[t]
		s += v[t]
	}
	return s
}
