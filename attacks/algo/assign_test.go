package algo

import (
	"math"
	"testing"
)

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
