// Package results holds the records a run produces and the files written from them: one Row
// per run cell (its configuration, accuracy, cost, attack metrics and notes); the files a run
// directory keeps — results.csv (for spreadsheets), results.json (the exact record, read back
// by ReadJSON), summary.md (readable tables) and defence_matrix.csv (the attack × defence
// matrix); the aggregation over seeds that these and the figures share; and the image grids
// of the attacks. The experiments package fills a run directory: config.yaml, manifest.json,
// results.csv, results.json, summary.md, and per cell a folder with its row.json, epochs.csv
// and, where attacks ran, attacks.png. Everything here is computed from stored rows, so
// `runexp plot` can rewrite the matrix of a finished run from its results.json alone.
//
// A wire study (runexp wire) adds wire.csv and wire.json: one WireRow per measured point —
// latency percentiles, throughput, the cloud's batch sizes and busy share, bytes measured on
// the wire beside the analytic ones, the edges' CPU time beside all-on-the-edge — and
// AppendWireSummary adds their tables to summary.md.
//
// The figures are drawn from the same rows by package results/plot, the only package that
// imports gonum/plot; it reads the groups over seeds, the configuration fields and the
// matrix through the API here, and nothing here draws.
//
// # Files
//
// The CSV columns are a user contract: the fixed columns that Columns returns, in that order,
// then one column per metric name (the union over all rows, sorted), then a notes column
// holding each row's Notes as a JSON object (empty when there are none). Floats
// are written with strconv's 'g' format and precision -1, the shortest text that parses back
// to the same float64, so ReadCSV gives back exactly what WriteCSV was given; a metric a row
// lacks is an empty field. The JSON file is an array of rows with the same snake_case names,
// metrics and notes as objects; NaN and ±Inf, which JSON numbers cannot hold, are written as
// the strings "NaN", "+Inf" and "-Inf". Empty Metrics and Notes maps read back as nil.
//
// WriteSummary writes the Markdown summary: a table with one line per row and the accuracy
// gap of each DataMix row to its baseline, a table over seeds when a configuration was run
// with several, then the reconstruction attacks over seeds (every column X_ssim with its
// X_recovered30, X_recovered90 and X_psnr_median: mean ± s.d.), and the rows' notes.
//
// # Atomic writes
//
// Every writer goes through WriteFileAtomic: the content goes to a temporary file in the
// destination's directory, is flushed to disk, and is renamed over the destination. A reader
// therefore sees the old file or the new one, never half of one, and a failed write leaves
// nothing behind. The presence of a file written this way marks that its writer finished.
//
// # Aggregation over seeds
//
// Rows that differ only in cell and seed are one configuration: GroupBySeeds gathers them and
// Summarize gives the mean, the sample standard deviation and the 95% confidence interval of a
// quantity over them (Student's t), leaving out NaN and ±Inf. The seed table of summary.md,
// the attack × defence matrix and every figure aggregate this way. ConfigFields are the
// configuration columns that make a configuration, each with its label ("k=2", "shuffle
// off"); VaryingFields picks those on which groups differ, what tells them apart in a label.
//
// # The attack × defence matrix
//
// NewDefenceMatrix builds the matrix that the heat map and the frontier of package
// results/plot read, and WriteDefenceMatrix writes it as CSV, by convention to
// DefenceMatrixFile beside results.csv. Its rows are the DataMix configurations that were
// attacked, averaged over seeds; its columns are found from the metric names alone, generic
// over the attacks' prefixes: a reconstruction column per stem with <stem>_ssim or
// <stem>_recoveredNN (oracle-aligned stems, <x>_oracle, left out as upper bounds no attacker
// reaches), showing the share recovered at SSIM ≥ 0.30 where reported, else the mean SSIM; an
// inference column per <stem>_acc with a <stem>_chance, showing the advantage over chance
// (acc − chance)/(1 − chance); and a column per other <stem>_acc, as it is
// (RecoveredThreshold parses the <stem>_recoveredNN names). The worst cases are the highest
// column mean of one kind: worst_ssim and worst_recovered30 over the reconstruction columns,
// worst_advantage over the inference ones. Non-finite values are left out of the means and
// listed in the matrix's LeftOut, for the figures' notes.
//
// # Image grids
//
// Grid and WriteGrid lay images out in titled columns (originals, uploads and each attack's
// reconstructions), scaled by nearest neighbour so that pixels stay crisp.
//
// # Errors
//
// Errors start with "results:" and name the file; parse errors also name the line and the
// column. A metric named like a fixed column is an error rather than a panic: metric names
// come from many producers (every attack adds its own columns), and a run should keep its
// other outputs. Malformed input a caller could have checked (a grid of ragged columns, an
// image whose size does not match its shape) panics.
package results
