package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// This file builds the attack × defence matrix from rows: which metric columns make an
// attack's column and how its success is read (attackColumns), the matrix itself, averaged
// over seeds (newMatrix), and its CSV file (WriteDefenceMatrix). The heat map is drawn by
// plot_matrix.go, the frontier that reads the matrix's worst cases by plot_frontier.go.

// DefenceMatrixFile is the file, beside results.csv, that PlotDir writes the attack × defence
// matrix to (see WriteDefenceMatrix).
const DefenceMatrixFile = "defence_matrix.csv"

// leakKind is what an attack column measures.
type leakKind int

const (
	// reconstruction: images rebuilt from the uploads, <stem>_ssim and, where the attack
	// reports them, <stem>_recovered<NN> (the fraction of victims with SSIM ≥ 0.NN).
	reconstruction leakKind = iota
	// inference: a private attribute or label predicted, <stem>_acc against <stem>_chance.
	inference
	// matching: an accuracy with no chance level, <stem>_acc, such as the fraction of
	// groups group matching recovers: a step towards leakage rather than leakage itself.
	matching
)

// measure is one value of an attack column, a column of the matrix's CSV file.
type measure struct {
	name string
	get  func(Row) (float64, bool)
}

// attackColumn is one column of the matrix: an attack (or a variant an attack reports on its
// own, such as ica_strong beside ica), its measures, and the one its cell shows.
type attackColumn struct {
	stem     string
	kind     leakKind
	measures []measure
	cell     string // the name of the measure the heat map shows
	unit     string // how the heat map's header names that measure
}

// recoveredThreshold parses a column <stem>_recovered<NN> into its stem and the SSIM
// threshold 0.NN, written with two decimals.
func recoveredThreshold(m string) (stem, threshold string, ok bool) {
	i := strings.LastIndex(m, "_recovered")
	if i < 0 {
		return "", "", false
	}
	digits := m[i+len("_recovered"):]
	n, err := strconv.Atoi(digits)
	if err != nil || digits == "" || n < 0 || n > 100 {
		return "", "", false
	}
	return m[:i], fmt.Sprintf("%.2f", float64(n)/100), true
}

// recognisable is the recovered column the matrix shows and the frontier reads: the fraction
// of victims whose reconstruction reaches SSIM 0.30, below which an MNIST digit is blur.
const recognisable = "_recovered30"

// oracleStem says whether a stem names an oracle-aligned measure (X_oracle_ssim): the attack's
// output fitted to the victim with the victim's help, an upper bound no attacker reaches,
// which the matrix leaves out.
func oracleStem(stem string) bool { return stem == "oracle" || strings.HasSuffix(stem, "_oracle") }

// attackColumns returns the attack columns of rows, generic over their prefixes: a
// reconstruction column per stem with <stem>_ssim or <stem>_recoveredNN (oracle-aligned
// stems left out), an inference column per <stem>_acc with a <stem>_chance, and a matching
// column per other <stem>_acc. Reconstruction columns come first, then inference, then
// matching, each sorted by stem.
func attackColumns(rows []Row) []attackColumn {
	names := MetricNames(rows)
	has := map[string]bool{}
	for _, m := range names {
		has[m] = true
	}
	recon := map[string][]string{} // stem → its recovered columns
	var stems []string
	addRecon := func(stem string) {
		if _, ok := recon[stem]; !ok && !oracleStem(stem) {
			recon[stem] = nil
			stems = append(stems, stem)
		}
	}
	var infer, match []string
	for _, m := range names {
		if stem, ok := strings.CutSuffix(m, "_ssim"); ok {
			addRecon(stem)
		} else if stem, _, ok := recoveredThreshold(m); ok {
			addRecon(stem)
			if !oracleStem(stem) {
				recon[stem] = append(recon[stem], m)
			}
		} else if stem, ok := strings.CutSuffix(m, "_acc"); ok {
			if has[stem+"_chance"] {
				infer = append(infer, stem)
			} else {
				match = append(match, stem)
			}
		}
	}
	slices.Sort(stems)
	var cols []attackColumn
	for _, stem := range stems {
		c := attackColumn{stem: stem, kind: reconstruction}
		if has[stem+"_ssim"] {
			c.measures = append(c.measures, metricMeasure(stem+"_ssim"))
			c.cell, c.unit = stem+"_ssim", "SSIM"
		}
		rec := recon[stem]
		slices.SortFunc(rec, func(a, b string) int {
			_, ta, _ := recoveredThreshold(a)
			_, tb, _ := recoveredThreshold(b)
			return strings.Compare(ta, tb)
		})
		for _, m := range rec {
			c.measures = append(c.measures, metricMeasure(m))
			if strings.HasSuffix(m, recognisable) || c.cell == "" {
				_, t, _ := recoveredThreshold(m)
				c.cell, c.unit = m, "share ≥ "+t
			}
		}
		cols = append(cols, c)
	}
	for _, stem := range infer {
		adv := measure{stem + "_advantage", func(r Row) (float64, bool) {
			acc, ok := r.Metrics[stem+"_acc"]
			ch, okc := r.Metrics[stem+"_chance"]
			return advantage(acc, ch), ok && okc
		}}
		cols = append(cols, attackColumn{stem: stem, kind: inference, cell: adv.name, unit: "advantage",
			measures: []measure{metricMeasure(stem + "_acc"), metricMeasure(stem + "_chance"), adv}})
	}
	for _, stem := range match {
		cols = append(cols, attackColumn{stem: stem, kind: matching, cell: stem + "_acc", unit: "accuracy",
			measures: []measure{metricMeasure(stem + "_acc")}})
	}
	return cols
}

