package results

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// WriteSummary writes a readable Markdown summary of rows to path, atomically: a heading
// with title, a table with one line per row (variant, split, k, coefficients, shuffle, seed,
// the epochs where they differ between rows, accuracy in %, the gap to the matching baseline in percentage points, the edge's share of
// the FLOPs, bytes up and down per input, training seconds), then one line per row that has
// Notes. A row's baseline is the first baseline row with the same dataset, arch, seed and
// training settings (train and test limits, epochs, batch size, learning rate). When some
// configuration was run with several seeds, a second table aggregates over them (see
// seedTable); where attacks ran, the reconstructions over seeds (reconTable) and the verdicts
// (verdictTable) follow.
func WriteSummary(path string, title string, rows []Row) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return summary(w, title, rows) })
}

// baselineKey is what a DataMix row shares with its baseline.
type baselineKey struct {
	dataset, arch         string
	seed                  uint64
	trainLimit, testLimit int
	epochs, batchSize     int
	lr                    float64
}

func keyOf(r Row) baselineKey {
	return baselineKey{r.Dataset, r.Arch, r.Seed, r.TrainLimit, r.TestLimit, r.Epochs, r.BatchSize, r.LR}
}

// baselineVariant is the variant name of baseline rows.
const baselineVariant = "baseline"

