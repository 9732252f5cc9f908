// Package plottest holds the hand-made result rows that the tests and examples of package
// results/plot draw: small MNIST sweeps whose costs are close to what the harness measures
// for mnist-cnn, each built to exercise one family of figures.
package plottest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/datamix/harness/results"
)

// The sweeps are of MNIST cells on mnist-cnn. A cell's edge FLOPs share and bytes uploaded
// per input depend on its split alone, close to what the harness measures for mnist-cnn
// (split 0 mixes raw pixels, split 1 the features after the first convolution and pool,
// split 2 those after the second); downloads are 10 float32 logits.
var (
	edgeShare = []float64{0.001, 0.111, 0.934}
	upload    = []int64{3136, 12544, 6272}
)

// Cell returns a hand-made DataMix cell with the accuracy acc and the metrics m (nil for
// none); its cell name reads s<split>-k<k>-<seed>.
func Cell(split, k int, seed uint64, acc float64, m map[string]float64) results.Row {
	return results.Row{Cell: fmt.Sprintf("s%d-k%d-%d", split, k, seed), Variant: "datamix", Dataset: "mnist",
		Arch: "mnist-cnn", Split: split, GroupSize: k, Coefficients: "dirichlet", Alpha: 1, Shuffle: true,
		Seed: seed, Epochs: 3, BatchSize: 48, LR: 0.001, Accuracy: acc,
		EdgeFLOPsFrac: edgeShare[split], UploadBytesPerSample: upload[split], DownloadBytesPerSample: 40,
		Metrics: m}
}

