package results

// The sources of the table checker (see tablecheck_test.go): the files a table declares, the
// units its rows can come from, and the values a bag holds.

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// unit is what a row of a table can come from: one row of a source file, or a group of rows
// that differ only in seed (and cell), whose quantities are then means ± s.d. over the seeds.
type unit struct {
	from *source
	desc string
	q    map[string]Stat
}

// bagValue is one derivable value, for the bag check.
type bagValue struct {
	s    Stat
	kind string // "raw", "%", "pp", "×", "seeds", "settings" or "cells": what a printed suffix may match
	desc string
}

// source is one declared file, loaded.
type source struct {
	path   string
	md     bool       // a Markdown file: only its table numbers, for the bag
	units  []*unit    // rows, then groups over seeds
	rows   []*unit    // the rows alone, for counts
	names  []string   // every quantity name, sorted
	counts []bagValue // the numbers of rows and of DataMix configurations, for the bag
	mdBag  []bagValue // a Markdown file's numbers
}

// loadSource reads a declared file: results.json or results.csv as Rows (ReadJSON, ReadCSV),
// any other CSV by its header, and a Markdown file as the numbers of its tables.
func loadSource(root, rel string) (*source, error) {
	p := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("declared source %s: no such file", rel)
		}
		return nil, err
	}
	src := &source{path: rel}
	switch {
	case strings.HasSuffix(rel, ".md"):
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		src.md = true
		tables, _ := parseDoc(rel, string(b))
		for _, t := range tables {
			for _, row := range t.body {
				for _, c := range row {
					for _, n := range numbers(c.text) {
						src.mdBag = append(src.mdBag, bagValue{s: Stat{N: 1, Mean: n.v}, kind: "raw",
							desc: fmt.Sprintf("%s in %s:%d", n.text, rel, c.line)})
					}
				}
			}
		}
		return src, nil
	case strings.HasSuffix(rel, ".json"):
		rows, err := ReadJSON(p)
		if err != nil {
			return nil, err
		}
		src.fromRows(rows)
	case strings.HasSuffix(rel, ".csv"):
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(string(b), Columns()[0]+",") {
			if err := src.fromCSV(b); err != nil {
				return nil, err
			}
			break
		}
		rows, err := ReadCSV(p)
		if err != nil {
			return nil, err
		}
		src.fromRows(rows)
	default:
		return nil, fmt.Errorf("declared source %s: want a .json, .csv or .md file", rel)
	}
	seen := map[string]bool{}
	for _, u := range src.units {
		for k := range u.q {
			if !seen[k] {
				seen[k] = true
				src.names = append(src.names, k)
			}
		}
	}
	slices.Sort(src.names)
	return src, nil
}

// rowFields are the numeric fixed columns of a Row, by their CSV names.
var rowFields = []struct {
	name string
	get  func(Row) float64
}{
	{"split", func(r Row) float64 { return float64(r.Split) }},
	{"group_size", func(r Row) float64 { return float64(r.GroupSize) }},
	{"alpha", func(r Row) float64 { return r.Alpha }},
	{"shuffle_pool", func(r Row) float64 { return float64(r.ShufflePool) }},
	{"seed", func(r Row) float64 { return float64(r.Seed) }},
	{"train_limit", func(r Row) float64 { return float64(r.TrainLimit) }},
	{"test_limit", func(r Row) float64 { return float64(r.TestLimit) }},
	{"epochs", func(r Row) float64 { return float64(r.Epochs) }},
	{"batch_size", func(r Row) float64 { return float64(r.BatchSize) }},
	{"lr", func(r Row) float64 { return r.LR }},
	{"accuracy", func(r Row) float64 { return r.Accuracy }},
	{"train_loss", func(r Row) float64 { return r.TrainLoss }},
	{"train_accuracy", func(r Row) float64 { return r.TrainAccuracy }},
	{"edge_flops", func(r Row) float64 { return float64(r.EdgeFLOPs) }},
	{"cloud_flops", func(r Row) float64 { return float64(r.CloudFLOPs) }},
	{"edge_flops_frac", func(r Row) float64 { return r.EdgeFLOPsFrac }},
	{"upload_bytes_per_sample", func(r Row) float64 { return float64(r.UploadBytesPerSample) }},
	{"download_bytes_per_sample", func(r Row) float64 { return float64(r.DownloadBytesPerSample) }},
	{"train_seconds", func(r Row) float64 { return r.TrainSeconds }},
	{"eval_seconds", func(r Row) float64 { return r.EvalSeconds }},
}

