// Package plot draws the figures of a run from its result rows (results.Row), as PNG and as
// SVG: how accuracy, the edge's cost and each attack's success move with the group size k and
// the split point, the attack × defence matrix as a heat map, and the frontier of accuracy
// against worst-case leakage. It draws only from stored rows, never from a run's live state,
// so `runexp plot DIR` redraws a finished run's figures into DIR/plots (Dir) from its
// results.json alone. It is the only package of the harness that imports gonum/plot; it reads
// the groups over seeds, the configuration fields and the attack × defence matrix through
// package results.
//
// Draw draws every figure that the rows give something to compare for into one folder and
// returns a Report: the figures drawn, the notes on what was left out (also written to
// NotesFile), and why each figure that was not drawn was not (Skipped), from which
// `runexp plot` says why when there is nothing to plot. A drawing with neither a figure nor a
// note leaves no folder behind.
//
// # Figures
//
// Each figure is drawn when the rows vary what it compares, and is named:
//
//   - accuracy_vs_group_size: test accuracy against k, one line per split (and per any other
//     setting that varies), the baselines as dashed reference lines;
//   - edge_cost_vs_split: three panels against the split point: the edge's share of the FLOPs
//     (with the paper's 20% bound), bytes uploaded and downloaded per input, and accuracy; a
//     cost the split alone sets is one black line "the same for every configuration";
//   - privacy_<attack>_vs_group_size (or _vs_split when k does not vary): one panel per metric
//     column of the attack (the columns it prefixes, e.g. ica_corr, ica_ssim for ica), the
//     chance level X_chance drawn as a reference line for X_acc where it does not squeeze the
//     data (else the panel's title gives it);
//   - defence_matrix: the attack × defence matrix (results.DefenceMatrix) as a heat map, a row
//     per attacked DataMix configuration, a column per attack, and beside them the worst
//     cases, the accuracy, its gap to the baseline, the edge's FLOPs and the bytes uploaded;
//     drawn whenever an attack ran;
//   - frontier: accuracy against each worst-case leakage (reconstruction SSIM, share of
//     victims recognisable, inference advantage over chance), one point per attacked
//     configuration, colour = edge FLOPs share, area = upload bytes, the Pareto front ringed,
//     joined by a step line and numbered with a key below, the baseline and the budgets 1 and
//     3 points below it as reference lines.
//
// DrawWire draws the figures of a wire study from its points (results.WireRow), beside them:
// wire_latency_vs_bandwidth (a panel per network: the median and 95th-percentile latency of an
// input against each link's uplink bandwidth, a line per served variant, everything on the
// edge as a reference line; both axes logarithmic) and wire_scaling_vs_edges (a row per
// network: throughput, 95th-percentile latency and the cloud's batch size against the number
// of edges at once).
//
// Values are aggregated over seeds (rows that differ only in cell and seed, see
// results.GroupBySeeds): points are means, error bars ±1 sample standard deviation, and each
// title says over how many seeds.
//
// # Readability
//
// A figure is laid out as a title over everything, panels in a grid with aligned axes, and a
// column on the right for legends, keys, colour bars and notes, so that no legend, label or
// note is ever drawn over the data and no axis is stretched to make room for one. An axis
// never runs past what its quantity can take (no accuracy tick above 100%, no SSIM above 1),
// and tick labels carry as many decimals as it takes to tell them apart. Lines are told apart
// by colour (Tableau 10, then marker shapes past ten lines); the last two-valued setting among
// those that make the lines, such as shuffling, is drawn as a thick pale line for its first
// value and a thin one for its second, so that two lines that coincide show as a thin line
// inside a thick one rather than one hiding the other, and the lines that coincide (within
// 0.6% of the axis) are named beside the figure. The heat map and the frontier use sequential
// colour maps whose lightness changes steadily (ColorBrewer YlOrRd, viridis), so that they
// read in grey as well. All text is set in the Go font, which every SVG embeds.
//
// # Code
//
// plot.go holds the entry point, the files and notes, the fonts and the choice and
// aggregation of rows; layout.go the layout of a figure; series.go the lines of the line
// figures, their styles, their y ranges and the notes on lines that coincide; then a file per
// family of figures: accuracy.go, cost.go, privacy.go, matrix.go (the heat map) and
// frontier.go, and wire.go for the wire study's figures. Each family has a runnable example (ExampleDraw_accuracyVsGroupSize and the
// others) that draws it from hand-made rows into a folder of testdata/; the tests run the
// examples and compare their figures with the golden images testdata/<figure>_golden.png,
// pixel by pixel within a tolerance (2 of 255 levels per channel) that absorbs the rounding
// differences between architectures, so that one set of golden images serves amd64 and arm64
// alike; go test ./results/plot -update rewrites them.
//
// # Errors
//
// Data never makes Draw fail: a cell whose plotted value is NaN or ±Inf is left out of that
// figure with a note, and a figure left with too little to compare (or whose data a plotter
// rejects) is skipped with a note. Draw fails only when it cannot write, with the error of
// the write: "plot: …", or "results: write FILE: …" from results.WriteFileAtomic, through
// which every file goes, atomically.
package plot
