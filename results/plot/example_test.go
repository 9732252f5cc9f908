package plot_test

import (
	"fmt"
	"log"
	"math"
	"path/filepath"

	"github.com/datamix/harness/results/plot"
	"github.com/datamix/harness/results/plot/internal/plottest"
)

// Each example draws the figures of hand-made rows (see package plottest) into a folder of
// testdata/ and prints the report; TestGolden runs them and compares the figure each is about
// with its golden image, testdata/<figure>_golden.png.

// printReport prints what Draw drew, then its notes, one a line.
func printReport(rep plot.Report) {
	fmt.Println("drawn:", rep.Figures)
	for _, n := range rep.Notes {
		fmt.Println("note:", n)
	}
}

// A sweep of k ∈ {1, 2, 4} at splits 0 and 1 over two seeds, shuffled and (for k > 1) not,
// with a baseline per seed, gives accuracy_vs_group_size: a line per split, shuffling off as
// thick pale lines under the thin shuffled ones, the baselines dashed. One cell failed (its
// accuracy is NaN): it is left out, with a note.
func ExampleDraw_accuracyVsGroupSize() {
	rows := plottest.WithShuffleOff(plottest.AccuracySweep())
	plottest.Named(rows, "s0-k4-2").Accuracy = math.NaN()

	rep, err := plot.Draw(filepath.Join("testdata", "accuracy"), rows)
	if err != nil {
		log.Fatal(err)
	}
	printReport(rep)
	// Output:
	// drawn: [accuracy_vs_group_size edge_cost_vs_split]
	// note: cell s0-k4-2 (datamix split 0 k=4, seed 2): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split
}

// A sweep of the split point at k = 2 and 4 over two seeds gives edge_cost_vs_split: the
// edge's share of the FLOPs against the paper's 20% bound, the bytes uploaded and downloaded
// per input (set by the split alone, so one black line each), and the accuracy, a line per k.
func ExampleDraw_edgeCostVsSplit() {
	rows := plottest.WithK4(plottest.CostSweep())
	plottest.Named(rows, "s2-k2-1").Accuracy = math.NaN()

	rep, err := plot.Draw(filepath.Join("testdata", "cost"), rows)
	if err != nil {
		log.Fatal(err)
	}
	printReport(rep)
	// Output:
	// drawn: [accuracy_vs_group_size edge_cost_vs_split]
	// note: cell s2-k2-1 (datamix split 2 k=2, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split
}

// Attack metrics in the rows give a figure per attack: privacy_ica_vs_group_size (a panel per
// metric column, in two columns; ica_label_acc's chance level lies far below the data, so its
// panel's title gives it), privacy_output_vs_group_size (the chance level as a dashed line)
// and privacy_inversion_vs_split (the attack ran at one k only, so it is drawn against the
// split).
func ExampleDraw_privacy() {
	rows := plottest.AttackSweep()
	plottest.Named(rows, "s0-k4-1").Metrics["ica_ssim"] = math.NaN()

	rep, err := plot.Draw(filepath.Join("testdata", "privacy"), rows)
	if err != nil {
		log.Fatal(err)
	}
	printReport(rep)
	// Output:
	// drawn: [accuracy_vs_group_size edge_cost_vs_split privacy_ica_vs_group_size privacy_inversion_vs_split privacy_output_vs_group_size defence_matrix frontier]
	// note: cell s0-k4-1 (datamix split 0 k=4, seed 1): ica_ssim is NaN, left out of privacy_ica_vs_group_size, defence_matrix, frontier
}

// A sweep of edge-side defences, attacked by reconstruction, inference and group-matching
// attacks, gives defence_matrix: a row per defence, a coloured cell per attack and worst
// case, then the accuracy, its gap to the baseline, the edge's FLOPs and the upload.
func ExampleDraw_defenceMatrix() {
	rows := plottest.DefenceSweep()
	plottest.Named(rows, "s1-k2-gaussian1-2").Metrics["ica_ssim"] = math.NaN()

	rep, err := plot.Draw(filepath.Join("testdata", "matrix"), rows)
	if err != nil {
		log.Fatal(err)
	}
	printReport(rep)
	// Output:
	// drawn: [edge_cost_vs_split privacy_attr_vs_split privacy_group_vs_split privacy_ica_vs_split privacy_inversion_vs_split privacy_output_vs_split defence_matrix frontier]
	// note: cell s1-k2-gaussian1-2 (datamix split 1 k=2, seed 2): ica_ssim is NaN, left out of privacy_ica_vs_split, defence_matrix, frontier
}

// The same sweep gives frontier: accuracy against each worst-case leakage, a point per
// defence coloured by the edge's FLOPs share and sized by its upload, the Pareto front ringed
// and numbered, with the key below.
func ExampleDraw_frontier() {
	rows := plottest.DefenceSweep()
	plottest.Named(rows, "s1-k2-gaussian1-2").Metrics["ica_ssim"] = math.NaN()

	rep, err := plot.Draw(filepath.Join("testdata", "frontier"), rows)
	if err != nil {
		log.Fatal(err)
	}
	printReport(rep)
	// Output:
	// drawn: [edge_cost_vs_split privacy_attr_vs_split privacy_group_vs_split privacy_ica_vs_split privacy_inversion_vs_split privacy_output_vs_split defence_matrix frontier]
	// note: cell s1-k2-gaussian1-2 (datamix split 1 k=2, seed 2): ica_ssim is NaN, left out of privacy_ica_vs_split, defence_matrix, frontier
}

// The points of a wire study of two networks give wire_latency_vs_bandwidth (a panel per
// network: the median and 95th-percentile latency against each link's uplink, a line per
// variant, everything on the edge as a reference line) and wire_scaling_vs_edges (a row per
// network: throughput, 95th-percentile latency and the cloud's batch size against the number
// of edges). One point's latency is NaN: it is left out, with a note.
func ExampleDrawWire() {
	rows := plottest.WireStudy()
	for i := range rows {
		if r := &rows[i]; r.Arch == "mnist-cnn" && r.GroupSize == 2 && r.Link == "lte" {
			r.LatencyP95MS = math.NaN()
		}
	}

	rep, err := plot.DrawWire(filepath.Join("testdata", "wire"), rows)
	if err != nil {
		log.Fatal(err)
	}
	printReport(rep)
	// Output:
	// drawn: [wire_latency_vs_bandwidth wire_scaling_vs_edges]
	// note: wire_latency_vs_bandwidth: MNIST, mnist-cnn datamix k=2 through lte with 1 edge(s): p95 latency is NaN, left out
}