// advantage is an accuracy's advantage over chance, (acc − chance) / (1 − chance): 0 at chance,
// 1 for a perfect guess, whatever the chance level; NaN when chance is 1.
func advantage(acc, chance float64) float64 {
	if chance >= 1 {
		return math.NaN()
	}
	return (acc - chance) / (1 - chance)
}

// metricMeasure reads the metric column m.
func metricMeasure(m string) measure {
	return measure{m, func(r Row) (float64, bool) { v, ok := r.Metrics[m]; return v, ok }}
}

// worstCase is a worst case over the attack columns of one kind: the highest mean of one of
// their measures, since a defence is only as good as it is against the strongest attack.
type worstCase struct {
	name string   // its CSV column
	kind leakKind // the columns it takes the highest of
	// suffix picks each column's measure: <stem><suffix>.
	suffix string
	// axis labels the frontier's x axis, short names the heat map's column, key formats the
	// value in the frontier's key.
	axis, short, key string
}

// worstCases are the worst cases the matrix reports and the frontier draws, each when some
// column has its measure.
var worstCases = []worstCase{
	{name: "worst_ssim", kind: reconstruction, suffix: "_ssim", short: "worst SSIM", key: "worst SSIM %.2f",
		axis: "worst-case reconstruction: highest mean SSIM over the attacks (1 = identical)"},
	{name: "worst" + recognisable, kind: reconstruction, suffix: recognisable, short: "worst share ≥ 0.30",
		key:  "worst share recognisable %.2f",
		axis: "worst-case reconstruction: highest share of victims recognisable (SSIM ≥ 0.30) over the attacks"},
	{name: "worst_advantage", kind: inference, suffix: "_advantage", short: "worst advantage", key: "worst advantage %.2f",
		axis: "worst-case inference: highest advantage over chance, (acc − chance)/(1 − chance), over the attacks"},
}

// matrixRow is one configuration of the matrix, over its seeds.
type matrixRow struct {
	group Group
	label string
	// acc is the accuracy in percent; gap the per-seed gap to the baseline in percentage
	// points (N = 0 without a baseline); edge, frac and upload the edge's FLOPs per input,
	// their share in percent and the bytes uploaded per input.
	acc, gap, edge, frac, upload Stat
	// values are the stats of the attack columns' measures, by name.
	values map[string]Stat
	// worst are the worst cases by name, NaN where the row has none of their measures.
	worst map[string]float64
}

// defenceMatrix is the attack × defence matrix: a row per DataMix configuration that was
// attacked, a column per attack, each value the mean over seeds.
type defenceMatrix struct {
	cols  []attackColumn
	rows  []matrixRow
	worst []worstCase // those some row has
	// dataset starts titles ("MNIST: ", see datasetTitle).
	dataset string
	// leftOut describes each non-finite value left out of a mean (cell, seed, what).
	leftOut []string
}

