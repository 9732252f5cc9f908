package algo

import (
	"container/heap"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// MatchingMethod describes MatchGroups in a sentence, for an attack's notes.
const MatchingMethod = "balanced greedy clustering with swap refinement on a nearest-neighbour graph"

// Match is what MatchGroups found: the groups, each a list of row indices in increasing order,
// in the order they were formed, and the affinity used (auto resolved).
type Match struct {
	Groups   [][]int
	Affinity string
}

// MatchGroups partitions n uploads (n × d, n a multiple of k) into groups of exactly k: the
// attack of group matching. Under support and correlation affinity (Affinity) it is the
// clustering BalancedClusters makes of the dense n×n affinity matrix, without ever holding
// that matrix: each upload's neighbours (its matchNeighbours(k) most affine others) are found
// in blocks of rows, and affinities beyond them are computed when needed. Memory grows as n,
// time about as n² for the neighbours (a popcount per pair under support affinity, a dot
// product under correlation) plus a near-linear clustering. Under subspace affinity the
// neighbours are correlation's and the groups are grown and refined by the subspace their
// uploads span (see subspace), which needs no exact zeros. Auto picks support when at least
// 1% of the values are exact zeros, subspace otherwise.
//
// The greedy phase is BalancedClusters' own, exactly: the seeds and members it picks from
// the neighbour lists are provably those of a scan over every unassigned upload (an upload
// outside the lists of a cluster's members has at most the sum of their lists' smallest
// affinities), and it falls back to that scan when the bound does not decide. The swap phase
// tries only pairs of clusters joined by a neighbour link, where BalancedClusters tries every
// pair; the two agree whenever BalancedClusters makes no swap across unlinked clusters (on
// MNIST uploads under support affinity, always: its greedy phase is already optimal). Under
// correlation affinity, where BalancedClusters swaps among poorly matched clusters, the two
// differ by about a percent of the groups either way (bench/groupmatch).
func MatchGroups(up []float32, n, d, k int, affinity string) Match {
	if len(up) != n*d {
		panic(fmt.Sprintf("algo: MatchGroups of %d values as %d×%d", len(up), n, d))
	}
	if k < 1 || n%k != 0 {
		panic(fmt.Sprintf("algo: %d uploads in groups of %d", n, k))
	}
	rows, kind := newAffinityRows(up, n, d, affinity)
	g := newNeighbourGraph(rows, matchNeighbours(k))
	var obj groupObjective = &pairwise{g: g, known: map[[2]int]float64{}}
	if kind == AffinitySubspace {
		obj = &subspace{g: g, z: rows.(*corrRows), known: map[[2]int]float64{}}
	}
	label, groups := g.greedy(k, obj)
	if k > 1 {
		g.swapRefine(label, groups, obj)
	}
	out := make([][]int, n/k)
	for i, l := range label {
		out[l] = append(out[l], i)
	}
	return Match{Groups: out, Affinity: kind}
}

// matchNeighbours is the number of neighbours kept per upload for groups of k: four times the
// k−1 mates a group member has, and at least 8 more, so that the greedy phase rarely needs a
// scan (the mates of an upload are its most affine neighbours whenever matching can work).
func matchNeighbours(k int) int { return 4*(k-1) + 8 }

// affinityRows holds n uploads prepared for one affinity. pair and block give the same values,
// bit for bit, as the dense Affinity matrix.
type affinityRows interface {
	len() int
	// pair returns the affinity of rows i and j.
	pair(i, j int) float64
	// block writes the affinities of rows lo … hi−1 to every row into out, (hi−lo) × n.
	block(lo, hi int, out []float64)
}

// newAffinityRows prepares n uploads (n × d) for the affinity kind (auto resolved as
// Affinity does) and returns them with the kind used.
func newAffinityRows(up []float32, n, d int, kind string) (affinityRows, string) {
	kind = resolveAffinity(up, kind)
	switch kind {
	case AffinitySupport:
		return newSupportRows(up, n, d), kind
	case AffinityCorrelation, AffinitySubspace:
		return newCorrRows(up, n, d), kind
	}
	panic(fmt.Sprintf("algo: unknown affinity %q", kind))
}

// supportRows are uploads as bit sets of their non-zero values: the affinity of two is the
// Jaccard index of their sets (1 when both are empty).
type supportRows struct {
	n, words int
	set      []uint64
	count    []int
}

func newSupportRows(up []float32, n, d int) *supportRows {
	s := &supportRows{n: n, words: (d + 63) / 64}
	s.set = make([]uint64, n*s.words)
	s.count = make([]int, n)
	for i := range n {
		for j, v := range up[i*d : (i+1)*d] {
			if v != 0 {
				s.set[i*s.words+j/64] |= 1 << (j % 64)
				s.count[i]++
			}
		}
	}
	return s
}

func (s *supportRows) len() int { return s.n }

func (s *supportRows) pair(i, j int) float64 {
	a := s.set[i*s.words : (i+1)*s.words]
	b := s.set[j*s.words : (j+1)*s.words]
	inter := 0
	for t := range a {
		inter += bits.OnesCount64(a[t] & b[t])
	}
	union := s.count[i] + s.count[j] - inter
	if union > 0 {
		return float64(inter) / float64(union)
	}
	return 1
}

func (s *supportRows) block(lo, hi int, out []float64) {
	parallelRows(lo, hi, func(i int) {
		row := out[(i-lo)*s.n : (i-lo+1)*s.n]
		for j := range s.n {
			row[j] = s.pair(i, j)
		}
	})
}

// corrRows are uploads centred and scaled to unit norm: the affinity of two is the absolute
// value of their dot product, |Pearson r|.
type corrRows struct {
	n, d int
	z    *mat.Dense
}

func newCorrRows(up []float32, n, d int) *corrRows {
	z := mat.NewDense(n, d, nil)
	for i := range n {
		row := up[i*d : (i+1)*d]
		var m float64
		for _, v := range row {
			m += float64(v)
		}
		m /= float64(d)
		var ss float64
		dst := z.RawRowView(i)
		for j, v := range row {
			dst[j] = float64(v) - m
			ss += dst[j] * dst[j]
		}
		if ss > 0 {
			s := 1 / math.Sqrt(ss)
			for j := range dst {
				dst[j] *= s
			}
		}
	}
	return &corrRows{n: n, d: d, z: z}
}

func (c *corrRows) len() int { return c.n }

// pair sums the dot product as gonum's Dgemm sums an entry of z·zᵀ, so that it equals the
// dense matrix's (correlationAffinity) bit for bit: in chunks of 64 terms when the product
// is computed in 64×64 blocks (more than 64 rows), in one otherwise.
func (c *corrRows) pair(i, j int) float64 {
	a, b := c.z.RawRowView(i), c.z.RawRowView(j)
	if c.n <= gemmBlock {
		return math.Abs(blas64.Dot(blas64.Vector{N: c.d, Inc: 1, Data: a}, blas64.Vector{N: c.d, Inc: 1, Data: b}))
	}
	var s float64
	for lo := 0; lo < c.d; lo += gemmBlock {
		hi := min(lo+gemmBlock, c.d)
		s += blas64.Dot(blas64.Vector{N: hi - lo, Inc: 1, Data: a[lo:hi]}, blas64.Vector{N: hi - lo, Inc: 1, Data: b[lo:hi]})
	}
	return math.Abs(s)
}

// gemmBlock is the block size of gonum's Dgemm, which sums the inner dimension in chunks of
// this many terms whenever the product has at least four blocks.
const gemmBlock = 64

// corrBlock is the number of rows of z·zᵀ computed at once. Up to it the whole product is one
// (the dense matrix's own); beyond, every block of rows has at least five 64×64 blocks, so
// gonum computes it in blocks too, with the same sums.
const corrBlock = 256

func (c *corrRows) block(lo, hi int, out []float64) {
	var p mat.Dense
	p.Mul(c.z.Slice(lo, hi, 0, c.d), c.z.T())
	for i := lo; i < hi; i++ {
		row := out[(i-lo)*c.n : (i-lo+1)*c.n]
		for j, v := range p.RawRowView(i - lo) {
			row[j] = math.Abs(v)
		}
	}
}

// parallelRows calls f for every row in [lo, hi), spread over the processors.
func parallelRows(lo, hi int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), hi-lo)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo + w; i < hi; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// neighbour is one entry of a neighbour list: a row and its affinity.
type neighbour struct {
	j int
	a float64
}

