package results

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// sweepRows are the rows of a synthetic sweep: 3 seeds × k ∈ {1, 2, 4} × split ∈ {0, 1},
// a baseline per seed, attack metrics on the DataMix rows, and one cell whose accuracy is NaN.
func sweepRows() []Row {
	var rows []Row
	for seed := uint64(1); seed <= 3; seed++ {
		s := float64(seed)
		rows = append(rows, Row{Cell: fmt.Sprintf("base%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
			GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 1, BatchSize: 48, LR: 0.001,
			Accuracy: 0.98 + 0.001*s, EdgeFLOPsFrac: 1})
		for _, k := range []int{1, 2, 4} {
			for _, split := range []int{0, 1} {
				r := Row{Cell: fmt.Sprintf("c%d-%d-%d", seed, k, split), Variant: "datamix", Dataset: "mnist", Arch: "mnist-cnn",
					Split: split, GroupSize: k, Coefficients: "dirichlet", Alpha: 1, Shuffle: true, Seed: seed,
					Epochs: 1, BatchSize: 48, LR: 0.001,
					Accuracy:             0.98 - 0.01*float64(k) + 0.002*s,
					EdgeFLOPsFrac:        0.05 + 0.1*float64(split),
					UploadBytesPerSample: int64(3136 - 1000*split), DownloadBytesPerSample: 40,
					Metrics: map[string]float64{
						"inversion_ssim":    0.9 / float64(k) / float64(1+split),
						"attr_digit_acc":    0.5 / float64(k),
						"attr_digit_chance": 0.1,
						"ica_corr":          0.92 - 0.02*float64(k),
					}}
				rows = append(rows, r)
			}
		}
	}
	rows[5].Accuracy = math.NaN()
	rows[6].Metrics["ica_corr"] = math.Inf(1)
	return rows
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		xs        []float64
		n         int
		mean, sd  float64
		ci        float64
		meanIsNaN bool
		ciIsNaN   bool
	}{
		{name: "none", xs: nil, meanIsNaN: true, ciIsNaN: true},
		{name: "one", xs: []float64{2}, n: 1, mean: 2, ciIsNaN: true},
		// s.d. of {1,2,3} = 1; t(0.975, 2) = 4.302653 (standard tables), CI = 4.302653/√3.
		{name: "three", xs: []float64{1, 2, 3}, n: 3, mean: 2, sd: 1, ci: 4.302652729911275 / math.Sqrt(3)},
		{name: "non-finite left out", xs: []float64{1, math.NaN(), 3, math.Inf(-1)}, n: 2, mean: 2, sd: math.Sqrt2,
			ci: 12.706204736174698 * math.Sqrt2 / math.Sqrt2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.xs)
			// 1e-9: the t quantile is computed by numerical inversion.
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
			if s.N != tc.n || math.IsNaN(s.Mean) != tc.meanIsNaN || (!tc.meanIsNaN && !close(s.Mean, tc.mean)) || !close(s.SD, tc.sd) {
				t.Errorf("Summarize(%v) = %+v, want n %d mean %v sd %v", tc.xs, s, tc.n, tc.mean, tc.sd)
			}
			if math.IsNaN(s.CI95) != tc.ciIsNaN || (!tc.ciIsNaN && !close(s.CI95, tc.ci)) {
				t.Errorf("CI95 = %v, want %v", s.CI95, tc.ci)
			}
		})
	}
}

func TestGroupBySeeds(t *testing.T) {
	groups := GroupBySeeds(sweepRows())
	if len(groups) != 7 {
		t.Fatalf("%d groups, want 7 (a baseline and 6 DataMix configurations)", len(groups))
	}
	for _, g := range groups {
		if !slices.Equal(g.Seeds, []uint64{1, 2, 3}) {
			t.Errorf("group %s: seeds %v, want 1, 2, 3", g.Row.Cell, g.Seeds)
		}
	}
}
