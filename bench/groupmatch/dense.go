package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/datamix/harness/attacks/algo"
	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
)

// The dense experiment: group matching where support matching cannot work.
//
// Uploads are made as the edge makes them — head, then each group of k consecutive test
// images mixed by a fresh C with Dirichlet(1) rows (condition number ≤ 100), then the uploads
// of a pool shuffled together — with one of three perturbations:
//
//   - none: the plain uploads, whose exact zeros (MNIST's background, ReLU features) support
//     matching feeds on;
//   - noise: Gaussian noise added to every uploaded value after mixing, standard deviation
//     noiseLevel × the RMS of the clean uploads of the pool (an edge-side perturbation of the
//     uploads: no value is exactly zero any more);
//   - background: every input image gets its own random background, i.i.d. uniform on
//     [0, backgroundLevel] per pixel, before the head (dense inputs, and at split 1 features
//     with far fewer zeros).
//
// At split 0 the uploads are mixed pixels; at split 1 they are the features of mnist-cnn's
// first block (conv 5×5, 16 channels, ReLU, 2×2 pool), trained for headEpochs epochs on
// headTrain training images (plain training, seed 1). Each (split, perturbation, k, affinity)
// runs on the same pools with three seeds (coefficients, shuffle, noise and backgrounds), and
// group matching is scored by the fraction of groups recovered exactly and the adjusted Rand
// index.
const (
	noiseLevel      = 0.1
	backgroundLevel = 0.3
	headTrain       = 6000
	headEpochs      = 1
)

var perturbations = []string{"none", "noise", "background"}

func dense(args []string) error {
	fs := flag.NewFlagSet("dense", flag.ExitOnError)
	out := fs.String("out", "results/group-matching", "output folder")
	pools := fs.Int("pools", 3, "pools of uploads per cell")
	size := fs.Int("pool", 480, "uploads per pool (a multiple of 2, 3 and 4)")
	seeds := fs.Int("seeds", 3, "seeds per cell")
	fs.Parse(args)
	if *size%12 != 0 || *pools < 1 || *seeds < 1 {
		return fmt.Errorf("-pool %d must be a multiple of 12, -pools and -seeds at least 1", *size)
	}
	n := *pools * *size
	ds, err := datasets.Load(datasets.Spec{Name: "mnist", TrainLimit: headTrain, TestLimit: n})
	if err != nil {
		return err
	}
	start := time.Now()
	net, err := trainHead(ds)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "head trained in %.0f s\n", time.Since(start).Seconds())
	var rows []denseRow
	for _, split := range []int{0, 1} {
		for _, pert := range perturbations {
			for _, k := range []int{2, 3, 4} {
				for seed := 1; seed <= *seeds; seed++ {
					ps, err := densePools(net, ds.Test, split, pert, k, *pools, *size, uint64(seed))
					if err != nil {
						return err
					}
					for _, aff := range []string{algo.AffinitySupport, algo.AffinityCorrelation, algo.AffinitySubspace} {
						r := denseRow{split: split, pert: pert, k: k, affinity: aff, seed: seed, pools: *pools, size: *size}
						var accs, aris []float64
						t0 := time.Now()
						for _, p := range ps {
							m := algo.MatchGroups(p.up, *size, len(p.up) / *size, k, aff)
							acc, ari := p.score(m.Groups)
							accs, aris = append(accs, acc), append(aris, ari)
						}
						r.seconds = time.Since(t0).Seconds() / float64(len(ps))
						r.acc, r.ari = stat.Mean(accs, nil), stat.Mean(aris, nil)
						rows = append(rows, r)
						fmt.Fprintf(os.Stderr, "split %d %-10s k=%d %-11s seed %d: acc %.3f ARI %.3f (%.2f s per pool)\n",
							split, pert, k, aff, seed, r.acc, r.ari, r.seconds)
					}
				}
			}
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := writeDenseCSV(filepath.Join(*out, "results.csv"), rows); err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(*out, "table.md"), func(w io.Writer) error {
		_, err := io.WriteString(w, denseTable(rows, *pools, *size, *seeds))
		return err
	})
}

// trainHead trains mnist-cnn for headEpochs epochs on the training images without mixing
// (seed 1) and returns it cut at split 1.
func trainHead(ds *datasets.Dataset) (*models.Net, error) {
	arch, err := models.Lookup("mnist-cnn")
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 1))
	net, err := models.New(arch, ds.Classes, 1, rng)
	if err != nil {
		return nil, err
	}
	const batch = 64
	tr, err := datamix.NewTrainer(net, batch, datamix.Scheme{Scheme: mixing.Scheme{K: 1}}, 0.001, rng)
	if err != nil {
		return nil, err
	}
	dim := ds.Train.Dim()
	for range headEpochs {
		order := rng.Perm(ds.Train.N)
		x := make([]float32, batch*dim)
		y := make([]int, batch)
		for lo := 0; lo+batch <= ds.Train.N; lo += batch {
			for i, j := range order[lo : lo+batch] {
				copy(x[i*dim:(i+1)*dim], ds.Train.Row(j))
				y[i] = ds.Train.Y[j]
			}
			if _, _, err := tr.Step(x, y); err != nil {
				return nil, err
			}
		}
	}
	return net, nil
}

