package results

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// This file builds the attack × defence matrix from rows: which metric columns make an
// attack's column and how its success is read (attackColumns), the matrix itself, averaged
// over seeds (NewDefenceMatrix), and its CSV file (WriteDefenceMatrix). The figures that read
// it, the heat map and the frontier, are drawn by package results/plot.

// DefenceMatrixFile is the file of a run directory, beside results.csv, that holds the attack ×
// defence matrix (see WriteDefenceMatrix).
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

// AttackColumn is one column of the matrix: an attack (or a variant an attack reports on its
// own, such as ica_strong beside ica) and its measures.
type AttackColumn struct {
	// Stem is the prefix of the attack's metric columns: inversion for inversion_ssim.
	Stem string
	// Cell is the name of the measure that stands for the column (a heat map shows it): of a
	// reconstruction attack, the share of victims recovered at SSIM ≥ 0.30,
	// <stem>_recovered30, where the attack reports it, else <stem>_ssim, else its lowest
	// <stem>_recoveredNN; <stem>_advantage of an inference attack; <stem>_acc of the others.
	Cell string
	// Bound says that the column is an upper bound (UpperBound): shown in a column of its
	// own, it never enters a worst case or a verdict.
	Bound bool

	kind     leakKind
	measures []measure
}

// RecoveredThreshold parses a metric column <stem>_recovered<NN>, the fraction of victims
// reconstructed with SSIM ≥ 0.NN, into its stem and that threshold NN/100; ok is false for a
// column of another form or NN outside 0 to 100.
func RecoveredThreshold(metric string) (stem string, ssim float64, ok bool) {
	i := strings.LastIndex(metric, "_recovered")
	if i < 0 {
		return "", 0, false
	}
	digits := metric[i+len("_recovered"):]
	n, err := strconv.Atoi(digits)
	if err != nil || digits == "" || n < 0 || n > 100 {
		return "", 0, false
	}
	return metric[:i], float64(n) / 100, true
}

// recognisable is the recovered column the matrix shows and the frontier reads: the fraction
// of victims whose reconstruction reaches SSIM 0.30, below which an MNIST digit is blur.
const recognisable = "_recovered30"

// UpperBound says whether the attack column stem (a metric's name without its measure:
// inversion_best for inversion_best_ssim) is an upper bound no attacker reaches rather than an
// attack: one of its underscore-separated words is "oracle" — a measure fitted to the victim
// with the victim's help (ica_oracle_ssim) or an attack handed a secret (an oracle setting,
// whose name must say so: the experiment config requires it) — or "best", the member of a
// group that each metric likes best (inversion_best_ssim), an oracle choice. Upper bounds are
// shown in columns of their own and never enter a worst case or a verdict.
func UpperBound(stem string) bool {
	for w := range strings.SplitSeq(stem, "_") {
		if w == "oracle" || w == "best" {
			return true
		}
	}
	return false
}

