package results

// Parsing for the table checker (see tablecheck_test.go): the pipe tables of a Markdown
// document, the numbers printed in their cells, and the declarations above them.

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// docTable is one Markdown pipe table of a document and the declaration right above it.
type docTable struct {
	file     string      // the document, as messages name it
	line     int         // line of the header row, 1-based
	header   []string    // header cells: never checked
	body     [][]docCell // body rows, after the delimiter row
	decl     string      // the declaration (the text after "table:"); "" without one
	declLine int
}

// docCell is one body cell: its text and where it is.
type docCell struct {
	text      string
	line      int // line in the document, 1-based
	row, col  int // body row and column, 1-based
	colHeader string
}

// declRE matches a declaration: a one-line HTML comment "<!-- table: … -->".
var declRE = regexp.MustCompile(`^<!--\s*table:\s*(.*?)\s*-->$`)

// delimRE matches the delimiter row under a table's header, e.g. "|---|--:|".
var delimRE = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)

// parseDoc returns the pipe tables of a Markdown document (outside fenced code blocks), each
// with the declaration on the nearest non-blank line above it, and an error for each
// declaration that is malformed or stands above no table.
func parseDoc(name, text string) ([]docTable, []string) {
	lines := strings.Split(text, "\n")
	var tables []docTable
	var errs []string
	used := map[int]bool{}    // lines of declarations that belong to a table
	declared := map[int]int{} // line index of a declaration → its line number
	fence := false
	for i := 0; i < len(lines); i++ {
		s := strings.TrimSpace(lines[i])
		if strings.HasPrefix(s, "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if strings.HasPrefix(s, "<!--") && strings.Contains(s, "table:") {
			if !declRE.MatchString(s) {
				errs = append(errs, fmt.Sprintf("%s:%d: a table declaration must be one line, <!-- table: … -->", name, i+1))
				continue
			}
			declared[i] = i + 1
			continue
		}
		if !strings.HasPrefix(s, "|") || i+1 >= len(lines) || !delimRE.MatchString(strings.TrimSpace(lines[i+1])) {
			continue
		}
		t := docTable{file: name, line: i + 1, header: splitCells(s)}
		j := i - 1
		for j >= 0 && strings.TrimSpace(lines[j]) == "" {
			j--
		}
		if j >= 0 {
			if m := declRE.FindStringSubmatch(strings.TrimSpace(lines[j])); m != nil {
				t.decl, t.declLine, used[j] = m[1], j+1, true
			}
		}
		k := i + 2
		for ; k < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[k]), "|"); k++ {
			var row []docCell
			for c, text := range splitCells(strings.TrimSpace(lines[k])) {
				h := ""
				if c < len(t.header) {
					h = t.header[c]
				}
				row = append(row, docCell{text: text, line: k + 1, row: len(t.body) + 1, col: c + 1, colHeader: h})
			}
			t.body = append(t.body, row)
		}
		tables = append(tables, t)
		i = k - 1
	}
	for j, line := range declared {
		if !used[j] {
			errs = append(errs, fmt.Sprintf("%s:%d: a table declaration with no table right under it", name, line))
		}
	}
	slices.Sort(errs)
	return tables, errs
}

