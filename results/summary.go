package results

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// WriteSummary writes a readable Markdown summary of rows to path, atomically: a heading
// with title, a table with one line per row (variant, split, k, coefficients, shuffle, seed,
// accuracy in %, the gap to the matching baseline in percentage points, the edge's share of
// the FLOPs, bytes up and down per input, training seconds), then one line per row that has
// Notes. A row's baseline is the first baseline row with the same dataset, arch, seed and
// training settings (train and test limits, epochs, batch size, learning rate).
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
	base := map[baselineKey]float64{}
	for _, r := range rows {
		if _, ok := base[keyOf(r)]; r.Variant == baselineVariant && !ok {
			base[keyOf(r)] = r.Accuracy
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", oneLineText(title))
	b.WriteString("| variant | split | k | coefficients | shuffle | seed | accuracy | gap (pp) | edge FLOPs | upload B/sample | download B/sample | train s |\n")
	b.WriteString("|---|--:|--:|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		gap := "—"
		if acc, ok := base[keyOf(r)]; ok && r.Variant != baselineVariant {
			gap = fmt.Sprintf("%+.2f", 100*(r.Accuracy-acc))
		}
		cells := []string{
			cell(r.Variant), strconv.Itoa(r.Split), strconv.Itoa(r.GroupSize), cell(r.Coefficients),
			strconv.FormatBool(r.Shuffle), strconv.FormatUint(r.Seed, 10),
			fmt.Sprintf("%.2f%%", 100*r.Accuracy), gap, fmt.Sprintf("%.1f%%", 100*r.EdgeFLOPsFrac),
			strconv.FormatInt(r.UploadBytesPerSample, 10), strconv.FormatInt(r.DownloadBytesPerSample, 10),
			fmt.Sprintf("%.1f", r.TrainSeconds),
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\nAccuracy is on the test set. The gap is the accuracy minus that of the matching baseline " +
		"(same dataset, arch, seed and training settings) in percentage points; — where there is none. " +
		"Edge FLOPs is the edge's share of the FLOPs per input.\n")

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

// oneLineText replaces line breaks so that a value stays on its Markdown line.
func oneLineText(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// cell escapes a value for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(oneLineText(s), "|", `\|`)
}
