package results

// The table checker behind TestREADMETables, and its tests on a fixture: it reads the pipe
// tables of a Markdown document (tableparse_test.go), the declaration above each, and checks
// every number of a table's body against the files the declaration names
// (tablesource_test.go). The scheme is described in TestREADMETables's doc comment and in
// results/README.md, "How the tables are checked".

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tableReport is what checking one table found.
type tableReport struct {
	errs    []string
	checked int    // numbers checked against the sources
	skipped int    // settings, literature figures and estimates
	mode    string // how it was checked, for the log: "strict", "loose (bag)", "not checked: REASON", …
}

// checker checks the tables of documents against files under root, loading each file once.
type checker struct {
	root  string
	cache map[string]*source
}

// newChecker returns a checker of tables whose declared files are relative to root.
func newChecker(root string) *checker { return &checker{root: root, cache: map[string]*source{}} }

// source returns the declared file rel, loading it on first use.
func (c *checker) source(rel string) (*source, error) {
	if s, ok := c.cache[rel]; ok {
		return s, nil
	}
	s, err := loadSource(c.root, rel)
	if err != nil {
		return nil, err
	}
	c.cache[rel] = s
	return s, nil
}

// howToDeclare ends the message for an undeclared table.
const howToDeclare = `put a declaration on the line right above it: ` +
	`<!-- table: results/paper/RUN/results.json; columns: 2=accuracy*100, 3=gap_pp --> naming the files ` +
	`its numbers come from and how each column derives from them (or "; bag" to look each number up ` +
	`among all their values), or <!-- table: none (why its numbers are not results) -->; ` +
	`results/README.md, "How the tables are checked", has the syntax`

// check checks one table.
func (c *checker) check(t docTable) tableReport {
	var rep tableReport
	at := func(line int) string { return fmt.Sprintf("%s:%d", t.file, line) }
	count := 0
	for _, row := range t.body {
		for _, cell := range row {
			count += len(numbers(cell.text))
		}
	}
	if t.decl == "" {
		if count > 0 {
			rep.errs = append(rep.errs, fmt.Sprintf("%s: a table with numbers and no declaration; %s", at(t.line), howToDeclare))
		}
		rep.mode = "undeclared"
		return rep
	}
	d, err := parseDecl(t.decl)
	if err != nil {
		rep.errs = append(rep.errs, fmt.Sprintf("%s: table declaration: %v", at(t.declLine), err))
		return rep
	}
	if d.none != "" {
		rep.mode, rep.skipped = "not checked: "+d.none, count
		return rep
	}
	var srcs []*source
	for _, rel := range d.sources {
		s, err := c.source(rel)
		if err != nil {
			rep.errs = append(rep.errs, fmt.Sprintf("%s: %v", at(t.declLine), err))
			continue
		}
		srcs = append(srcs, s)
	}
	if len(rep.errs) > 0 {
		return rep
	}
	if errs := validate(t, d, srcs); len(errs) > 0 {
		for _, e := range errs {
			rep.errs = append(rep.errs, fmt.Sprintf("%s: table declaration: %s", at(t.declLine), e))
		}
		return rep
	}
	var units []*unit
	for _, s := range srcs {
		units = append(units, s.units...)
	}
	bags := map[string][]bagValue{} // by the sources they draw on
	bagOf := func(row int) ([]bagValue, string) {
		sub, names := srcs, d.sources
		if is, ok := d.rowSrc[row]; ok {
			sub, names = nil, nil
			for _, i := range is {
				sub, names = append(sub, srcs[i-1]), append(names, d.sources[i-1])
			}
		}
		key := strings.Join(names, ", ")
		if _, ok := bags[key]; !ok {
			bags[key] = bag(sub, d.bagQ)
		}
		return bags[key], key
	}
	strict, loose := false, false
	for _, line := range lines(t, d) {
		var vals []mapped
		for _, cell := range line {
			ns := numbers(cell.text)
			where := fmt.Sprintf("column %d %q", cell.col, cell.colHeader)
			sp, ok := d.cols[cell.col]
			if d.rows != nil {
				where = fmt.Sprintf("row %d, column %d %q", cell.row, cell.col, cell.colHeader)
				sp, ok = d.rows[cell.row]
			}
			switch {
			case ok && sp.whole != "":
				rep.skipped += len(ns)
			case ok:
				k := 0 // numbers derived so far
				for _, n := range ns {
					if n.approx || n.setting {
						rep.skipped++
						continue
					}
					if k >= len(sp.items) && !sp.repeat {
						rep.errs = append(rep.errs, fmt.Sprintf("%s: %s (%s) has more numbers than its declaration %q derives", at(cell.line), n.text, where, sp.text))
						continue
					}
					it, round := sp.items[k%len(sp.items)], ""
					if sp.repeat {
						round = fmt.Sprintf("%d:%d", cell.col, k/len(sp.items))
					}
					k++
					if it.skip != "" {
						rep.skipped++
						continue
					}
					vals = append(vals, mapped{cell: cell, n: n, it: it, where: where, round: round})
				}
			case d.bag:
				for _, n := range ns {
					if n.approx || n.setting {
						rep.skipped++
						continue
					}
					rep.checked++
					loose = true
					if b, from := bagOf(cell.row); !inBag(n, b) {
						rep.errs = append(rep.errs, fmt.Sprintf("%s: %s (%s) is no value derivable from %s at the printed precision; %s",
							at(cell.line), n.text, where, from, nearestInBag(n, b)))
					}
				}
			case len(ns) > 0:
				rep.errs = append(rep.errs, fmt.Sprintf("%s: %s (%s) has no derivation: declare it (N=QUANTITY, N=setting or N=literature) or add \"; bag\"",
					at(cell.line), ns[0].text, where))
			}
		}
		strict = strict || len(vals) > 0
		rep.checked += len(vals)
		rep.errs = append(rep.errs, checkLine(t, d, srcs, units, vals)...)
	}
	switch {
	case strict && loose:
		rep.mode = "strict and loose (bag)"
	case strict:
		rep.mode = "strict"
	case loose:
		rep.mode = "loose (bag)"
	default:
		rep.mode = "nothing to check"
	}
	return rep
}