// splitCells splits a table row into its trimmed cells; "\|" is a literal bar.
func splitCells(line string) []string {
	s := strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '|':
			b.WriteByte('|')
			i++
		case s[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

// number is one number printed in a cell, e.g. "−0.49 ± 0.09 pp".
type number struct {
	text     string  // as printed, for messages
	v        float64 // the value
	dec      int     // digits after the decimal point
	sd       float64 // the ± part, if hasSD
	sdDec    int
	hasSD    bool
	suffix   string // "%", "pp", "×", a count word ("seeds", "settings", "cells") or "": what it may match in a bag
	approx   bool   // printed after "≈": an estimate, not checked
	setting  bool   // a setting by the phrase rule (see markSettings), not checked
	start    int    // byte offsets in the cleaned cell text
	end      int
	unsigned bool // printed without a sign
	integer  bool // printed without a decimal point
}

// codeRE matches an inline code span: names, not numbers.
var codeRE = regexp.MustCompile("`[^`]*`")

// cleanCell removes what holds no number to check: inline code and bold markers.
func cleanCell(s string) string {
	return strings.ReplaceAll(codeRE.ReplaceAllString(s, " "), "**", "")
}

// numbers returns the numbers of a cell, in order. A number is a run of ASCII digits, with
// optional thousands groups ("12,544") and decimals, an optional sign just before it (− or -)
// and an optional "± sd" after it; digits glued to a letter or hyphenated to a word
// ("ResNet-8", "fc128", "8kHz") are part of a name, not a number.
func numbers(cell string) []number {
	s := cleanCell(cell)
	var out []number
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			continue
		}
		start := i
		prev, pw := utf8.DecodeLastRuneInString(s[:start])
		neg := false
		if prev == '−' || prev == '-' || prev == '+' {
			before, _ := utf8.DecodeLastRuneInString(s[:start-pw])
			if isWordRune(before) {
				i = skipWord(s, i)
				continue
			}
			neg = prev != '+'
			start -= pw
		} else if isWordRune(prev) || prev == '.' {
			i = skipWord(s, i)
			continue
		}
		v, dec, end, ok := scanNumber(s, i)
		if !ok {
			i = skipWord(s, i)
			continue
		}
		if neg {
			v = -v
		}
		n := number{v: v, dec: dec, start: start, end: end, unsigned: start == i, integer: dec == 0 && !strings.Contains(s[i:end], ".")}
		j := skipSpaces(s, end)
		if strings.HasPrefix(s[j:], "±") {
			k := skipSpaces(s, j+len("±"))
			if sd, sdDec, e, ok := scanNumber(s, k); ok {
				n.sd, n.sdDec, n.hasSD, n.end = sd, sdDec, true, e
			}
		}
		j = skipSpaces(s, n.end)
		for _, suf := range []string{"%", "pp", "×"} {
			if strings.HasPrefix(s[j:], suf) {
				r, _ := utf8.DecodeRuneInString(s[j+len(suf):])
				if suf != "pp" || !unicode.IsLetter(r) {
					n.suffix = suf
					break
				}
			}
		}
		n.text = strings.TrimSpace(s[start:n.end])
		if n.suffix != "" {
			n.text += map[string]string{"%": "%", "pp": " pp", "×": "×"}[n.suffix]
		}
		n.approx = strings.HasSuffix(strings.TrimSpace(s[:start]), "≈")
		out = append(out, n)
		i = n.end
	}
	markSettings(s, out)
	return out
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// isWordRune reports whether r belongs to a word or name: a letter, a digit or an underscore.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// skipWord returns the end of the word or name at i.
func skipWord(s string, i int) int {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) && r != '.' && r != ',' && r != '-' {
			break
		}
		if (r == '.' || r == ',') && (i+1 >= len(s) || !isDigit(s[i+1])) {
			break
		}
		i += w
	}
	return i
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// thousandsRE and plainRE are the two forms of an unsigned number.
var (
	thousandsRE = regexp.MustCompile(`^\d{1,3}(,\d{3})+(\.\d+)?`)
	plainRE     = regexp.MustCompile(`^\d+(\.\d+)?`)
)

// scanNumber reads an unsigned number at i: its value, its digits after the point and its end.
// It fails when a letter is glued to the number's end (a name such as "3D").
func scanNumber(s string, i int) (v float64, dec, end int, ok bool) {
	m := thousandsRE.FindString(s[i:])
	if m == "" {
		m = plainRE.FindString(s[i:])
	}
	if m == "" {
		return 0, 0, i, false
	}
	end = i + len(m)
	if r, _ := utf8.DecodeRuneInString(s[end:]); unicode.IsLetter(r) || r == '_' {
		return 0, 0, i, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m, ",", ""), 64)
	if err != nil {
		return 0, 0, i, false
	}
	if p := strings.IndexByte(m, '.'); p >= 0 {
		dec = len(m) - p - 1
	}
	return v, dec, end, true
}

