package plot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/plot"

	"github.com/datamix/harness/results"
)

// privacyMetrics are the rows' metrics other than chance levels.
func privacyMetrics(rows []results.Row) []string {
	var out []string
	for _, m := range results.MetricNames(rows) {
		if !strings.HasSuffix(m, "_chance") {
			out = append(out, m)
		}
	}
	return out
}

// chanceOf returns the name of the chance-level column of an accuracy metric: X_chance for
// X_acc (attr_label_acc → attr_label_chance, output_acc → output_chance).
func chanceOf(metric string) string {
	if base, ok := strings.CutSuffix(metric, "_acc"); ok {
		return base + "_chance"
	}
	return ""
}

// metricAxis labels a metric's axis with its meaning and unit.
func metricAxis(m string) string {
	switch {
	case strings.HasSuffix(m, "_ssim"):
		return "SSIM (1 = identical)"
	case strings.HasSuffix(m, "_psnr"):
		return "PSNR (dB)"
	case strings.HasSuffix(m, "_psnr_median"):
		return "median PSNR (dB)"
	case strings.HasSuffix(m, "_corr"):
		return "mean |correlation| (0 to 1)"
	case strings.HasSuffix(m, "_acc"):
		return "accuracy (fraction)"
	case strings.HasSuffix(m, "_ari"):
		return "adjusted Rand index (1 = exact)"
	}
	if _, t, ok := results.RecoveredThreshold(m); ok {
		return fmt.Sprintf("fraction with SSIM ≥ %.2f", t)
	}
	return m
}

// unsafeName matches what a file name should not hold.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// attackOf returns the attack a metric column belongs to: the longest note topic of the rows
// that prefixes it ("ica_oracle" for ica_oracle_corr, when the rows have notes on that
// attack, as the harness's attacks write), else the column's first word ("ica").
func attackOf(metric string, topics []string) string {
	best := ""
	for _, t := range topics {
		if strings.HasPrefix(metric, t+"_") && len(t) > len(best) {
			best = t
		}
	}
	if best == "" {
		best, _, _ = strings.Cut(metric, "_")
	}
	return best
}

