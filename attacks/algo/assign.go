package algo

import (
	"fmt"
	"math"
)

// Assign solves the rectangular assignment problem: for an n×m cost matrix (row-major,
// n ≤ m) it returns, for each row, a distinct column so that the total cost is least. It is
// the Hungarian method with potentials in the shortest-augmenting-path form (Kuhn 1955;
// Jonker and Volgenant 1987), O(n²m). The scorers use it to match recovered sources to group
// members, which the attacker cannot order (ICA's permutation ambiguity).
func Assign(cost []float64, n, m int) []int {
	if n > m || len(cost) != n*m {
		panic(fmt.Sprintf("algo: Assign of %d costs as %d×%d, need n ≤ m", len(cost), n, m))
	}
	inf := math.Inf(1)
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	p := make([]int, m+1) // p[j]: row (1-based) assigned to column j; 0 = none
	way := make([]int, m+1)
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = inf
			used[j] = false
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], inf, 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				cur := cost[(i0-1)*m+j-1] - u[i0] - v[j]
				if cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	out := make([]int, n)
	for j := 1; j <= m; j++ {
		if p[j] > 0 {
			out[p[j]-1] = j - 1
		}
	}
	return out
}