// summary writes the Markdown summary to w.
func summary(w io.Writer, title string, rows []Row) error {
	if title == "" {
		title = "Results"
	}
	base := baselineAccuracies(rows)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLineText(title))
	pools := len(distinctPools(rows)) > 1
	// The epochs get a column when they differ between rows (a sweep over train.epochs), so
	// that rows differing only in them can be told apart.
	epochs := map[int]bool{}
	for _, r := range rows {
		epochs[r.Epochs] = true
	}
	head := []string{"variant", "split", "k", "coefficients", "shuffle", "seed", "accuracy", "gap (pp)", "edge FLOPs", "upload B/sample", "download B/sample", "train s"}
	align := []string{"---", "--:", "--:", "---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:"}
	if len(epochs) > 1 {
		head, align = slices.Insert(head, 6, "epochs"), slices.Insert(align, 6, "--:")
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|" + strings.Join(align, "|") + "|\n")
	for _, r := range rows {
		gap := "—"
		if acc, ok := base[keyOf(r)]; ok && r.Variant != baselineVariant {
			gap = fmt.Sprintf("%+.2f", 100*(r.Accuracy-acc))
		}
		cells := []string{
			cell(r.Variant), strconv.Itoa(r.Split), strconv.Itoa(r.GroupSize), cell(r.Coefficients),
			shuffleText(r, pools), strconv.FormatUint(r.Seed, 10),
			fmt.Sprintf("%.2f%%", 100*r.Accuracy), gap, fmt.Sprintf("%.1f%%", 100*r.EdgeFLOPsFrac),
			strconv.FormatInt(r.UploadBytesPerSample, 10), strconv.FormatInt(r.DownloadBytesPerSample, 10),
			fmt.Sprintf("%.1f", r.TrainSeconds),
		}
		if len(epochs) > 1 {
			cells = slices.Insert(cells, 6, strconv.Itoa(r.Epochs))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\nAccuracy is on the test set. The gap is the accuracy minus that of the matching baseline " +
		"(same dataset, arch, seed and training settings) in percentage points; — where there is none. " +
		"Edge FLOPs is the edge's share of the FLOPs per input.\n")

	seedTable(&b, rows, base)
	reconTable(&b, rows)
	verdictTable(&b, rows)

	var notes []string
	for _, r := range rows {
		if len(r.Notes) == 0 {
			continue
		}
		topics := make([]string, 0, len(r.Notes))
		for k := range r.Notes {
			topics = append(topics, k)
		}
		slices.Sort(topics)
		parts := make([]string, len(topics))
		for i, k := range topics {
			parts[i] = oneLineText(k) + ": " + oneLineText(r.Notes[k])
		}
		notes = append(notes, fmt.Sprintf("- `%s` (%s): %s\n", oneLineText(r.Cell), oneLineText(r.Variant), strings.Join(parts, "; ")))
	}
	if len(notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range notes {
			b.WriteString(n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// distinctPools lists the shuffle pools of the shuffled rows.
func distinctPools(rows []Row) []int {
	var ps []int
	for _, r := range rows {
		if r.Shuffle && !slices.Contains(ps, r.ShufflePool) {
			ps = append(ps, r.ShufflePool)
		}
	}
	return ps
}

// shuffleText is a row's shuffle cell: true or false, with the pool ("true, pool 10000") when
// pools says the rows shuffle in pools of different sizes.
func shuffleText(r Row, pools bool) string {
	if pools && r.Shuffle {
		return "true, pool " + strconv.Itoa(r.ShufflePool)
	}
	return strconv.FormatBool(r.Shuffle)
}

// oneLineText replaces line breaks so that a value stays on its Markdown line.
func oneLineText(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// cell escapes a value for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(oneLineText(s), "|", `\|`)
}

// seedTable writes, when some configuration was run with more than one seed, a table with one
// line per configuration (rows differing only in cell and seed; see GroupBySeeds): the number
// of seeds, the accuracy as mean ± sample standard deviation with the half-width of its 95%
// t-interval, the gap to the baseline as mean ± s.d. of the per-seed gaps (each DataMix row
// against the baseline of its own seed), the edge's FLOPs share, and each metric as mean ±
// s.d. Non-finite values are left out of each statistic, which then counts fewer seeds.
func seedTable(b *strings.Builder, rows []Row, base map[baselineKey]float64) {
	groups := GroupBySeeds(rows)
	multi := false
	for _, g := range groups {
		multi = multi || len(g.Rows) > 1
	}
	if !multi {
		return
	}
	// Configuration columns the main table does not show but that vary between groups.
	// (Alpha counts only between DataMix groups: a baseline has none.)
	var extra []Field
	for _, name := range []string{"dataset", "arch", "alpha", "shuffle_pool", "train_limit", "test_limit", "epochs", "batch_size", "lr"} {
		f := fieldNamed(name)
		first := ""
		for _, g := range groups {
			if !showsIn(name, g.Row) {
				continue
			}
			if v := f.value(g.Row); first == "" {
				first = v
			} else if v != first {
				extra = append(extra, f)
				break
			}
		}
	}
	metrics := MetricNames(rows)
	gap := func(r Row) float64 {
		if acc, ok := base[keyOf(r)]; ok && r.Variant != baselineVariant {
			return 100 * (r.Accuracy - acc)
		}
		return math.NaN()
	}

	b.WriteString("\n## Over seeds\n\n")
	header := []string{"variant", "split", "k", "coefficients", "shuffle"}
	align := []string{"---", "--:", "--:", "---", "---"}
	if len(extra) > 0 {
		header, align = append(header, "other settings"), append(align, "---")
	}
	header = append(header, "seeds", "accuracy (mean ± s.d.)", "95% CI", "gap (pp, mean ± s.d.)", "edge FLOPs")
	align = append(align, "--:", "--:", "--:", "--:", "--:")
	for _, m := range metrics {
		header, align = append(header, cell(m)+" (mean ± s.d.)"), append(align, "--:")
	}
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|" + strings.Join(align, "|") + "|\n")
	for _, g := range groups {
		r := g.Row
		line := []string{cell(r.Variant), strconv.Itoa(r.Split), strconv.Itoa(r.GroupSize), cell(r.Coefficients), strconv.FormatBool(r.Shuffle)}
		if len(extra) > 0 {
			var parts []string
			for _, f := range extra {
				if showsIn(f.name, r) {
					parts = append(parts, f.label(r))
				}
			}
			line = append(line, cell(strings.Join(parts, ", ")))
		}
		acc := g.Stat(func(r Row) float64 { return 100 * r.Accuracy })
		ci := "—"
		if acc.N > 1 {
			ci = fmt.Sprintf("±%.2f", acc.CI95)
		}
		n := len(g.Rows)
		gaps := "—"
		if r.Variant != baselineVariant {
			gaps = meanSD(g.Stat(gap), n, "%+.2f", "")
		}
		line = append(line, strconv.Itoa(n), meanSD(acc, n, "%.2f", "%"), ci, gaps,
			meanSD(g.Stat(func(r Row) float64 { return 100 * r.EdgeFLOPsFrac }), n, "%.1f", "%"))
		for _, m := range metrics {
			line = append(line, meanSD(g.Stat(Metric(m)), n, "%.3f", ""))
		}
		b.WriteString("| " + strings.Join(line, " | ") + " |\n")
	}
	b.WriteString("\nOne line per configuration run with one or more seeds. Accuracy in %: mean ± sample " +
		"standard deviation over the seeds, and the half-width of the 95% Student-t confidence " +
		"interval of the mean (— with one seed). The gap is averaged over the per-seed gaps to the " +
		"baseline of the same seed. Non-finite values (NaN, ±Inf) are left out, and a statistic " +
		"over fewer seeds than the seeds column says is marked with its count, e.g. (n=2).\n")
}

// showsIn reports whether configuration field name means something for row r: alpha not for
// a baseline, shuffle_pool not without shuffling.
func showsIn(name string, r Row) bool {
	switch name {
	case "alpha":
		return r.Variant != baselineVariant
	case "shuffle_pool":
		return r.Shuffle
	}
	return true
}

// meanSD formats a Stat as "mean ± s.d." with the given verb and unit ("mean" alone for one
// value, "—" for none), adding "(n=…)" when it summarises fewer values than seeds.
func meanSD(s Stat, seeds int, verb, unit string) string {
	var out string
	switch s.N {
	case 0:
		return "—"
	case 1:
		out = fmt.Sprintf(verb+"%s", s.Mean, unit)
	default:
		out = fmt.Sprintf(verb+" ± "+strings.Replace(verb, "+", "", 1)+"%s", s.Mean, s.SD, unit)
	}
	if s.N < seeds {
		out += fmt.Sprintf(" (n=%d)", s.N)
	}
	return out
}