// validate checks a declaration against its table and sources: every quantity names something
// in the sources, a Markdown source serves only the bag, and every column or row exists.
func validate(t docTable, d tableDecl, srcs []*source) []string {
	var errs []string
	known := func(q qalt) bool {
		for _, s := range srcs {
			for _, name := range s.names {
				if ok, _ := path.Match(q.name, name); ok {
					return true
				}
			}
		}
		return false
	}
	for _, specs := range []map[int]colSpec{d.cols, d.rows} {
		for n, sp := range specs {
			for _, it := range sp.items {
				for _, q := range it.alts {
					if !known(q) {
						errs = append(errs, fmt.Sprintf("%d=%s: %s is in none of %s", n, sp.text, q.name, strings.Join(d.sources, ", ")))
					}
				}
				scope := srcs
				if it.src > 0 {
					scope = srcs[it.src-1 : it.src]
				}
				if len(it.alts) > 0 && !slices.ContainsFunc(scope, func(s *source) bool { return !s.md }) {
					errs = append(errs, fmt.Sprintf("%d=%s: a Markdown source only serves a bag", n, sp.text))
				}
			}
		}
	}
	for _, q := range d.bagQ {
		if !q.count && !known(q) {
			errs = append(errs, fmt.Sprintf("bag: %s is in none of %s", q.name, strings.Join(d.sources, ", ")))
		}
	}
	for n := range d.cols {
		if n > len(t.header) {
			errs = append(errs, fmt.Sprintf("column %d, but the table has %d", n, len(t.header)))
		}
	}
	for n := range d.rows {
		if n > len(t.body) {
			errs = append(errs, fmt.Sprintf("row %d, but the table has %d", n, len(t.body)))
		}
	}
	slices.Sort(errs)
	return errs
}

// lines returns the cells to check together: the body rows, or in a transposed table (rows:)
// its columns from the second on; the first holds the row labels and, like the header, is not
// checked.
func lines(t docTable, d tableDecl) [][]docCell {
	if d.rows == nil {
		return t.body
	}
	var out [][]docCell
	for col := 2; col <= len(t.header); col++ {
		var line []docCell
		for _, row := range t.body {
			if col <= len(row) {
				line = append(line, row[col-1])
			}
		}
		out = append(out, line)
	}
	return out
}

// mapped is a number and the derivation its column declares.
type mapped struct {
	cell  docCell
	n     number
	it    item
	where string
	round string // a round of a repeating spec, which is checked as a line of its own; "" for none
}