// densePools builds the pools of one cell: the first pools·size test images, perturbed,
// through the head (split 1) or not (split 0), mixed in groups of k and shuffled per pool.
func densePools(net *models.Net, test *datasets.Images, split int, pert string, k, pools, size int, seed uint64) ([]*pool, error) {
	rng := rand.New(rand.NewPCG(seed, 0xde45e))
	dim := test.Dim()
	var out []*pool
	for pi := range pools {
		x := make([]float32, size*dim)
		copy(x, test.X[pi*size*dim:(pi+1)*size*dim])
		if pert == "background" {
			for i := range x {
				x[i] += float32(backgroundLevel * rng.Float64())
			}
		}
		feat := x
		if split == 1 {
			inf, err := models.NewInferer(net, size)
			if err != nil {
				return nil, err
			}
			feat = make([]float32, size*net.UploadDim())
			if err := inf.Head(feat, x); err != nil {
				return nil, err
			}
		}
		d := len(feat) / size
		p, err := makePool(feat, size, d, k, rng.Uint64())
		if err != nil {
			return nil, err
		}
		if pert == "noise" {
			var ss float64
			for _, v := range p.up {
				ss += float64(v) * float64(v)
			}
			sigma := noiseLevel * math.Sqrt(ss/float64(len(p.up)))
			for i := range p.up {
				p.up[i] += float32(sigma * rng.NormFloat64())
			}
		}
		out = append(out, p)
	}
	return out, nil
}

type denseRow struct {
	split                int
	pert, affinity       string
	k, seed, pools, size int
	acc, ari, seconds    float64
}

func writeDenseCSV(path string, rows []denseRow) error {
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"split", "perturbation", "group_size", "affinity", "seed", "pools", "pool_size", "acc", "ari", "seconds_per_pool"})
		for _, r := range rows {
			cw.Write([]string{strconv.Itoa(r.split), r.pert, strconv.Itoa(r.k), r.affinity, strconv.Itoa(r.seed),
				strconv.Itoa(r.pools), strconv.Itoa(r.size), strconv.FormatFloat(r.acc, 'g', -1, 64),
				strconv.FormatFloat(r.ari, 'g', -1, 64), strconv.FormatFloat(r.seconds, 'g', 4, 64)})
		}
		cw.Flush()
		return cw.Error()
	})
}

// denseTable is the Markdown table of the dense experiment: per split, perturbation and k,
// each affinity's accuracy and ARI as mean ± s.d. over the seeds.
func denseTable(rows []denseRow, pools, size, seeds int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d pools of %d shuffled uploads per cell, %d seeds (mean ± s.d.); acc = fraction of groups recovered exactly, ARI = adjusted Rand index.\n\n", pools, size, seeds)
	b.WriteString("| split | perturbation | k | support acc / ARI | correlation acc / ARI | subspace acc / ARI |\n")
	b.WriteString("|--:|---|--:|--:|--:|--:|\n")
	type key struct {
		split    int
		pert     string
		k        int
		affinity string
	}
	acc, ari := map[key][]float64{}, map[key][]float64{}
	for _, r := range rows {
		kk := key{r.split, r.pert, r.k, r.affinity}
		acc[kk], ari[kk] = append(acc[kk], r.acc), append(ari[kk], r.ari)
	}
	ms := func(v []float64) string {
		m, s := stat.MeanStdDev(v, nil)
		if len(v) < 2 {
			return fmt.Sprintf("%.3f", m)
		}
		return fmt.Sprintf("%.3f ± %.3f", m, s)
	}
	for _, split := range []int{0, 1} {
		for _, pert := range perturbations {
			for _, k := range []int{2, 3, 4} {
				line := fmt.Sprintf("| %d | %s | %d |", split, pert, k)
				for _, aff := range []string{algo.AffinitySupport, algo.AffinityCorrelation, algo.AffinitySubspace} {
					kk := key{split, pert, k, aff}
					line += fmt.Sprintf(" %s / %s |", ms(acc[kk]), ms(ari[kk]))
				}
				b.WriteString(line + "\n")
			}
		}
	}
	return b.String()
}