// Baseline returns the hand-made baseline of the seed, with the accuracy acc.
func Baseline(seed uint64, acc float64) results.Row {
	return results.Row{Cell: fmt.Sprintf("base-%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
		GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 3, BatchSize: 48, LR: 0.001, Accuracy: acc,
		EdgeFLOPsFrac: 1}
}

// Named returns the row of rows whose cell is name; the fixture must have it.
func Named(rows []results.Row, name string) *results.Row {
	for i := range rows {
		if rows[i].Cell == name {
			return &rows[i]
		}
	}
	panic("plottest: no cell " + name)
}

// Sweep returns the rows of a synthetic sweep: 3 seeds × k ∈ {1, 2, 4} × split ∈ {0, 1},
// a baseline per seed, attack metrics on the DataMix rows, and one cell whose accuracy is NaN.
func Sweep() []results.Row {
	var rows []results.Row
	for seed := uint64(1); seed <= 3; seed++ {
		s := float64(seed)
		rows = append(rows, results.Row{Cell: fmt.Sprintf("base%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
			GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 1, BatchSize: 48, LR: 0.001,
			Accuracy: 0.98 + 0.001*s, EdgeFLOPsFrac: 1})
		for _, k := range []int{1, 2, 4} {
			for _, split := range []int{0, 1} {
				r := results.Row{Cell: fmt.Sprintf("c%d-%d-%d", seed, k, split), Variant: "datamix", Dataset: "mnist", Arch: "mnist-cnn",
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

// AccuracySweep returns a hand-made sweep of k ∈ {1, 2, 4} at splits 0 and 1, two seeds, with a
// baseline per seed.
func AccuracySweep() []results.Row {
	rows := []results.Row{Baseline(1, 0.9931), Baseline(2, 0.9925)}
	for _, c := range []struct {
		split, k int
		acc      [2]float64 // seeds 1 and 2
	}{
		{0, 1, [2]float64{0.9928, 0.9930}},
		{0, 2, [2]float64{0.9675, 0.9689}},
		{0, 4, [2]float64{0.9050, 0.9081}},
		{1, 1, [2]float64{0.9931, 0.9925}},
		{1, 2, [2]float64{0.9876, 0.9862}},
		{1, 4, [2]float64{0.9780, 0.9761}},
	} {
		for i, acc := range c.acc {
			rows = append(rows, Cell(c.split, c.k, uint64(i+1), acc, nil))
		}
	}
	return rows
}

// WithShuffleOff returns rows and, for each of their DataMix cells with k > 1, a copy without
// shuffling, named <cell>-off: at split 0 a point less accurate, elsewhere as accurate (their
// lines coincide).
func WithShuffleOff(rows []results.Row) []results.Row {
	out := slices.Clone(rows)
	for _, r := range rows {
		if r.IsBaseline() || r.GroupSize == 1 {
			continue
		}
		r.Cell += "-off"
		r.Shuffle = false
		if r.Split == 0 {
			r.Accuracy -= 0.01
		}
		out = append(out, r)
	}
	return out
}

// CostSweep returns a hand-made sweep of the split at k = 2, two seeds, with a baseline per seed.
func CostSweep() []results.Row {
	rows := []results.Row{Baseline(1, 0.9931), Baseline(2, 0.9925)}
	for split, acc := range [][2]float64{ // seeds 1 and 2
		{0.9674, 0.9680},
		{0.9882, 0.9873},
		{0.9917, 0.9921},
	} {
		for i, a := range acc {
			rows = append(rows, Cell(split, 2, uint64(i+1), a, nil))
		}
	}
	return rows
}

// WithK4 returns rows (a CostSweep) and the same sweep at k = 4, two points less accurate at
// split 0 and one at the others: the FLOPs and bytes, set by the split alone, coincide.
func WithK4(rows []results.Row) []results.Row {
	out := slices.Clone(rows)
	for _, r := range rows {
		if r.IsBaseline() {
			continue
		}
		r.Cell = fmt.Sprintf("s%d-k4-%d", r.Split, r.Seed)
		r.GroupSize = 4
		r.Accuracy -= 0.01
		if r.Split == 0 {
			r.Accuracy -= 0.01
		}
		out = append(out, r)
	}
	return out
}

// AttackSweep returns a hand-made sweep of k ∈ {1, 2, 4} at splits 0 and 1, two seeds, with a
// baseline per seed. The cells with k > 1 carry the metrics of an attack "ica" with four
// columns and a chance level far below them (a figure of two columns of panels, the chance
// given in the panel's title), and the metrics of an attack "output" whose chance level is
// near them (a chance line); those with k = 2 the metric of an attack "inversion" (a figure
// against the split).
func AttackSweep() []results.Row {
	rows := []results.Row{Baseline(1, 0.9931), Baseline(2, 0.9925)}
	for _, c := range []struct {
		split, k int
		acc      float64            // seed 1; seed 2 is 0.1 points lower
		m        map[string]float64 // seed 1; seed 2 is 2% lower but for the chance level
	}{
		{0, 1, 0.9928, nil},
		{0, 2, 0.9639, map[string]float64{"ica_corr": 0.940, "ica_ssim": 0.731, "ica_psnr": 18.2, "ica_label_acc": 0.760, "ica_label_chance": 0.140, "inversion_ssim": 0.758, "output_acc": 0.45, "output_chance": 0.36}},
		{0, 4, 0.9058, map[string]float64{"ica_corr": 0.848, "ica_ssim": 0.513, "ica_psnr": 14.9, "ica_label_acc": 0.634, "ica_label_chance": 0.120, "output_acc": 0.40, "output_chance": 0.36}},
		{1, 1, 0.9924, nil},
		{1, 2, 0.9869, map[string]float64{"ica_corr": 0.960, "ica_ssim": 0.820, "ica_psnr": 20.1, "ica_label_acc": 0.876, "ica_label_chance": 0.140, "inversion_ssim": 0.707, "output_acc": 0.47, "output_chance": 0.36}},
		{1, 4, 0.9772, map[string]float64{"ica_corr": 0.928, "ica_ssim": 0.794, "ica_psnr": 19.4, "ica_label_acc": 0.740, "ica_label_chance": 0.120, "output_acc": 0.42, "output_chance": 0.36}},
	} {
		for seed := uint64(1); seed <= 2; seed++ {
			var m map[string]float64
			if c.m != nil {
				m = map[string]float64{}
				for name, v := range c.m {
					if seed == 2 && !strings.HasSuffix(name, "_chance") {
						v *= 0.98
					}
					m[name] = v
				}
			}
			rows = append(rows, Cell(c.split, c.k, seed, c.acc-0.001*float64(seed-1), m))
		}
	}
	return rows
}

// DefenceSweep returns a hand-made defence sweep at split 1, k = 2, shuffled, two seeds, with a
// baseline per seed: no defence, Gaussian noise at two strengths and 4-bit quantisation (which
// cuts the upload 8×), and no defence at split 0. Each cell carries a reconstruction attack
// with its recovered shares (inversion), one without (ica, with an oracle-aligned column the
// matrix leaves out), two inference attacks with chance levels (attr_label, output) and group
// matching (no chance level). Seed 2's attack metrics are 2% lower but for the chance levels.
func DefenceSweep() []results.Row {
	rows := []results.Row{Baseline(1, 0.9931), Baseline(2, 0.9925)}
	for _, c := range []struct {
		defence string
		split   int
		acc     [2]float64 // seeds 1 and 2
		edge    int64      // edge FLOPs per input
		upload  int64
		inv     [3]float64 // inversion SSIM, share ≥ 0.30, share ≥ 0.90
		ica     float64
		attr    float64
		output  float64
		match   float64
	}{
		{"", 0, [2]float64{0.9675, 0.9689}, 6_220, 3136, [3]float64{0.76, 0.99, 0.31}, 0.74, 0.76, 0.93, 1},
		{"", 1, [2]float64{0.9876, 0.9862}, 677_000, 12544, [3]float64{0.71, 0.96, 0.10}, 0.82, 0.86, 0.95, 1},
		{"gaussian σ=0.5", 1, [2]float64{0.9810, 0.9795}, 690_000, 12544, [3]float64{0.52, 0.80, 0}, 0.40, 0.70, 0.91, 0.35},
		{"gaussian σ=1", 1, [2]float64{0.9650, 0.9630}, 690_000, 12544, [3]float64{0.35, 0.45, 0}, 0.22, 0.52, 0.84, 0.05},
		{"quant 4 bit", 1, [2]float64{0.9860, 0.9851}, 684_000, 1568, [3]float64{0.69, 0.95, 0.08}, 0.75, 0.84, 0.95, 1},
	} {
		for i, acc := range c.acc {
			seed := uint64(i + 1)
			f := 1 - 0.02*float64(i)
			r := Cell(c.split, 2, seed, acc, map[string]float64{
				"inversion_ssim": f * c.inv[0], "inversion_recovered30": f * c.inv[1], "inversion_recovered90": f * c.inv[2],
				"ica_ssim": f * c.ica, "ica_oracle_ssim": math.Min(1, f*(c.ica+0.1)),
				"attr_label_acc": f * c.attr, "attr_label_chance": 0.131,
				"output_acc": f * c.output, "output_chance": 0.131,
				"group_match_acc": f * c.match, "group_match_ari": f * c.match,
			})
			r.Defence = c.defence
			r.Cell = strings.ReplaceAll(r.Cell, "k2", "k2-"+strings.ReplaceAll(strings.ReplaceAll(c.defence, " ", ""), "σ=", ""))
			r.EdgeFLOPs, r.UploadBytesPerSample = c.edge, c.upload
			r.EdgeFLOPsFrac = float64(c.edge) / 6.1e6
			rows = append(rows, r)
		}
	}
	return rows
}

// WireStudy returns the points of a wire study of two networks (MNIST mnist-cnn and
// Fashion-MNIST mnist-resnet8, split 1): everything on the edge, the PNG upload, plain split
// and DataMix k = 2 and 4, through four links one edge at a time and 1, 4, 16 and 64 edges at
// once on the data-centre link. The figures are made up but shaped like measured ones: latency
// is the upload's transmission time plus the round trip plus compute; throughput and batches
// grow with the edges until the cloud saturates.
func WireStudy() []results.WireRow {
	type link struct {
		name    string
		up, rtt float64 // Mbit/s, ms
		down    float64
	}
	links := []link{{"3g", 0.77, 150, 1.5}, {"lte", 5.5, 50, 12}, {"wifi", 20, 10, 50}, {"datacentre", 10000, 0.2, 10000}}
	type variant struct {
		name     string
		k        int
		up       float64 // bytes per input
		compute  float64 // ms per pool of 8
		capacity float64 // the cloud's inputs per second at full batches
	}
	var rows []results.WireRow
	for n, net := range []struct {
		dataset, arch string
		featBytes     float64
		scale         float64
	}{{"mnist", "mnist-cnn", 12544, 1}, {"fashion-mnist", "mnist-resnet8", 50176, 3}} {
		variants := []variant{
			{results.WireCloudPNG, 1, 300, 6 * net.scale, 3000 / net.scale},
			{results.WireSplit, 1, net.featBytes + 20, 4 * net.scale, 5000 / net.scale},
			{results.WireDataMix, 2, net.featBytes + 20, 4.5 * net.scale, 4800 / net.scale},
			{results.WireDataMix, 4, net.featBytes + 20, 5 * net.scale, 4600 / net.scale},
		}
		base := results.WireRow{Dataset: net.dataset, Arch: net.arch, Split: 1, Pool: 8, Inputs: 64, Accuracy: 0.97 - 0.05*float64(n),
			CloudRowsPerS: math.NaN(), MeanBatch: math.NaN(), BusyFrac: math.NaN(), CloudCPUCores: math.NaN()}
		edgeOnly := base
		edgeOnly.Phase, edgeOnly.Variant, edgeOnly.Link, edgeOnly.Edges, edgeOnly.GroupSize = "latency", results.WireEdgeOnly, "none", 1, 1
		edgeOnly.LatencyP50MS, edgeOnly.LatencyP95MS, edgeOnly.LatencyP99MS = 2*net.scale, 2.5*net.scale, 3*net.scale
		rows = append(rows, edgeOnly)
		edgeOnly.Phase, edgeOnly.ThroughputPerS = "scaling", 4000/net.scale
		rows = append(rows, edgeOnly)
		for _, v := range variants {
			for _, l := range links {
				r := base
				r.Phase, r.Variant, r.GroupSize, r.Link, r.Edges = "latency", v.name, v.k, l.name, 1
				r.LinkUpMbit, r.LinkDnMbit, r.LinkRTTMS = l.up, l.down, l.rtt
				p50 := 8*v.up*8/(l.up*1e3) + l.rtt + v.compute
				r.LatencyP50MS, r.LatencyP95MS, r.LatencyP99MS = p50, p50*1.2, p50*1.3
				r.UploadBytesMeasured = v.up
				rows = append(rows, r)
			}
			for _, e := range []int{1, 4, 16, 64} {
				r := base
				r.Phase, r.Variant, r.GroupSize, r.Link, r.Edges = "scaling", v.name, v.k, "datacentre", e
				batch := math.Min(8*float64(e), 64)
				thr := v.capacity * batch / (batch + 24)
				r.ThroughputPerS, r.CloudRowsPerS, r.MeanBatch = thr, thr, batch
				r.BusyFrac = math.Min(1, thr/v.capacity*1.2)
				r.LatencyP50MS = 1000 * 8 * float64(e) / thr
				r.LatencyP95MS, r.LatencyP99MS = r.LatencyP50MS*1.5, r.LatencyP50MS*2
				rows = append(rows, r)
			}
		}
	}
	return rows
}
