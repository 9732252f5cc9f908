// Command icacompare writes pixel-mixed MNIST test digits to .npy files and times and scores
// the harness's FastICA (package attacks) on them, for bench/ica_compare.sh, which runs
// scikit-learn's FastICA on the same files.
//
// Groups are k consecutive test digits; each is mixed by its own C with Dirichlet(1) rows
// (guarded to condition number ≤ -maxcond; 0 means no guard, the setting of the
// Breaking DataMix reference figures), in float32 as the edge uploads. It writes DIR/mixtures_k<k>.npy (groups × k ×
// 784, float64, the uploads) and DIR/sources_k<k>.npy (the digits), then prints one JSON line:
// the time of FastICA over all groups (one goroutine, and -workers goroutines), the mean
// |corr| of the sources under the best matching (oracle alignment; |corr| is invariant to
// sign and scale), and the same for the strong variant.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/datamix/harness/attacks/algo"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/metrics"
	"github.com/datamix/harness/mixing"
)

func main() {
	k := flag.Int("k", 4, "group size")
	groups := flag.Int("groups", 1000, "number of groups (k·groups ≤ 10000)")
	dir := flag.String("out", ".", "directory for the .npy files")
	seed := flag.Uint64("seed", 1, "seed of the coefficients and of FastICA's starts")
	maxCond := flag.Float64("maxcond", 0, "largest accepted condition number of C; 0 = no guard")
	workers := flag.Int("workers", 2, "goroutines for the parallel timing")
	flag.Parse()
	if err := run(*k, *groups, *dir, *seed, *maxCond, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "icacompare:", err)
		os.Exit(1)
	}
}

type report struct {
	K, Groups        int
	MaxCond          float64
	SecondsSerial    float64 `json:"seconds_serial"`
	SecondsParallel  float64 `json:"seconds_parallel"`
	Workers          int     `json:"workers"`
	MeanAbsCorr      float64 `json:"mean_abs_corr"`
	StrongMeanCorr   float64 `json:"strong_mean_abs_corr"`
	StrongSeconds    float64 `json:"strong_seconds_serial"`
	Failed           int     `json:"failed"`
	NotConverged     int     `json:"not_converged"`
	MixturesFile     string  `json:"mixtures"`
	SourcesFile      string  `json:"sources"`
	GuardDescription string  `json:"guard"`
}

func run(k, groups int, dir string, seed uint64, maxCond float64, workers int) error {
	const d = 784
	if k < 1 || groups < 1 || k*groups > 10000 {
		return fmt.Errorf("k·groups = %d, need 1 … 10000 (the MNIST test set)", k*groups)
	}
	ds, err := datasets.Load(datasets.Spec{Name: "mnist", TrainLimit: 1, TestLimit: k * groups})
	if err != nil {
		return err
	}
	s, err := mixing.NewSampler("dirichlet", 1, nil)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	guard := mixing.Guard{MaxCond: math.Inf(1), MaxTries: 1}
	desc := "none"
	if maxCond > 0 {
		guard, desc = mixing.Guard{MaxCond: maxCond, MaxTries: 1000}, fmt.Sprintf("condition number ≤ %g", maxCond)
	}
	mix := make([]float64, groups*k*d)
	src := make([]float64, groups*k*d)
	up := make([]float32, k*d)
	for g := range groups {
		c, _, err := guard.Draw(s, rng, k)
		if err != nil {
			return err
		}
		x := ds.Test.X[g*k*d : (g+1)*k*d]
		mixing.Mix(up, c, x, d)
		for i := range k * d {
			mix[g*k*d+i] = float64(up[i])
			src[g*k*d+i] = float64(x[i])
		}
	}
	r := report{K: k, Groups: groups, MaxCond: maxCond, Workers: workers, GuardDescription: desc,
		MixturesFile: filepath.Join(dir, fmt.Sprintf("mixtures_k%d.npy", k)),
		SourcesFile:  filepath.Join(dir, fmt.Sprintf("sources_k%d.npy", k))}
	if err := writeNPY(r.MixturesFile, mix, groups, k, d); err != nil {
		return err
	}
	if err := writeNPY(r.SourcesFile, src, groups, k, d); err != nil {
		return err
	}

	// Serial timing and scores.
	unmix := make([]*algo.ICA, groups)
	start := time.Now()
	for g := range groups {
		res, err := algo.FastICA(mix[g*k*d:(g+1)*k*d], k, d, rand.New(rand.NewPCG(seed, uint64(100+g))), algo.ICAOptions{})
		if err == nil {
			unmix[g] = res
		}
	}
	r.SecondsSerial = time.Since(start).Seconds()
	// Parallel timing: the groups are independent.
	start = time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				algo.FastICA(mix[g*k*d:(g+1)*k*d], k, d, rand.New(rand.NewPCG(seed, uint64(100+g))), algo.ICAOptions{})
			}
		}()
	}
	for g := range groups {
		next <- g
	}
	close(next)
	wg.Wait()
	r.SecondsParallel = time.Since(start).Seconds()

	var sum float64
	for g, u := range unmix {
		m, x := mix[g*k*d:(g+1)*k*d], src[g*k*d:(g+1)*k*d]
		if u == nil {
			r.Failed++
			continue
		}
		if !u.Converged {
			r.NotConverged++
		}
		sum += matched(algo.Sources(u.Unmixing, m, k, d), x, k, d)
	}
	r.MeanAbsCorr = sum / float64(groups)
	sum = 0
	start = time.Now()
	for g, u := range unmix {
		m, x := mix[g*k*d:(g+1)*k*d], src[g*k*d:(g+1)*k*d]
		w, _ := algo.StrongUnmix(m, k, d, u)
		sum += matched(algo.Sources(w, m, k, d), x, k, d)
	}
	r.StrongSeconds = time.Since(start).Seconds()
	r.StrongMeanCorr = sum / float64(groups)
	return json.NewEncoder(os.Stdout).Encode(r)
}

// matched is the mean |corr| of k sources with the k true signals under the best matching.
func matched(s, x []float64, k, d int) float64 {
	cost := make([]float64, k*k)
	for i := range k {
		for j := range k {
			c := math.Abs(metrics.Pearson(s[i*d:(i+1)*d], x[j*d:(j+1)*d]))
			if math.IsNaN(c) {
				c = 0
			}
			cost[i*k+j] = -c
		}
	}
	var sum float64
	for i, j := range algo.Assign(cost, k, k) {
		sum -= cost[i*k+j]
	}
	return sum / float64(k)
}

// writeNPY writes a C-order float64 array of shape (a, b, c) in NumPy's .npy format 1.0.
func writeNPY(path string, v []float64, a, b, c int) error {
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d, %d), }", a, b, c)
	// Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	for range pad {
		header += " "
	}
	header += "\n"
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := []byte("\x93NUMPY\x01\x00")
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	for _, x := range v {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