// settingWords are the words after which a number is a setting, not a result ("k = 2",
// "split 1", "seeds 1–3", "SSIM ≥ 0.30"); countWords, after a number, make it a count that
// is checked ("3 seeds", "111 settings").
var (
	settingWords = []string{"k =", "k ≥", "k >", "k ∈ {", "split", "splits", "seed", "seeds", "SSIM ≥", "SSIM <", "offset", "mask", "σ =", "weight"}
	listWords    = []string{",", "–", "…", "/", "and", "or", "to"}
	rangeWords   = []string{"–", "…", "to"}
	countWords   = []string{"seeds", "settings", "cells"}
)

// markSettings applies the phrase rule to the numbers of a cleaned cell s: a number right after
// one of settingWords is a setting, and so is an unsigned whole number that continues a list
// or range of settings ("k = 1, 2 and 4", "splits 1–2", "k = 3…8"), unless a count word follows
// it, which makes it a count of that kind ("3 seeds"); a number right before "epochs" or
// "bits" is a setting too. The first number of a range takes the unit of the second ("−1.4 to −1.6 pp",
// "39–40%").
func markSettings(s string, ns []number) {
	for i := len(ns) - 2; i >= 0; i-- {
		if ns[i].suffix == "" && ns[i+1].suffix != "" && !ns[i].hasSD &&
			slices.Contains(rangeWords, strings.TrimSpace(s[ns[i].end:ns[i+1].start])) {
			ns[i].suffix = ns[i+1].suffix
		}
	}
	for i := range ns {
		n := &ns[i]
		before := strings.TrimSpace(s[:n.start])
		for _, w := range settingWords {
			if strings.HasSuffix(before, w) {
				r, _ := utf8.DecodeLastRuneInString(strings.TrimSuffix(before, w))
				if !isWordRune(r) {
					n.setting = true
				}
			}
		}
		after := strings.TrimSpace(s[n.end:])
		if i > 0 && ns[i-1].setting && n.unsigned && n.integer && n.suffix == "" {
			between := strings.TrimSpace(s[ns[i-1].end:n.start])
			if slices.Contains(listWords, between) {
				n.setting = true
			}
		}
		for _, w := range countWords {
			if strings.HasPrefix(after, w) && n.integer && n.suffix == "" {
				n.setting, n.suffix = false, w
			}
		}
		if strings.HasPrefix(after, "epochs") || strings.HasPrefix(after, "bits") {
			n.setting = true
		}
	}
}

// tableDecl is a parsed declaration.
type tableDecl struct {
	none    string          // the reason, for a table of no results
	sources []string        // declared files, relative to the repository root
	cols    map[int]colSpec // by 1-based column
	rows    map[int]colSpec // by 1-based body row, for a transposed table
	bag     bool            // numbers of undeclared columns are looked up among all derivable values
	bagQ    []qalt          // restricts the bag to these quantities; empty: every quantity
	rowSrc  map[int][]int   // the sources (1-based) of the bag of a body row; others: all
}

// colSpec is the derivation of a column (or of a row, in a transposed table).
type colSpec struct {
	text   string
	whole  string // "setting" or "literature": every number of the cell, unchecked
	items  []item // one per number of the cell, in order
	repeat bool   // the items repeat over the cell's numbers ("..."), each round from one unit
}

// item is the derivation of one number.
type item struct {
	skip string // "setting" or "literature": not checked
	alts []qalt // any one of these gives the number
	src  int    // 1-based index of the one source it comes from (@N); 0 for any
}

// qalt is one quantity: a field, metric or column (a glob when it holds *), ×100, or a count of
// the rows of a file that satisfy a comparison.
type qalt struct {
	name  string
	pct   bool
	mean  bool // only groups over at least two seeds: mean(NAME)
	count bool
	op    string // ">=" or "<="
	x     float64
}

// String writes q as a declaration does.
func (q qalt) String() string {
	if q.count {
		return fmt.Sprintf("count(%s%s%s)", q.name, q.op, formatFloat(q.x))
	}
	s := q.name
	if q.mean {
		s = "mean(" + s + ")"
	}
	if q.pct {
		s += "*100"
	}
	return s
}