// attackColumns returns the attack columns of rows, generic over their prefixes: a
// reconstruction column per stem with <stem>_ssim or <stem>_recoveredNN, an inference column
// per <stem>_acc with a <stem>_chance, and a matching column per other <stem>_acc, each marked
// when it is an upper bound (UpperBound). Reconstruction columns come first, then inference,
// then matching, each sorted by stem.
func attackColumns(rows []Row) []AttackColumn {
	names := MetricNames(rows)
	has := map[string]bool{}
	for _, m := range names {
		has[m] = true
	}
	recon := map[string][]string{} // stem → its recovered columns
	var stems []string
	addRecon := func(stem string) {
		if _, ok := recon[stem]; !ok {
			recon[stem] = nil
			stems = append(stems, stem)
		}
	}
	var infer, match []string
	for _, m := range names {
		if stem, ok := strings.CutSuffix(m, "_ssim"); ok {
			addRecon(stem)
		} else if stem, _, ok := RecoveredThreshold(m); ok {
			addRecon(stem)
			recon[stem] = append(recon[stem], m)
		} else if stem, ok := strings.CutSuffix(m, "_acc"); ok {
			if has[stem+"_chance"] {
				infer = append(infer, stem)
			} else {
				match = append(match, stem)
			}
		}
	}
	slices.Sort(stems)
	var cols []AttackColumn
	for _, stem := range stems {
		c := AttackColumn{Stem: stem, kind: reconstruction, Bound: UpperBound(stem)}
		if has[stem+"_ssim"] {
			c.measures = append(c.measures, metricMeasure(stem+"_ssim"))
			c.Cell = stem + "_ssim"
		}
		rec := recon[stem]
		slices.SortFunc(rec, func(a, b string) int {
			_, ta, _ := RecoveredThreshold(a)
			_, tb, _ := RecoveredThreshold(b)
			return cmp.Compare(ta, tb)
		})
		for _, m := range rec {
			c.measures = append(c.measures, metricMeasure(m))
			if strings.HasSuffix(m, recognisable) || c.Cell == "" {
				c.Cell = m
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
		cols = append(cols, AttackColumn{Stem: stem, kind: inference, Cell: adv.name, Bound: UpperBound(stem),
			measures: []measure{metricMeasure(stem + "_acc"), metricMeasure(stem + "_chance"), adv}})
	}
	for _, stem := range match {
		cols = append(cols, AttackColumn{Stem: stem, kind: matching, Cell: stem + "_acc", Bound: UpperBound(stem),
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

// WorstCase is a worst case over the attack columns of one kind: the highest mean of one of
// their measures, since a defence is only as good as it is against the strongest attack.
type WorstCase struct {
	// Name is its column in DefenceMatrixFile and its key in MatrixRow.Worst: worst_ssim,
	// worst_recovered30 or worst_advantage (see the package documentation).
	Name string

	kind leakKind // the columns it takes the highest of
	// suffix picks each column's measure: <stem><suffix>.
	suffix string
}

// worstCases are the worst cases the matrix reports, each when some column has its measure.
var worstCases = []WorstCase{
	{Name: "worst_ssim", kind: reconstruction, suffix: "_ssim"},
	{Name: "worst" + recognisable, kind: reconstruction, suffix: recognisable},
	{Name: "worst_advantage", kind: inference, suffix: "_advantage"},
}

// MatrixRow is one configuration of the matrix, over its seeds.
type MatrixRow struct {
	// Group is the configuration's rows.
	Group Group
	// Accuracy is the test accuracy in percent; Gap the gap to the baseline of the same seed
	// in percentage points (N = 0 without a baseline); EdgeFLOPs, EdgeShare and Upload the
	// edge's FLOPs per input, their share of the FLOPs in percent and the bytes uploaded per
	// input.
	Accuracy, Gap, EdgeFLOPs, EdgeShare, Upload Stat
	// Worst are the worst cases by name (WorstCase.Name), NaN where the row has none of their
	// measures.
	Worst map[string]float64

	// values are the stats of the attack columns' measures, by name.
	values map[string]Stat
}

// Value returns the mean over seeds of the named measure of an attack column (such as
// AttackColumn.Cell), NaN when the row has none.
func (r MatrixRow) Value(measure string) float64 {
	if s, ok := r.values[measure]; ok && s.N > 0 {
		return s.Mean
	}
	return math.NaN()
}

// NonFinite is a NaN or infinite value that a mean over seeds left out.
type NonFinite struct {
	// Row is the row that has it.
	Row Row
	// Measure names it: "accuracy", "the gap to the baseline", or an attack column's measure.
	Measure string
	// Value is NaN, +Inf or -Inf.
	Value float64
}

// DefenceMatrix is the attack × defence matrix: a row per DataMix configuration that was
// attacked, a column per attack, each value the mean over seeds.
type DefenceMatrix struct {
	// Columns are the attack columns, found from the metric names alone: reconstruction
	// attacks first, then inference attacks, then the others, each sorted by stem.
	Columns []AttackColumn
	// Rows are the configurations, in the order of their first row.
	Rows []MatrixRow
	// Worst are the worst cases that some row has, in the order worst_ssim, worst_recovered30,
	// worst_advantage.
	Worst []WorstCase
	// LeftOut are the non-finite values left out of the means, in the order met.
	LeftOut []NonFinite
}

// NewDefenceMatrix builds the attack × defence matrix of the rows, or returns nil when no
// DataMix row has an attack column. A non-finite value is left out of its mean and listed in
// LeftOut.
func NewDefenceMatrix(rows []Row) *DefenceMatrix {
	cols := attackColumns(rows)
	if len(cols) == 0 {
		return nil
	}
	base := baselineAccuracies(rows)
	var groups []Group
	for _, g := range GroupBySeeds(rows) {
		if g.Row.IsBaseline() {
			continue
		}
		attacked := slices.ContainsFunc(g.Rows, func(r Row) bool {
			return slices.ContainsFunc(cols, func(c AttackColumn) bool {
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
	m := &DefenceMatrix{Columns: cols}
	stat := func(g Group, name string, get func(Row) (float64, bool)) Stat {
		var xs []float64
		for _, r := range g.Rows {
			v, ok := get(r)
			if !ok {
				continue
			}
			if !finite(v) {
				m.LeftOut = append(m.LeftOut, NonFinite{Row: r, Measure: name, Value: v})
				continue
			}
			xs = append(xs, v)
		}
		return Summarize(xs)
	}
	for _, g := range groups {
		mr := MatrixRow{Group: g, values: map[string]Stat{}, Worst: map[string]float64{}}
		mr.Accuracy = stat(g, "accuracy", func(r Row) (float64, bool) { return 100 * r.Accuracy, true })
		mr.Gap = stat(g, "the gap to the baseline", func(r Row) (float64, bool) {
			b, ok := base[keyOf(r)]
			return 100 * (r.Accuracy - b), ok && finite(r.Accuracy) // a non-finite accuracy is listed already
		})
		mr.EdgeFLOPs = g.Stat(func(r Row) float64 { return float64(r.EdgeFLOPs) })
		mr.EdgeShare = g.Stat(func(r Row) float64 { return 100 * r.EdgeFLOPsFrac })
		mr.Upload = g.Stat(func(r Row) float64 { return float64(r.UploadBytesPerSample) })
		for _, c := range cols {
			for _, ms := range c.measures {
				if s := stat(g, ms.name, ms.get); s.N > 0 {
					mr.values[ms.name] = s
				}
			}
		}
		for _, w := range worstCases {
			mr.Worst[w.Name] = m.worstOf(mr, w)
		}
		m.Rows = append(m.Rows, mr)
	}
	for _, w := range worstCases {
		if slices.ContainsFunc(m.Rows, func(r MatrixRow) bool { return !math.IsNaN(r.Worst[w.Name]) }) {
			m.Worst = append(m.Worst, w)
		}
	}
	return m
}

// worstOf returns the worst case w of the row r: the highest mean of w's measure over the
// columns of w's kind that r has it for, NaN when it has none.
func (m *DefenceMatrix) worstOf(r MatrixRow, w WorstCase) float64 {
	worst := math.NaN()
	for _, c := range m.Columns {
		if c.kind != w.kind || c.Bound {
			continue
		}
		if v := r.Value(c.Stem + w.suffix); !math.IsNaN(v) && (math.IsNaN(worst) || v > worst) {
			worst = v
		}
	}
	return worst
}

// Verdict is the verdict of a configuration (Judge's criteria) on the means over its seeds.
func (m *DefenceMatrix) Verdict(r MatrixRow) Verdict {
	return judge(m.Columns, func(name string) (float64, bool) {
		v := r.Value(name)
		return v, !math.IsNaN(v)
	})
}

// finite says whether x is neither NaN nor ±Inf.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// matrixConfigColumns are the configuration columns of the matrix's CSV file, the defence
// first, then the others of Columns but the variant, cell and seed.
var matrixConfigColumns = []string{"defence", "dataset", "arch", "split", "group_size", "coefficients", "alpha",
	"shuffle", "train_limit", "test_limit", "epochs", "batch_size", "lr"}

// header returns the CSV header of m.
func (m *DefenceMatrix) header() []string {
	h := append(slices.Clone(matrixConfigColumns), "seeds", "accuracy", "accuracy_sd", "accuracy_gap_pp",
		"edge_flops", "edge_flops_frac", "upload_bytes_per_sample")
	for _, w := range m.Worst {
		h = append(h, w.Name)
	}
	h = append(h, VerdictColumns...)
	for _, c := range m.Columns {
		for _, ms := range c.measures {
			h = append(h, ms.name)
		}
	}
	return h
}

// writeCSV writes m as CSV to w: one line per row, values with formatFloat (a missing value
// is an empty field).
func (m *DefenceMatrix) writeCSV(w io.Writer) error {
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
	for _, r := range m.Rows {
		var line []string
		for _, name := range matrixConfigColumns {
			line = append(line, fieldNamed(name).value(r.Group.Row))
		}
		accSD := ""
		if r.Accuracy.N > 1 {
			accSD = num(r.Accuracy.SD / 100)
		}
		acc := ""
		if r.Accuracy.N > 0 {
			acc = num(r.Accuracy.Mean / 100)
		}
		line = append(line, strconv.Itoa(len(r.Group.Rows)), acc, accSD, mean(r.Gap),
			mean(r.EdgeFLOPs), num(r.EdgeShare.Mean/100), mean(r.Upload))
		for _, w := range m.Worst {
			line = append(line, num(r.Worst[w.Name]))
		}
		v := m.Verdict(r)
		line = append(line, v.Verdict, v.Reason())
		for _, c := range m.Columns {
			for _, ms := range c.measures {
				line = append(line, num(r.Value(ms.name)))
			}
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteDefenceMatrix writes the attack × defence matrix of rows (see NewDefenceMatrix) to path as
// CSV, atomically, and reports whether there was one: when no DataMix row carries an attack's
// metric there is none, and WriteDefenceMatrix removes the file at path, if any (the matrix of
// earlier rows), rather than leave it stale. One line per DataMix configuration that was attacked
// (rows that differ only in cell and seed are one): its configuration columns (the defence first),
// the number of seeds, the accuracy (a fraction, mean and sample s.d.), the gap to the baseline in
// percentage points (the mean of the per-seed gaps; empty without a baseline), the edge's FLOPs per
// input and their share (a fraction), the bytes uploaded per input, the worst cases (worst_ssim,
// worst_recovered30, worst_advantage: see the package documentation), then each attack column's
// measures: <stem>_ssim and <stem>_recoveredNN of reconstruction attacks, <stem>_acc, <stem>_chance
// and <stem>_advantage of inference attacks, <stem>_acc of the others. Every value is the mean over
// the seeds of its finite values; a value no seed has is an empty field.
func WriteDefenceMatrix(path string, rows []Row) (bool, error) {
	m := NewDefenceMatrix(rows)
	if m == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("results: %w", err)
		}
		return false, nil
	}
	return true, WriteFileAtomic(path, m.writeCSV)
}

// baselineAccuracies returns the accuracy of the first baseline row of each baseline key.
func baselineAccuracies(rows []Row) map[baselineKey]float64 {
	base := map[baselineKey]float64{}
	for _, r := range rows {
		if _, ok := base[keyOf(r)]; r.IsBaseline() && !ok {
			base[keyOf(r)] = r.Accuracy
		}
	}
	return base
}
