package results

import (
	"os"
	"path/filepath"
	"testing"
)

// TestREADMETables checks every number in the tables of the repository's README.md and of
// results/README.md against the committed result files each table cites, so that the prose
// cannot drift from the data; results/README.md, "How the tables are checked", describes the
// scheme for readers.
//
// Each Markdown pipe table with a number in its body carries a declaration on the line right
// above it, an HTML comment that GitHub does not show:
//
//	<!-- table: none (REASON) -->       no results: settings, constants, benchmark speeds
//	<!-- table: FILE[, FILE…][; columns: SPEC | rows: SPEC][; bag[: Q, …]][; row sources: ROW=I …, …] -->
//
// FILEs are relative to the repository root: a run's results.json or results.csv (ReadJSON,
// ReadCSV), another CSV (a defence_matrix.csv, a benchmark's results.csv: its numeric columns
// by header name) or a generated Markdown file (its tables' numbers; for the bag only). SPEC
// is a comma-separated list of N=ITEMS, the derivation of column N (1 = first), or with rows:
// of body row N of a transposed table, whose first column then holds labels. The ITEMS,
// separated by spaces, derive the cell's numbers in order ("0.842 (0.134)" is two); a final
// "..." repeats them. An item is setting or literature (not checked: a configuration, a
// figure from a paper) or a quantity, alternatives separated by |, optionally @I to take it
// from the I-th FILE only:
//
//	NAME             a field of a row (accuracy, split, …), a metric, a CSV column; * globs
//	NAME*100         the same in percent
//	gap_pp           the accuracy gap in percentage points to the baseline of the same seed
//	seeds            the number of seeds of a group
//	mean(NAME)       NAME of groups over at least two seeds only
//	count(NAME>=X)   the number of rows of the file with NAME ≥ X (or <=)
//
// A quantity is read from a unit: one row, or one group of rows that differ only in seed
// (GroupBySeeds; for another CSV with a seed column, rows that agree on every text or
// whole-number column), whose quantities are the mean and sample s.d. over the seeds
// (Summarize). A printed number matches a value within half a unit of its last digit; "a ± b"
// needs the mean and the s.d. of a group of at least two seeds. All declared numbers of one
// table row come from one unit per source they are scoped to, and each round of a "..."
// from one unit: a row cannot borrow a number from another configuration. Counts are checked
// against the whole file.
//
// With bag, the columns SPEC leaves out are checked loosely: each number must equal some value
// derivable from the FILEs (those of its row, with row sources) — any quantity of any unit,
// ×100, a gap, X_acc/X_chance of a unit, the numbers of rows, DataMix settings and seeds — or
// of the Qs only. A number printed with "%" matches only percentages, "pp" gaps, "×" ratios,
// and "N seeds", "N settings", "N cells" only those counts; the first number of a range takes
// the unit of the second ("39–40%").
//
// Not checked: header cells; numbers after "≈" (estimates); settings, by a phrase rule (see
// markSettings): numbers right after "k =", "k ≥", "k >", "k ∈ {", "split(s)", "seed(s)",
// "SSIM ≥", "SSIM <", "offset", "mask", "σ =" or "weight", the whole numbers that continue
// their lists and ranges, and numbers before "epochs" or "bits".
//
// The test fails for a table with numbers and no declaration (the message says how to write
// one), for a declaration that is malformed, names a missing file, an unknown quantity or a
// column the table lacks, or stands above no table, and for every number it cannot derive:
// the message names the document, the line, the number, the files searched and the nearest
// value found. TestTableCheckFindsErrors shows it on a fixture.
func TestREADMETables(t *testing.T) {
	c := newChecker("..")
	for _, doc := range []string{"README.md", "results/README.md"} {
		b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(doc)))
		if err != nil {
			t.Fatal(err)
		}
		tables, errs := parseDoc(doc, string(b))
		for _, e := range errs {
			t.Error(e)
		}
		for _, tb := range tables {
			rep := c.check(tb)
			for _, e := range rep.errs {
				t.Error(e)
			}
			t.Logf("%s:%d: %s; %d numbers checked, %d not (settings, literature, estimates)", doc, tb.line, rep.mode, rep.checked, rep.skipped)
		}
	}
}