// countRE matches count(NAME>=X) and count(NAME<=X); nameRE a field, metric or column name,
// or a glob of them.
var (
	countRE = regexp.MustCompile(`^count\(([A-Za-z0-9_*]+)(>=|<=)(-?[0-9.]+)\)$`)
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9_*]+$`)
)

// parseDecl parses the text of a declaration (after "table:").
func parseDecl(s string) (tableDecl, error) {
	var d tableDecl
	if rest, ok := strings.CutPrefix(s, "none"); ok {
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") || len(rest) < 3 {
			return d, errors.New(`"none" needs its reason in parentheses: none (settings, not results)`)
		}
		d.none = rest[1 : len(rest)-1]
		return d, nil
	}
	parts := strings.Split(s, ";")
	for _, src := range strings.Split(parts[0], ",") {
		if src = strings.TrimSpace(src); src != "" {
			d.sources = append(d.sources, src)
		}
	}
	if len(d.sources) == 0 {
		return d, errors.New("no source file named; write none (reason) for a table of no results")
	}
	for _, p := range parts[1:] {
		p = strings.TrimSpace(p)
		key, val, _ := strings.Cut(p, ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		var err error
		switch key {
		case "columns":
			d.cols, err = parseSpecs(val, len(d.sources))
		case "rows":
			d.rows, err = parseSpecs(val, len(d.sources))
		case "row sources":
			d.rowSrc = map[int][]int{}
			for _, e := range strings.Split(val, ",") {
				k, v, ok := strings.Cut(strings.TrimSpace(e), "=")
				row, err := strconv.Atoi(k)
				if !ok || err != nil || row < 1 {
					return d, fmt.Errorf("row sources: %q: want ROW=I [I…]", e)
				}
				for _, f := range strings.Fields(v) {
					i, err := strconv.Atoi(f)
					if err != nil || i < 1 || i > len(d.sources) {
						return d, fmt.Errorf("row sources: %q: %s names no declared source (1 to %d)", e, f, len(d.sources))
					}
					d.rowSrc[row] = append(d.rowSrc[row], i)
				}
			}
		case "bag":
			d.bag = true
			if val != "" {
				for _, q := range strings.Split(val, ",") {
					a, err := parseAlt(strings.TrimSpace(q))
					if err != nil {
						return d, err
					}
					d.bagQ = append(d.bagQ, a)
				}
			}
		default:
			return d, fmt.Errorf("unknown part %q: want columns:, rows:, bag or row sources:", p)
		}
		if err != nil {
			return d, err
		}
	}
	if d.cols != nil && d.rows != nil {
		return d, errors.New("columns: and rows: together; a table is read one way")
	}
	if d.rowSrc != nil && (!d.bag || d.rows != nil) {
		return d, errors.New("row sources: narrows the bag of a table read by columns: it needs bag, and no rows:")
	}
	return d, nil
}

// parseSpecs parses "2=accuracy*100, 3=gap_pp, 5=attr_label_acc attr_label_chance".
func parseSpecs(s string, nsrc int) (map[int]colSpec, error) {
	specs := map[int]colSpec{}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		k, v, ok := strings.Cut(e, "=")
		n, err := strconv.Atoi(strings.TrimSpace(k))
		if !ok || err != nil || n < 1 {
			return nil, fmt.Errorf("%q: want N=QUANTITY with N a column (or row) from 1", e)
		}
		if _, dup := specs[n]; dup {
			return nil, fmt.Errorf("%d declared twice", n)
		}
		sp := colSpec{text: strings.TrimSpace(v)}
		fields := strings.Fields(v)
		if len(fields) == 1 && (fields[0] == "setting" || fields[0] == "literature") {
			sp.whole = fields[0]
			specs[n] = sp
			continue
		}
		if len(fields) > 0 && fields[len(fields)-1] == "..." {
			sp.repeat, fields = true, fields[:len(fields)-1]
		}
		if len(fields) == 0 {
			return nil, fmt.Errorf("%q: no quantity", e)
		}
		for _, f := range fields {
			if f == "setting" || f == "literature" {
				sp.items = append(sp.items, item{skip: f})
				continue
			}
			var it item
			if q, src, ok := strings.Cut(f, "@"); ok {
				i, err := strconv.Atoi(src)
				if err != nil || i < 1 || i > nsrc {
					return nil, fmt.Errorf("%q: @%s names no declared source (1 to %d)", f, src, nsrc)
				}
				f, it.src = q, i
			}
			for _, a := range strings.Split(f, "|") {
				q, err := parseAlt(a)
				if err != nil {
					return nil, err
				}
				it.alts = append(it.alts, q)
			}
			if slices.ContainsFunc(it.alts, func(q qalt) bool { return q.count != it.alts[0].count }) {
				return nil, fmt.Errorf("%q: a count cannot be an alternative to a field", f)
			}
			sp.items = append(sp.items, it)
		}
		specs[n] = sp
	}
	return specs, nil
}

// parseAlt parses one quantity: NAME, NAME*100, mean(NAME), mean(NAME)*100 or count(NAME>=X).
func parseAlt(s string) (qalt, error) {
	if m := countRE.FindStringSubmatch(s); m != nil {
		x, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return qalt{}, fmt.Errorf("%q: %v", s, err)
		}
		return qalt{name: m[1], count: true, op: m[2], x: x}, nil
	}
	q := qalt{name: s}
	if n, ok := strings.CutSuffix(q.name, "*100"); ok {
		q.name, q.pct = n, true
	}
	if strings.HasPrefix(q.name, "mean(") && strings.HasSuffix(q.name, ")") {
		q.name, q.mean = q.name[len("mean("):len(q.name)-1], true
	}
	if !nameRE.MatchString(q.name) {
		return qalt{}, fmt.Errorf("%q: want a field, metric or column name (a glob with *), NAME*100, mean(NAME) or count(NAME>=X)", s)
	}
	return q, nil
}

func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		cell string
		want []string // the numbers' texts, settings marked with "s:"
	}{
		{"99.31 ± 0.05%", []string{"99.31 ± 0.05%"}},
		{"−0.49 ± 0.09 pp", []string{"−0.49 ± 0.09 pp"}},
		{"12,544 B / 512 B", []string{"12,544", "512"}},
		{"0.842 (0.134)", []string{"0.842", "0.134"}},
		{"**0.918**", []string{"0.918"}},
		{"`mnist-resnet8` ResNet-8 fc128 3D", nil},
		{"−0.59 pp at k = 2, −1.4 to −1.5 pp at k = 3…8 (3 seeds)", []string{"−0.59 pp", "s:2", "−1.4[pp]", "−1.5 pp", "s:3", "s:8", "3[seeds]"}},
		{"(seeds 1 and 2, 111 settings)", []string{"s:1", "s:2", "111[settings]"}},
		{"39–40% of uploads, 14× chance", []string{"39[%]", "40%", "14×"}},
		{"0.604 (1.00, 0.833): mask 0.5, split 1, k = 2, −2.83 pp", []string{"0.604", "1.00", "0.833", "s:0.5", "s:1", "s:2", "−2.83 pp"}},
		{"splits 1 and 2, k = 1, 2 and 4", []string{"s:1", "s:2", "s:1", "s:2", "s:4"}},
		{"baseline 99.52 ± 0.07% (seeds: 99.51, 99.59, 99.46)", []string{"99.52 ± 0.07%", "99.51", "99.59", "99.46"}},
		{"not reproduced (5 epochs); 14× chance", []string{"s:5", "14×"}},
		{"— (≈ 13 minutes extrapolated)", []string{"~13"}},
		{"0.62–0.75, SSIM ≥ 0.30", []string{"0.62", "0.75", "s:0.30"}},
		{"0.736 (0.99, 0.872): Laplace noise σ = 0.05, quantised to 8 bits, NoPeek weight 6", []string{"0.736", "0.99", "0.872", "s:0.05", "s:8", "s:6"}},
	} {
		var got []string
		for _, n := range numbers(tc.cell) {
			s := n.text
			if n.setting {
				s = "s:" + s
			}
			if n.approx {
				s = "~" + s
			}
			if !strings.HasSuffix(n.text, n.suffix) {
				s += "[" + n.suffix + "]" // a unit taken from a range or a count word
			}
			got = append(got, s)
		}
		if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
			t.Errorf("numbers(%q) = %q, want %q", tc.cell, got, tc.want)
		}
	}
}