// seeds returns the numbers of seeds of the matrix's rows.
func (m *defenceMatrix) seeds() []int {
	var ns []int
	for _, r := range m.rows {
		ns = append(ns, len(r.group.Rows))
	}
	return ns
}

// value returns the mean of the named measure in row r, NaN when r has none.
func (r matrixRow) value(name string) float64 {
	if s, ok := r.values[name]; ok && s.N > 0 {
		return s.Mean
	}
	return math.NaN()
}

// newMatrix builds the matrix of the rows, or returns nil when no DataMix row has an attack
// column. A non-finite value is left out of its mean, and described in leftOut.
func newMatrix(rows []Row) *defenceMatrix {
	cols := attackColumns(rows)
	if len(cols) == 0 {
		return nil
	}
	base := baselineAccuracies(rows)
	var groups []Group
	for _, g := range GroupBySeeds(rows) {
		if g.Row.Variant == baselineVariant {
			continue
		}
		attacked := slices.ContainsFunc(g.Rows, func(r Row) bool {
			return slices.ContainsFunc(cols, func(c attackColumn) bool {
				return slices.ContainsFunc(c.measures, func(ms measure) bool { _, ok := ms.get(r); return ok })
			})
		})
		if attacked {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	m := &defenceMatrix{cols: cols, dataset: datasetTitle(rows)}
	labels := configLabels(groups)
	stat := func(g Group, name string, get func(Row) (float64, bool)) Stat {
		var xs []float64
		for _, r := range g.Rows {
			v, ok := get(r)
			if !ok {
				continue
			}
			if !finite(v) {
				why := fmt.Sprintf("cell %s (%s, seed %d): %s is %s", r.Cell, shortLabel(r), r.Seed, name, formatFloat(v))
				if !slices.Contains(m.leftOut, why) {
					m.leftOut = append(m.leftOut, why)
				}
				continue
			}
			xs = append(xs, v)
		}
		return Summarize(xs)
	}
	for i, g := range groups {
		mr := matrixRow{group: g, label: labels[i], values: map[string]Stat{}, worst: map[string]float64{}}
		mr.acc = stat(g, "accuracy", func(r Row) (float64, bool) { return 100 * r.Accuracy, true })
		mr.gap = stat(g, "the gap to the baseline", func(r Row) (float64, bool) {
			b, ok := base[keyOf(r)]
			return 100 * (r.Accuracy - b), ok && finite(r.Accuracy) // a non-finite accuracy has its note
		})
		mr.edge = g.Stat(func(r Row) float64 { return float64(r.EdgeFLOPs) })
		mr.frac = g.Stat(func(r Row) float64 { return 100 * r.EdgeFLOPsFrac })
		mr.upload = g.Stat(func(r Row) float64 { return float64(r.UploadBytesPerSample) })
		for _, c := range cols {
			for _, ms := range c.measures {
				if s := stat(g, ms.name, ms.get); s.N > 0 {
					mr.values[ms.name] = s
				}
			}
		}
		for _, w := range worstCases {
			mr.worst[w.name] = m.worstOf(mr, w)
		}
		m.rows = append(m.rows, mr)
	}
	for _, w := range worstCases {
		if slices.ContainsFunc(m.rows, func(r matrixRow) bool { return !math.IsNaN(r.worst[w.name]) }) {
			m.worst = append(m.worst, w)
		}
	}
	return m
}

// worstOf returns the worst case w of the row r: the highest mean of w's measure over the
// columns of w's kind that r has it for, NaN when it has none.
func (m *defenceMatrix) worstOf(r matrixRow, w worstCase) float64 {
	worst := math.NaN()
	for _, c := range m.cols {
		if c.kind != w.kind {
			continue
		}
		if v := r.value(c.stem + w.suffix); !math.IsNaN(v) && (math.IsNaN(worst) || v > worst) {
			worst = v
		}
	}
	return worst
}

// configLabels labels groups by the config fields that vary between them, the defence first;
// when none does, by the split and k (and the defence, if any).
func configLabels(groups []Group) []string {
	by := varyingFields(groups)
	if i := slices.IndexFunc(by, func(f field) bool { return f.name == "defence" }); i > 0 {
		d := by[i]
		by = append([]field{d}, slices.Delete(by, i, i+1)...)
	}
	if len(by) == 0 {
		by = []field{fieldNamed("split"), fieldNamed("group_size")}
		if groups[0].Row.Defence != "" {
			by = append(by, fieldNamed("defence"))
		}
	}
	out := make([]string, len(groups))
	for i, g := range groups {
		var parts []string
		for _, f := range by {
			parts = append(parts, f.label(g.Row))
		}
		out[i] = strings.Join(parts, ", ")
	}
	return out
}

// matrixConfigColumns are the configuration columns of the matrix's CSV file, the defence
// first, then the others of Columns but the variant, cell and seed.
var matrixConfigColumns = []string{"defence", "dataset", "arch", "split", "group_size", "coefficients", "alpha",
	"shuffle", "train_limit", "test_limit", "epochs", "batch_size", "lr"}

// header returns the CSV header of m.
func (m *defenceMatrix) header() []string {
	h := append(slices.Clone(matrixConfigColumns), "seeds", "accuracy", "accuracy_sd", "accuracy_gap_pp",
		"edge_flops", "edge_flops_frac", "upload_bytes_per_sample")
	for _, w := range m.worst {
		h = append(h, w.name)
	}
	for _, c := range m.cols {
		for _, ms := range c.measures {
			h = append(h, ms.name)
		}
	}
	return h
}

// writeCSV writes m as CSV to w: one line per row, values with formatFloat (a missing value
// is an empty field).
func (m *defenceMatrix) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(m.header()); err != nil {
		return err
	}
	num := func(x float64) string {
		if math.IsNaN(x) {
			return ""
		}
		return formatFloat(x)
	}
	mean := func(s Stat) string {
		if s.N == 0 {
			return ""
		}
		return num(s.Mean)
	}
	for _, r := range m.rows {
		var line []string
		for _, name := range matrixConfigColumns {
			line = append(line, fieldNamed(name).value(r.group.Row))
		}
		accSD := ""
		if r.acc.N > 1 {
			accSD = num(r.acc.SD / 100)
		}
		acc := ""
		if r.acc.N > 0 {
			acc = num(r.acc.Mean / 100)
		}
		line = append(line, strconv.Itoa(len(r.group.Rows)), acc, accSD, mean(r.gap),
			mean(r.edge), num(r.frac.Mean/100), mean(r.upload))
		for _, w := range m.worst {
			line = append(line, num(r.worst[w.name]))
		}
		for _, c := range m.cols {
			for _, ms := range c.measures {
				line = append(line, num(r.value(ms.name)))
			}
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteDefenceMatrix writes the attack × defence matrix of rows to path as CSV, atomically,
// and reports whether there was one: none (and no file) when no DataMix row carries an
// attack's metric. One line per DataMix configuration that was attacked (rows that differ
// only in cell and seed are one): its configuration columns (the defence first), the number
// of seeds, the accuracy (a fraction, mean and sample s.d.), the gap to the baseline in
// percentage points (the mean of the per-seed gaps; empty without a baseline), the edge's
// FLOPs per input and their share (a fraction), the bytes uploaded per input, the worst cases
// (worst_ssim, worst_recovered30, worst_advantage: see the package documentation), then each
// attack column's measures: <stem>_ssim and <stem>_recoveredNN of reconstruction attacks,
// <stem>_acc, <stem>_chance and <stem>_advantage of inference attacks, <stem>_acc of the
// others. Every value is the mean over the seeds of its finite values; a value no seed has is
// an empty field.
func WriteDefenceMatrix(path string, rows []Row) (bool, error) {
	m := newMatrix(rows)
	if m == nil {
		return false, nil
	}
	return true, WriteFileAtomic(path, m.writeCSV)
}

// baselineAccuracies returns the accuracy of the first baseline row of each baseline key.
func baselineAccuracies(rows []Row) map[baselineKey]float64 {
	base := map[baselineKey]float64{}
	for _, r := range rows {
		if _, ok := base[keyOf(r)]; r.Variant == baselineVariant && !ok {
			base[keyOf(r)] = r.Accuracy
		}
	}
	return base
}