// before orders neighbour lists: larger affinity first, then smaller index.
func (x neighbour) before(y neighbour) bool { return x.a > y.a || x.a == y.a && x.j < y.j }

// neighbourGraph holds, per row, a list of its most affine other rows in the order of before,
// and whether the list is complete (holds every row that can still be a candidate) or
// truncated (every row outside it has at most the affinity of its last entry).
type neighbourGraph struct {
	rows     affinityRows
	m        int
	nbr      [][]neighbour
	complete []bool
	assigned []bool
}

// newNeighbourGraph finds each row's m most affine other rows, computing the affinities in
// blocks of rows.
func newNeighbourGraph(rows affinityRows, m int) *neighbourGraph {
	n := rows.len()
	g := &neighbourGraph{rows: rows, m: m, nbr: make([][]neighbour, n), complete: make([]bool, n), assigned: make([]bool, n)}
	bs := min(n, corrBlock)
	buf := make([]float64, bs*n)
	for lo := 0; lo < n; lo += bs {
		hi := min(lo+bs, n)
		rows.block(lo, hi, buf[:(hi-lo)*n])
		parallelRows(lo, hi, func(i int) {
			row := buf[(i-lo)*n : (i-lo+1)*n]
			g.nbr[i] = topNeighbours(m, func(yield func(j int, a float64)) {
				for j, a := range row {
					if j != i {
						yield(j, a)
					}
				}
			})
			g.complete[i] = n-1 <= m
		})
	}
	return g
}