// checkLine checks the declared numbers of one table row (one column of a transposed table):
// each must come from its quantity, and all of them from one unit per source — one row, or
// one group over seeds — so that a row cannot borrow a number from another configuration.
// A number scoped to a source (@N) comes from that source's unit; the others, from one of
// those units (or from any unit of a source no number is scoped to). Each round of a
// repeating spec is held together the same way, apart from the rest of the row. Counts are
// file-level and checked alone.
func checkLine(t docTable, d tableDecl, srcs []*source, units []*unit, vals []mapped) []string {
	var errs []string
	at := func(line int) string { return fmt.Sprintf("%s:%d", t.file, line) }
	inScope := func(v mapped, u *unit) bool { return v.it.src == 0 || u.from == srcs[v.it.src-1] }
	rounds := map[string][]mapped{}
	var order []string
	for _, v := range vals {
		if v.it.alts[0].count {
			ok := false
			for i, s := range srcs {
				if v.it.src != 0 && i != v.it.src-1 {
					continue
				}
				for _, q := range v.it.alts {
					ok = ok || gives(v.n, Stat{N: 1, Mean: countOf(s, q)})
				}
			}
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: %s (%s: %s) is not that count of %s", at(v.cell.line), v.n.text, v.where, altsText(v.it), strings.Join(d.sources, ", ")))
			}
			continue
		}
		found := false
		var scoped []*unit
		for _, u := range units {
			if inScope(v, u) {
				scoped = append(scoped, u)
				if _, ok := u.derives(v.n, v.it.alts); ok {
					found = true
				}
			}
		}
		if !found {
			errs = append(errs, fmt.Sprintf("%s: %s (%s: %s) is in no row or seed group of %s at the printed precision; %s",
				at(v.cell.line), v.n.text, v.where, altsText(v.it), scopeText(v, d), nearest(v.n, v.it.alts, scoped)))
			continue
		}
		if _, ok := rounds[v.round]; !ok {
			order = append(order, v.round)
		}
		rounds[v.round] = append(rounds[v.round], v)
	}
	if len(errs) > 0 {
		return errs
	}
	for _, r := range order {
		if e := oneUnit(at, d, srcs, units, rounds[r]); e != "" {
			errs = append(errs, e)
		}
	}
	return errs
}

// oneUnit checks that one unit per source gives all of vals (see checkLine) and explains
// the first failure; "" when they hold together.
func oneUnit(at func(int) string, d tableDecl, srcs []*source, units []*unit, vals []mapped) string {
	// Candidates per source: the units that give every number scoped to it.
	cands := make([][]*unit, len(srcs))
	for i := range srcs {
		var these []mapped
		for _, v := range vals {
			if v.it.src == i+1 {
				these = append(these, v)
			}
		}
		for _, u := range srcs[i].units {
			if derivesAll(u, these) {
				cands[i] = append(cands[i], u)
			}
		}
		if len(these) > 0 && len(cands[i]) == 0 {
			return noSingleUnit(at(these[0].cell.line), srcs[i].path, these, srcs[i].units)
		}
	}
	var unscoped []mapped
	for _, v := range vals {
		if v.it.src == 0 {
			unscoped = append(unscoped, v)
		}
	}
	if len(unscoped) == 0 {
		return ""
	}
	var pool []*unit
	for _, cs := range cands {
		pool = append(pool, cs...)
	}
	for _, u := range pool {
		if derivesAll(u, unscoped) {
			return ""
		}
	}
	return noSingleUnit(at(unscoped[0].cell.line), strings.Join(d.sources, ", "), unscoped, pool)
}

// derivesAll reports whether u gives every number of vals.
func derivesAll(u *unit, vals []mapped) bool {
	for _, v := range vals {
		if _, ok := u.derives(v.n, v.it.alts); !ok {
			return false
		}
	}
	return true
}