// fromRows makes the units of a results file: a unit per row (its fields, metrics and gap_pp,
// the accuracy gap in percentage points to the baseline of the same seed, as summary.md
// computes it) and one per group of at least two rows that differ only in seed (GroupBySeeds),
// each quantity summarised over the seeds (Summarize), with seeds the group's size.
func (src *source) fromRows(rows []Row) {
	base := baselineAccuracies(rows)
	getters := map[string]func(Row) float64{}
	for _, f := range rowFields {
		getters[f.name] = f.get
	}
	for _, m := range MetricNames(rows) {
		getters[m] = Metric(m)
	}
	getters["gap_pp"] = func(r Row) float64 {
		if acc, ok := base[keyOf(r)]; ok && !r.IsBaseline() {
			return 100 * (r.Accuracy - acc)
		}
		return math.NaN()
	}
	for _, r := range rows {
		u := &unit{from: src, desc: "cell " + r.Cell, q: map[string]Stat{"seeds": {N: 1, Mean: 1}}}
		for name, get := range getters {
			if v := get(r); !math.IsNaN(v) {
				u.q[name] = Stat{N: 1, Mean: v}
			}
		}
		src.units = append(src.units, u)
		src.rows = append(src.rows, u)
	}
	groups := GroupBySeeds(rows)
	datamix := 0
	for _, g := range groups {
		if !g.Row.IsBaseline() {
			datamix++
		}
		if len(g.Rows) < 2 {
			continue
		}
		u := &unit{from: src, q: map[string]Stat{"seeds": {N: 1, Mean: float64(len(g.Rows))}}}
		var cells []string
		for _, r := range g.Rows {
			cells = append(cells, r.Cell)
		}
		u.desc = fmt.Sprintf("seeds %v (cells %s)", g.Seeds, strings.Join(cells, ", "))
		for name, get := range getters {
			if s := g.Stat(get); s.N > 0 {
				u.q[name] = s
			}
		}
		src.units = append(src.units, u)
	}
	src.counts = []bagValue{
		{s: Stat{N: 1, Mean: float64(len(rows))}, kind: "cells", desc: "the number of rows (cells) of " + src.path},
		{s: Stat{N: 1, Mean: float64(datamix)}, kind: "settings", desc: "the number of DataMix configurations (groups over seeds) of " + src.path},
	}
}

