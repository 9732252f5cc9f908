package results

import (
	"fmt"
	"strings"
)

// verdictTable writes the verdicts of the run: one line per attacked DataMix configuration
// (rows that differ only in cell and seed), labelled by the configuration fields that vary
// between them, with its verdict on the means over its seeds (DefenceMatrix.Verdict), how
// many of its cells are broken one by one (Judge), and what decided it; then the run's count
// and the criteria. Nothing is written when no attack ran.
func verdictTable(b *strings.Builder, rows []Row) {
	m := NewDefenceMatrix(rows)
	if m == nil {
		return
	}
	groups := make([]Group, len(m.Rows))
	for i, r := range m.Rows {
		groups[i] = r.Group
	}
	var fields []Field
	for _, f := range VaryingFields(groups) {
		if f.Name() != "variant" {
			fields = append(fields, f)
		}
	}
	b.WriteString("\n## Verdicts\n\n")
	b.WriteString("| configuration | seeds | verdict | cells broken | decided by |\n|---|--:|---|--:|---|\n")
	brokenConfigs, brokenCells, cells := 0, 0, 0
	for _, r := range m.Rows {
		var label []string
		for _, f := range fields {
			label = append(label, f.Label(r.Group.Row))
		}
		if len(label) == 0 {
			label = []string{"every cell"}
		}
		v := m.Verdict(r)
		if v.Verdict == Broken {
			brokenConfigs++
		}
		broken := 0
		for _, row := range r.Group.Rows {
			if Judge(row).Verdict == Broken {
				broken++
			}
		}
		brokenCells += broken
		cells += len(r.Group.Rows)
		verdict := v.Verdict
		if verdict == "" {
			verdict = "—"
		}
		fmt.Fprintf(b, "| %s | %d | %s | %d of %d | %s |\n", cell(strings.Join(label, ", ")), len(r.Group.Rows),
			verdict, broken, len(r.Group.Rows), cell(v.Reason()))
	}
	fmt.Fprintf(b, "\nBroken in %d of %d attacked configurations (%d of %d cells). ", brokenConfigs, len(m.Rows), brokenCells, cells)
	fmt.Fprintf(b, "A configuration is broken when, on the means over its seeds, a reconstruction attack reaches a "+
		"mean SSIM of %.2f or reconstructs %.0f%% of its victims recognisably (SSIM ≥ 0.30), or an inference attack's "+
		"advantage over chance, (acc − chance)/(1 − chance), reaches %.2f; it holds when attacks ran and none does. "+
		"Upper bounds (columns with oracle or best in their name) and group matching decide nothing.\n",
		VerdictSSIM, 100*VerdictRecognisable, VerdictAdvantage)
}