// noSingleUnit explains that no one unit gives all of vals, naming the unit that gives most.
func noSingleUnit(at, where string, vals []mapped, units []*unit) string {
	var best *unit
	var miss []mapped
	for _, u := range units {
		var m []mapped
		for _, v := range vals {
			if _, ok := u.derives(v.n, v.it.alts); !ok {
				m = append(m, v)
			}
		}
		if best == nil || len(m) < len(miss) {
			best, miss = u, m
		}
	}
	var all, missed []string
	for _, v := range vals {
		all = append(all, v.n.text)
	}
	for _, v := range miss {
		var have []string
		for _, q := range v.it.alts {
			for _, ns := range best.lookup(q) {
				have = append(have, nameOf(ns.name, q)+" = "+statText(ns.s))
			}
		}
		missed = append(missed, fmt.Sprintf("%s (%s: %s; it has %s)", v.n.text, v.where, altsText(v.it), strings.Join(have, ", ")))
	}
	return fmt.Sprintf("%s: no single row or seed group of %s gives all of this row's numbers (%s); the closest, %s, gives all but %s",
		at, where, strings.Join(all, ", "), best.desc, strings.Join(missed, "; "))
}

func altsText(it item) string {
	var s []string
	for _, q := range it.alts {
		s = append(s, q.String())
	}
	return strings.Join(s, "|")
}

func scopeText(v mapped, d tableDecl) string {
	if v.it.src > 0 {
		return d.sources[v.it.src-1]
	}
	return strings.Join(d.sources, ", ")
}

// checkFixture checks the tables of a document text against the fixture files under
// testdata/tables and returns the errors.
func checkFixture(t *testing.T, doc string) []string {
	t.Helper()
	tables, errs := parseDoc("fixture.md", doc)
	c := newChecker(".")
	for _, tb := range tables {
		errs = append(errs, c.check(tb).errs...)
	}
	return errs
}

// fixtureDoc reads testdata/tables/fixture.md.
func fixtureDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tables", "fixture.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTableCheckFixture(t *testing.T) {
	for _, e := range checkFixture(t, fixtureDoc(t)) {
		t.Error(e)
	}
}

// TestTableCheckFindsErrors changes the fixture the way prose goes wrong and checks that the
// checker says where and what.
func TestTableCheckFindsErrors(t *testing.T) {
	doc := fixtureDoc(t)
	for _, tc := range []struct {
		name, old, new string
		want           []string // substrings of one error
	}{
		{"last digit of an accuracy", "| 98.82 ± 0.08% |", "| 98.83 ± 0.08% |",
			[]string{"fixture.md:", "98.83 ± 0.08%", "accuracy*100", "testdata/tables/results.json", "nearest: accuracy*100 = 98.8"}},
		{"last digit of an s.d.", "−0.49 ± 0.09 pp", "−0.49 ± 0.08 pp",
			[]string{"−0.49 ± 0.08 pp", "gap_pp", "testdata/tables/results.json"}},
		{"a number in a bag", "at 11.1% edge FLOPs", "at 11.2% edge FLOPs",
			[]string{"11.2%", "no value derivable from testdata/tables/results.json", "nearest: 11.0785"}},
		{"a count", "| 99% | 3 |", "| 99% | 4 |", []string{"4 (column 2", "count(accuracy>=0.99)"}},
		{"a round of a repeating column from two rows", "98.82% at split 1, −0.49 pp;", "98.82% at split 1, −2.57 pp;",
			[]string{"no single row or seed group", "98.82%, −2.57 pp", "accuracy*100 = 96.7367"}},
		{"numbers swapped between rows", "| 0 (raw pixels) | 0.1% | 3,136 |", "| 0 (raw pixels) | 11.1% | 3,136 |",
			[]string{"no single row or seed group", "11.1%"}},
		{"a table without a declaration", "<!-- table: testdata/tables/results.json; columns: 1=split, 2=edge_flops_frac*100, 3=upload_bytes_per_sample, 4=accuracy*100, 5=gap_pp -->\n", "",
			[]string{"no declaration", "<!-- table:", "How the tables are checked"}},
		{"a missing file", "testdata/tables/results.json; columns: 1=literature; bag", "testdata/tables/nothing.json; columns: 1=literature; bag",
			[]string{"testdata/tables/nothing.json: no such file"}},
		{"an unknown quantity", "5=gap_pp", "5=gap_points", []string{"gap_points is in none of"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(doc, tc.old) {
				t.Fatalf("the fixture lacks %q", tc.old)
			}
			errs := checkFixture(t, strings.Replace(doc, tc.old, tc.new, 1))
			for _, e := range errs {
				ok := true
				for _, w := range tc.want {
					ok = ok && strings.Contains(e, w)
				}
				if ok {
					return
				}
			}
			t.Errorf("no error says all of %q; got %q", tc.want, errs)
		})
	}
}