// noteTopics lists the note topics of rows, sorted.
func noteTopics(rows []results.Row) []string {
	var ts []string
	for _, r := range rows {
		for t := range r.Notes {
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
	}
	slices.Sort(ts)
	return ts
}

// attackMetrics groups the privacy metrics of rows by attack (see attackOf): the attacks in
// order of their first metric, and each attack's metrics in the order of MetricNames.
func attackMetrics(rows []results.Row) (attacks []string, metrics map[string][]string) {
	topics := noteTopics(rows)
	metrics = map[string][]string{}
	for _, m := range privacyMetrics(rows) {
		a := attackOf(m, topics)
		if _, ok := metrics[a]; !ok {
			attacks = append(attacks, a)
		}
		metrics[a] = append(metrics[a], m)
	}
	return attacks, metrics
}

// attackFigures draws a figure privacy_<attack>_vs_group_size (or _vs_split) per attack that
// the rows have metrics of (see attackFigure).
func (pl *drawing) attackFigures() {
	attacks, metrics := attackMetrics(pl.rows)
	if len(attacks) == 0 {
		pl.skip("privacy_*", noAttack)
	}
	for _, a := range attacks {
		pl.attackFigure(a, metrics[a])
	}
}

// attackFigure draws the metrics of the attack a against k, or against the split when the
// DataMix rows with its metrics do not vary k (and not at all when they vary neither): one
// panel per metric computed at two or more values of the x axis (see attackPanel), laid out
// by gridFigure under one title, with one legend beside them. A metric whose cells are finite
// at a single value of x only gets a note instead of a panel.
func (pl *drawing) attackFigure(a string, metrics []string) {
	have := attackedRows(pl.rows, metrics)
	base := "privacy_" + unsafeName.ReplaceAllString(a, "_")
	x, xLabel := "group_size", "group size k"
	if len(distinct(have, x)) < 2 {
		x, xLabel = "split", "split point"
		if len(distinct(have, x)) < 2 {
			why := noAttack // the attack's metrics are on baselines alone
			if len(have) > 0 {
				why = fmt.Sprintf("every cell it attacked has %s and %s",
					fieldNamed("group_size").Label(have[0]), fieldNamed("split").Label(have[0]))
			}
			pl.skip(base, why)
			return
		}
	}
	fig := base + "_vs_" + x
	st := newSeriesStyle(results.GroupBySeeds(have), x)
	var panels []*plot.Plot
	var ns []int
	var notes []string
	for _, m := range metrics {
		p, pns, note, err := pl.attackPanel(fig, m, x, xLabel, st)
		if err != nil {
			pl.failed(fig, err)
			return
		}
		if p != nil {
			panels = append(panels, p)
			ns = append(ns, pns...)
			if note != "" {
				notes = append(notes, note)
			}
		}
	}
	if len(panels) == 0 {
		pl.skip(fig, "no metric of the attack has finite values at two values of "+x+" or more")
		return
	}
	seeds := "one seed"
	if len(ns) > 0 && slices.Max(ns) > 1 {
		seeds = "mean ± s.d. over " + seedCounts(ns)
	}
	f := gridFigure(fig, fmt.Sprintf("%sattack %s (%s)", datasetTitle(have), a, seeds), panels)
	f.side = []block{legendBlock{st.legendWith(pl.sharedItems(panels))}}
	if len(notes) > 0 {
		f.side = append(f.side, textBlock{text: "Lines that coincide — " + joinNotes(notes, len(panels)) + ".", grey: true})
	}
	pl.figs = append(pl.figs, f)
}

// attackedRows returns the DataMix rows that have any of the metrics.
func attackedRows(rows []results.Row, metrics []string) []results.Row {
	var have []results.Row
	for _, r := range rows {
		if r.IsBaseline() {
			continue
		}
		if slices.ContainsFunc(metrics, func(m string) bool { _, ok := r.Metrics[m]; return ok }) {
			have = append(have, r)
		}
	}
	return have
}

// attackPanel draws the panel of the metric m of the figure fig against the x field
// (labelled xLabel) in the style st, with its chance level when it has one (see chanceLine),
// and returns it with the number of seeds behind each point and a note naming the lines that
// coincide in it. It returns a nil panel when m is present at one value of x only, and also
// notes it when m is finite at one value of x only.
func (pl *drawing) attackPanel(fig, m, x, xLabel string, st seriesStyle) (*plot.Plot, []int, string, error) {
	q := metricQ(m)
	if len(distinct(present(pl.rows, q), x)) < 2 {
		return nil, nil, "", nil // this metric is computed at one value of x only
	}
	rows := pl.usable(fig, pl.rows, false, q)
	if len(distinct(rows, x)) < 2 {
		pl.note("%s: panel %s not drawn: the cells with a finite %s have one value of %s", fig, m, m, x)
		return nil, nil, "", nil
	}
	ss := st.split(rows, q)
	p := newPlot(m, xLabel, metricAxis(m))
	intAxis(p, distinct(rows, x))
	r := newYRange()
	r.addSeries(ss)
	chance, hasChance := chanceLevel(m, rows)
	if hasChance && r.near(chance) {
		r.add(chance)
	} else if hasChance {
		p.Title.Text += fmt.Sprintf(" (chance %.3g, off the axis)", chance)
		hasChance = false
	}
	setY(p, r, metricBounds(m))
	if err := pl.addSeries(p, ss, st, false); err != nil {
		return nil, nil, "", err
	}
	if hasChance {
		if err := pl.addRef(p, refLevel{y: chance, label: "chance (the majority class)", colour: greys[0]}); err != nil {
			return nil, nil, "", err
		}
	}
	note := coincidence(p, ss, st)
	if note != "" {
		note = m + ": " + note
	}
	return p, seedNs(ss), note, nil
}

// chanceLevel returns the chance level of the accuracy metric m, X_chance for X_acc, averaged
// over the rows that have it; other metrics have none.
func chanceLevel(m string, rows []results.Row) (float64, bool) {
	c := chanceOf(m)
	if c == "" {
		return 0, false
	}
	var cs []float64
	for _, r := range rows {
		if v, ok := r.Metrics[c]; ok {
			cs = append(cs, v)
		}
	}
	st := results.Summarize(cs)
	return st.Mean, st.N > 0
}

// joinNotes joins the notes ("metric: what coincides") of a figure of n panels, the metrics
// with the same note named together ("ica_psnr, ica_ssim: all lines coincide"), or, when
// every panel has the same, says it once: "in every panel: all lines coincide".
func joinNotes(notes []string, n int) string {
	var texts []string
	metrics := map[string][]string{}
	for _, note := range notes {
		m, text, _ := strings.Cut(note, ": ")
		if _, ok := metrics[text]; !ok {
			texts = append(texts, text)
		}
		metrics[text] = append(metrics[text], m)
	}
	if len(texts) == 1 && len(notes) == n && n > 1 {
		return "in every panel: " + texts[0]
	}
	parts := make([]string, len(texts))
	for i, t := range texts {
		parts[i] = strings.Join(metrics[t], ", ") + ": " + t
	}
	return strings.Join(parts, "; ")
}
