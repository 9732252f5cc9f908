// Command groupmatch measures group matching (package attacks) on shuffled pools of DataMix
// uploads built from MNIST.
//
//	go run ./bench/groupmatch scale [-sizes 500,1000,…] [-old 4000] [-k 2]
//
// prints, per pool size, the time and accuracy of algo.MatchGroups (the nearest-neighbour
// algorithm the attack runs) and, up to -old uploads, of the dense algorithm it replaced
// (algo.Affinity and algo.BalancedClusters on the n×n matrix), on the same uploads.
// Uploads are split-0 uploads (mixed pixels) of training digits, k consecutive digits per
// group mixed by a fresh C with Dirichlet(1) rows (condition number ≤ 100, the harness's
// default guard), one pool shuffled together.
//
//	go run ./bench/groupmatch dense [-out results/group-matching]
//
// measures group matching where support matching cannot work, on uploads made dense (see
// dense.go), and writes results.csv and table.md into the output folder.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/datamix/harness/attacks/algo"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/metrics"
	"github.com/datamix/harness/mixing"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: groupmatch scale|dense [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "scale":
		err = scale(os.Args[2:])
	case "dense":
		err = dense(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "groupmatch: unknown command %q, want scale or dense\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "groupmatch:", err)
		os.Exit(1)
	}
}

func scale(args []string) error {
	fs := flag.NewFlagSet("scale", flag.ExitOnError)
	sizes := fs.String("sizes", "500,1000,2000,4000,10000,20000", "pool sizes (multiples of k, at most 60000)")
	oldMax := fs.Int("old", 4000, "largest pool the dense algorithm is run on")
	k := fs.Int("k", 2, "group size")
	seed := fs.Uint64("seed", 1, "seed of the coefficients and the shuffle")
	affinity := fs.String("affinity", algo.AffinityAuto, "auto, support, correlation or subspace (the old algorithm has no subspace)")
	fs.Parse(args)
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < *k || n%*k != 0 || n > 60000 {
			return fmt.Errorf("-sizes: %q, need multiples of k = %d up to 60000", f, *k)
		}
		ns = append(ns, n)
	}
	maxN := 0
	for _, n := range ns {
		maxN = max(maxN, n)
	}
	ds, err := datasets.Load(datasets.Spec{Name: "mnist", TrainLimit: maxN, TestLimit: 1})
	if err != nil {
		return err
	}
	fmt.Printf("group matching, split 0 (mixed MNIST pixels), k = %d, Dirichlet(1) rows, one shuffled pool; %s affinity\n", *k, *affinity)
	fmt.Printf("| pool | new: seconds | new: acc | new: ARI | old: seconds | old: acc | old: ARI | same groups |\n")
	fmt.Printf("|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, n := range ns {
		p, err := makePool(ds.Train.X[:n*784], n, 784, *k, *seed)
		if err != nil {
			return err
		}
		start := time.Now()
		m := algo.MatchGroups(p.up, n, 784, *k, *affinity)
		secs := time.Since(start).Seconds()
		acc, ari := p.score(m.Groups)
		line := fmt.Sprintf("| %d | %.2f | %.4f | %.4f |", n, secs, acc, ari)
		if n <= *oldMax {
			start := time.Now()
			aff, _ := algo.Affinity(p.up, n, 784, *affinity)
			label := algo.BalancedClusters(aff, *k)
			old := make([][]int, n / *k)
			for i, l := range label {
				old[l] = append(old[l], i)
			}
			osecs := time.Since(start).Seconds()
			oacc, oari := p.score(old)
			line += fmt.Sprintf(" %.2f | %.4f | %.4f | %t |", osecs, oacc, oari, sameGroups(old, m.Groups))
		} else {
			line += " — | — | — | — |"
		}
		fmt.Println(line)
	}
	return nil
}

// pool is one shuffled pool of uploads and the group each upload belongs to.
type pool struct {
	up    []float32
	group []int // true group of each upload position
	k     int
}

// makePool mixes x (n × d) in groups of k consecutive rows by fresh Dirichlet(1) C's (the
// harness's default guard) and shuffles the uploads.
func makePool(x []float32, n, d, k int, seed uint64) (*pool, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6a7c4))
	s, err := mixing.NewSampler("dirichlet", 1, nil)
	if err != nil {
		return nil, err
	}
	cs, _, err := mixing.DrawGroups(mixing.Guard{}, s, rng, n, k)
	if err != nil {
		return nil, err
	}
	mixed := make([]float32, n*d)
	mixing.MixBatch(mixed, cs, x, d)
	perm := mixing.Permutation(rng, n)
	p := &pool{up: make([]float32, n*d), group: make([]int, n), k: k}
	mixing.Shuffle(p.up, mixed, d, perm)
	for i, q := range perm {
		p.group[q] = i / k
	}
	return p, nil
}

// score returns the fraction of groups recovered exactly and the adjusted Rand index.
func (p *pool) score(groups [][]int) (acc, ari float64) {
	found := make([]int, len(p.group))
	exact := 0
	for gi, g := range groups {
		same := true
		for _, q := range g {
			found[q] = gi
			same = same && p.group[q] == p.group[g[0]]
		}
		if same {
			exact++
		}
	}
	return float64(exact) / float64(len(groups)), metrics.ARI(p.group, found)
}

func sameGroups(a, b [][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if fmt.Sprint(a[i]) != fmt.Sprint(b[i]) {
			return false
		}
	}
	return true
}