// topNeighbours returns the m first of the neighbours each yields, in the order of before.
func topNeighbours(m int, each func(yield func(j int, a float64))) []neighbour {
	top := make([]neighbour, 0, m+1)
	each(func(j int, a float64) {
		x := neighbour{j, a}
		if len(top) == m && !x.before(top[m-1]) {
			return
		}
		at, _ := slices.BinarySearchFunc(top, x, func(e, t neighbour) int {
			if e.before(t) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, at, x)
		if len(top) > m {
			top = top[:m]
		}
	})
	return top
}

// refresh recomputes row i's list over the unassigned rows: a full scan.
func (g *neighbourGraph) refresh(i int) {
	others := 0
	g.nbr[i] = topNeighbours(g.m, func(yield func(j int, a float64)) {
		for j := range g.assigned {
			if j != i && !g.assigned[j] {
				others++
				yield(j, g.rows.pair(i, j))
			}
		}
	})
	g.complete[i] = others <= g.m
}

// seedScore is the score of row i as a seed, as BalancedClusters' greedy phase defines it: the
// sum of its k−1 largest affinities to unassigned rows, largest first, or, when only k−1
// unassigned others are left (the last group), the sum of their affinities in index order.
// left is the number of unassigned rows.
func (g *neighbourGraph) seedScore(i, k, left int) float64 {
	if k == 1 {
		return 0
	}
	if left == k {
		var s float64
		for j, done := range g.assigned {
			if j != i && !done {
				s += g.rows.pair(i, j)
			}
		}
		return s
	}
	for {
		var s float64
		got := 0
		for _, nb := range g.nbr[i] {
			if !g.assigned[nb.j] {
				s += nb.a
				if got++; got == k-1 {
					return s
				}
			}
		}
		// Too few unassigned neighbours are listed for the sum to be known: list again.
		g.refresh(i)
	}
}

// greedy is BalancedClusters' greedy phase (greedyClusters) on the neighbour graph: the same
// seeds and members in the same order, the affinities summed in the same order.
func (g *neighbourGraph) greedy(k int, obj groupObjective) (label []int, groups [][]int) {
	n := g.rows.len()
	label = make([]int, n)
	for i := range label {
		label[i] = -1
	}
	seeds := make(seedHeap, n)
	for i := range n {
		seeds[i] = seedEntry{i: i, score: g.seedScore(i, k, n)}
	}
	heap.Init(&seeds)
	left := n
	for gi := 0; gi < n/k; gi++ {
		// Scores only fall as rows are assigned, so a stored score bounds the true one: the
		// first entry whose score is current is the seed.
		var seed int
		for {
			e := heap.Pop(&seeds).(seedEntry)
			if g.assigned[e.i] {
				continue
			}
			if s := g.seedScore(e.i, k, left); s != e.score {
				heap.Push(&seeds, seedEntry{i: e.i, score: s})
				continue
			}
			seed = e.i
			break
		}
		members := []int{seed}
		g.assign(seed, gi, label)
		for len(members) < k {
			best := obj.grow(members)
			members = append(members, best)
			g.assign(best, gi, label)
		}
		left -= k
		groups = append(groups, members)
	}
	return label, groups
}

func (g *neighbourGraph) assign(i, group int, label []int) {
	g.assigned[i] = true
	label[i] = group
}

// groupObjective is what the clustering of a neighbour graph maximises: how the greedy phase
// completes a group, and what a swap between two groups gains.
type groupObjective interface {
	// grow returns the unassigned row that best joins members.
	grow(members []int) int
	// gain is the rise of the objective when x (of group A) and y (of group B) change places.
	gain(A, B []int, x, y int) float64
}

// pairwise is BalancedClusters' objective: the total affinity within groups.
type pairwise struct {
	g     *neighbourGraph
	known map[[2]int]float64 // affinities computed for the swap phase, which asks again and again
}

// grow returns the unassigned row with the largest total affinity to members (the
// smallest index among ties), summed in member order. It looks among the members' neighbours
// first and accepts the best of them when no row outside their lists can reach its total;
// otherwise it scans every unassigned row.
func (p *pairwise) grow(members []int) int {
	g := p.g
	total := func(j int) float64 {
		var s float64
		for _, m := range members {
			s += g.rows.pair(j, m)
		}
		return s
	}
	var cands []int
	bound, bounded := 0.0, true
	for _, m := range members {
		for _, nb := range g.nbr[m] {
			if !g.assigned[nb.j] {
				cands = append(cands, nb.j)
			}
		}
		if g.complete[m] {
			bounded = false // every unassigned row is a candidate
		} else if l := g.nbr[m]; len(l) > 0 {
			bound += l[len(l)-1].a
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	best, bestScore := -1, math.Inf(-1)
	for _, j := range cands {
		if s := total(j); s > bestScore {
			best, bestScore = j, s
		}
	}
	// 1e-9 covers the round-off of the bound's sum, affinities being in [0, 1].
	if best >= 0 && (!bounded || bestScore > bound+1e-9) {
		return best
	}
	best, bestScore = -1, math.Inf(-1)
	for j, done := range g.assigned {
		if !done {
			if s := total(j); s > bestScore {
				best, bestScore = j, s
			}
		}
	}
	return best
}

// pair returns the affinity of rows x and y, computed once.
func (p *pairwise) pair(x, y int) float64 {
	key := [2]int{min(x, y), max(x, y)}
	a, ok := p.known[key]
	if !ok {
		a = p.g.rows.pair(x, y)
		p.known[key] = a
	}
	return a
}

// with is the total affinity of x to the members of grp other than except, in member order.
func (p *pairwise) with(x int, grp []int, except int) float64 {
	var s float64
	for _, y := range grp {
		if y != except {
			s += p.pair(x, y)
		}
	}
	return s
}

// gain is BalancedClusters' swap gain, summed in the same order.
func (p *pairwise) gain(A, B []int, x, y int) float64 {
	return p.with(y, A, x) + p.with(x, B, y) - p.with(x, A, x) - p.with(y, B, y)
}

// swapRefine is BalancedClusters' swap phase (swapRefine) restricted to pairs of clusters
// joined by a neighbour link (a member of one lists a member of the other): pass after pass,
// clusters in order, it swaps two items wherever that raises the objective by more than
// 1e-12, until a pass makes no swap or 50 passes have run. It updates label and groups in
// place.
func (g *neighbourGraph) swapRefine(label []int, groups [][]int, obj groupObjective) {
	n := g.rows.len()
	linked := make([][]int, n) // rows listing i or listed by i
	for i, l := range g.nbr {
		for _, nb := range l {
			linked[i] = append(linked[i], nb.j)
			linked[nb.j] = append(linked[nb.j], i)
		}
	}
	partners := func(ga int) []int {
		var out []int
		for _, x := range groups[ga] {
			for _, y := range linked[x] {
				if gb := label[y]; gb > ga {
					out = append(out, gb)
				}
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for pass := 0; pass < 50; pass++ {
		swapped := false
		for ga := range groups {
			list := partners(ga)
			for t := 0; t < len(list); t++ {
				gb := list[t]
				A, B := groups[ga], groups[gb]
				moved := false
				for ia, x := range A {
					for ib, y := range B {
						if obj.gain(A, B, x, y) > 1e-12 {
							A[ia], B[ib] = y, x
							label[x], label[y] = gb, ga
							x = y
							swapped, moved = true, true
						}
					}
				}
				if moved {
					// New members bring their links: the partners after gb, again.
					list = slices.DeleteFunc(partners(ga), func(c int) bool { return c <= gb })
					t = -1
				}
			}
		}
		if !swapped {
			return
		}
	}
}

// seedEntry is a candidate seed and its score when it was last computed.
type seedEntry struct {
	i     int
	score float64
}

// seedHeap orders candidate seeds by score, largest first, then by index, smallest first.
type seedHeap []seedEntry

func (h seedHeap) Len() int { return len(h) }
func (h seedHeap) Less(a, b int) bool {
	return h[a].score > h[b].score || h[a].score == h[b].score && h[a].i < h[b].i
}
func (h seedHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *seedHeap) Push(x any)   { *h = append(*h, x.(seedEntry)) }
func (h *seedHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