// fromCSV makes the units of a CSV file of another layout (a defence matrix, a benchmark's
// table): a unit per row, its numeric columns as quantities; and, when it has a seed column,
// one per group of rows that agree on every column whose values are all text or whole numbers
// (the settings), each numeric column summarised over the group.
func (src *source) fromCSV(b []byte) error {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", src.path, err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s: empty", src.path)
	}
	header := recs[0]
	numeric := make([]bool, len(header))   // every non-empty value parses as a number
	setting := make([]bool, len(header))   // text, or numbers that are all whole
	vals := make([][]float64, len(recs)-1) // NaN where empty or text
	for c := range header {
		numeric[c], setting[c] = true, true
	}
	for i, rec := range recs[1:] {
		vals[i] = make([]float64, len(header))
		for c := range header {
			vals[i][c] = math.NaN()
			if c >= len(rec) || rec[c] == "" {
				continue
			}
			v, err := strconv.ParseFloat(rec[c], 64)
			if err != nil {
				numeric[c] = false
				continue
			}
			vals[i][c] = v
			if v != math.Trunc(v) {
				setting[c] = false
			}
		}
	}
	seedCol := slices.Index(header, "seed")
	groups := map[string][]int{}
	var order []string
	for i, rec := range recs[1:] {
		u := &unit{from: src, desc: fmt.Sprintf("row %d", i+2), q: map[string]Stat{}}
		var key strings.Builder
		for c, name := range header {
			if numeric[c] && !math.IsNaN(vals[i][c]) {
				u.q[name] = Stat{N: 1, Mean: vals[i][c]}
			}
			if c != seedCol && (setting[c] || !numeric[c]) && c < len(rec) {
				key.WriteString(rec[c] + "\x00")
			}
		}
		src.units = append(src.units, u)
		src.rows = append(src.rows, u)
		if _, ok := groups[key.String()]; !ok {
			order = append(order, key.String())
		}
		groups[key.String()] = append(groups[key.String()], i)
	}
	src.counts = []bagValue{{s: Stat{N: 1, Mean: float64(len(recs) - 1)}, kind: "cells", desc: "the number of rows of " + src.path}}
	if seedCol < 0 {
		return nil
	}
	for _, k := range order {
		idx := groups[k]
		if len(idx) < 2 {
			continue
		}
		var lines []string
		for _, i := range idx {
			lines = append(lines, strconv.Itoa(i+2))
		}
		u := &unit{from: src, desc: "the mean over seeds of rows " + strings.Join(lines, ", "), q: map[string]Stat{"seeds": {N: 1, Mean: float64(len(idx))}}}
		for c, name := range header {
			if !numeric[c] || c == seedCol {
				continue
			}
			xs := make([]float64, len(idx))
			for j, i := range idx {
				xs[j] = vals[i][c]
			}
			if s := Summarize(xs); s.N > 0 {
				u.q[name] = s
			}
		}
		src.units = append(src.units, u)
	}
	return nil
}

// lookup returns the quantities of u that the name (a glob) names, ×100 for a percentage.
func (u *unit) lookup(q qalt) []namedStat {
	var out []namedStat
	if q.mean && u.q["seeds"].Mean < 2 {
		return nil
	}
	add := func(name string, s Stat) {
		if q.pct {
			s.Mean, s.SD = 100*s.Mean, 100*s.SD
		}
		out = append(out, namedStat{name, s})
	}
	if !strings.Contains(q.name, "*") {
		if s, ok := u.q[q.name]; ok {
			add(q.name, s)
		}
		return out
	}
	for _, name := range u.from.names { // sorted: messages name the same value every run
		if ok, _ := path.Match(q.name, name); ok {
			if s, ok := u.q[name]; ok {
				add(name, s)
			}
		}
	}
	return out
}

// nameOf writes a quantity q found under name (q's glob expanded) for a message.
func nameOf(name string, q qalt) string {
	if q.pct {
		return name + "*100"
	}
	return name
}

// namedStat is a quantity of a unit under its name.
type namedStat struct {
	name string
	s    Stat
}

// near reports whether the printed x, with dec digits after the point, is v rounded: within
// half a unit of its last digit. 1e-9 relative: float64 round-off in ×100 and in means.
func near(x float64, dec int, v float64) bool {
	return math.Abs(x-v) <= 0.5*math.Pow(10, -float64(dec))+1e-9*math.Max(1, math.Abs(v))
}

// gives reports whether s gives the printed number n: its mean, and its s.d. over at least
// two seeds when n has a ± part.
func gives(n number, s Stat) bool {
	if !near(n.v, n.dec, s.Mean) {
		return false
	}
	return !n.hasSD || s.N >= 2 && near(n.sd, n.sdDec, s.SD)
}

// derives reports whether unit u gives n through one of the quantities alts, and the first
// quantity that does.
func (u *unit) derives(n number, alts []qalt) (string, bool) {
	for _, q := range alts {
		for _, ns := range u.lookup(q) {
			if gives(n, ns.s) {
				return ns.name, true
			}
		}
	}
	return "", false
}

// nearest returns a description of the value closest to n among the quantities alts of units.
func nearest(n number, alts []qalt, units []*unit) string {
	best, desc := math.Inf(1), ""
	for _, u := range units {
		for _, q := range alts {
			for _, ns := range u.lookup(q) {
				if d := math.Abs(ns.s.Mean - n.v); d < best {
					best = d
					desc = fmt.Sprintf("%s = %s of %s in %s", nameOf(ns.name, q), statText(ns.s), u.desc, u.from.path)
				}
			}
		}
	}
	if desc == "" {
		return "none of them has that quantity"
	}
	return "nearest: " + desc
}

// statText prints a Stat for a message.
func statText(s Stat) string {
	if s.N >= 2 {
		return fmt.Sprintf("%.6g ± %.6g (%d seeds)", s.Mean, s.SD, s.N)
	}
	return fmt.Sprintf("%.6g", s.Mean)
}

// bag returns every value derivable from the sources, or, when qs is not empty, the values of
// those quantities only: each quantity of each unit (kind raw), the same ×100 (kind %), gaps
// in percentage points (kind pp: gap_pp and columns named *_pp), X_acc/X_chance (kind ×), and
// the numbers of rows, configurations and seeds; a Markdown source gives its tables' numbers.
func bag(srcs []*source, qs []qalt) []bagValue {
	var out []bagValue
	kindOf := func(name string, pct bool) string {
		switch {
		case pct:
			return "%"
		case name == "gap_pp" || strings.HasSuffix(name, "_pp"):
			return "pp"
		case name == "seeds":
			return "seeds"
		}
		return "raw"
	}
	for _, src := range srcs {
		out = append(out, src.mdBag...)
		if len(qs) > 0 {
			for _, q := range qs {
				if q.count {
					c := countOf(src, q)
					out = append(out, bagValue{s: Stat{N: 1, Mean: c}, kind: "raw", desc: q.String() + " of " + src.path})
					continue
				}
				for _, u := range src.units {
					for _, ns := range u.lookup(q) {
						out = append(out, bagValue{s: ns.s, kind: kindOf(ns.name, q.pct), desc: fmt.Sprintf("%s of %s in %s", q, u.desc, src.path)})
					}
				}
			}
			continue
		}
		out = append(out, src.counts...)
		for _, u := range src.units {
			for _, name := range src.names {
				s, ok := u.q[name]
				if !ok {
					continue
				}
				d := fmt.Sprintf("%s of %s in %s", name, u.desc, src.path)
				out = append(out, bagValue{s: s, kind: kindOf(name, false), desc: d})
				if kindOf(name, false) == "raw" {
					out = append(out, bagValue{s: Stat{N: s.N, Mean: 100 * s.Mean, SD: 100 * s.SD}, kind: "%", desc: name + "*100" + d[len(name):]})
				}
				if stem, ok := strings.CutSuffix(name, "_acc"); ok {
					if c, ok := u.q[stem+"_chance"]; ok && c.Mean != 0 {
						out = append(out, bagValue{s: Stat{N: 1, Mean: s.Mean / c.Mean}, kind: "×",
							desc: fmt.Sprintf("%s/%s_chance of %s in %s", name, stem, u.desc, src.path)})
					}
				}
			}
		}
	}
	return out
}

// countOf is a file-level quantity: the number of rows of src whose q.name compares to q.x.
func countOf(src *source, q qalt) float64 {
	c := 0
	for _, u := range src.rows {
		for _, ns := range u.lookup(qalt{name: q.name}) {
			if q.op == ">=" && ns.s.Mean >= q.x || q.op == "<=" && ns.s.Mean <= q.x {
				c++
				break
			}
		}
	}
	return float64(c)
}

// inBag reports whether n is among the values of b whose kind its suffix allows: a "%" only
// among percentages, "pp" among gaps, "×" among ratios, "N seeds" among the numbers of seeds,
// "N settings" among the numbers of DataMix configurations, "N cells" among the numbers of
// rows; a number without one among all.
func inBag(n number, b []bagValue) bool {
	for _, v := range b {
		if (n.suffix == "" || v.kind == n.suffix) && gives(n, v.s) {
			return true
		}
	}
	return false
}

// nearestInBag describes the value of b closest to n that its suffix allows.
func nearestInBag(n number, b []bagValue) string {
	best, desc := math.Inf(1), ""
	for _, v := range b {
		if n.suffix != "" && v.kind != n.suffix {
			continue
		}
		if d := math.Abs(v.s.Mean - n.v); d < best {
			best, desc = d, statText(v.s)+", "+v.desc
		}
	}
	if desc == "" {
		return "no value of that kind"
	}
	return "nearest: " + desc
}
