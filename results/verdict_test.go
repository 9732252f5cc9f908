package results

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestJudge: a cell is broken by the strongest attack that meets a criterion — mean SSIM ≥
// 0.30, half its victims recognisable, or an advantage over chance of 0.10 — listed strongest
// first; it holds when attacks ran and none does; upper bounds (oracle, best-of) and group
// matching decide nothing; a baseline and a cell whose attacks decide nothing get no verdict.
func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name    string
		variant string
		metrics map[string]float64
		want    string
		by      []string
	}{
		{"baseline", "baseline", map[string]float64{"inversion_ssim": 1}, "", nil},
		{"no attack", "datamix", nil, "", nil},
		{"holds", "datamix", map[string]float64{"inversion_ssim": 0.29, "inversion_recovered30": 0.49,
			"output_acc": 0.19, "output_chance": 0.1}, Holds, nil},
		{"ssim", "datamix", map[string]float64{"rmle_ssim": 0.6, "inversion_ssim": 0.31}, Broken,
			[]string{"rmle_ssim 0.600 ≥ 0.30", "inversion_ssim 0.310 ≥ 0.30"}},
		{"recognisable", "datamix", map[string]float64{"decoder_ssim": 0.2, "decoder_recovered30": 0.5}, Broken,
			[]string{"decoder_recovered30 0.500 ≥ 0.50"}},
		{"advantage", "datamix", map[string]float64{"attr_label_acc": 0.28, "attr_label_chance": 0.2}, Broken,
			[]string{"attr_label_advantage 0.100 ≥ 0.10"}},
		{"bounds and matching decide nothing", "datamix", map[string]float64{"inversion_best_ssim": 0.9,
			"ica_oracle_ssim": 0.99, "ica_oracle_grouping_ssim": 0.99, "group_match_acc": 1}, "", nil},
		{"a bound beside a real attack", "datamix", map[string]float64{"inversion_best_ssim": 0.9,
			"inversion_ssim": 0.1}, Holds, nil},
		{"NaN decides nothing", "datamix", map[string]float64{"rmle_ssim": math.NaN(), "ica_ssim": 0.1}, Holds, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(Row{Variant: tc.variant, Metrics: tc.metrics})
			if v.Verdict != tc.want || !slices.Equal(v.By, tc.by) {
				t.Errorf("verdict %q by %q, want %q by %q", v.Verdict, v.By, tc.want, tc.by)
			}
		})
	}
}

// TestVerdictReason names the three strongest criteria and counts the rest.
func TestVerdictReason(t *testing.T) {
	v := Judge(Row{Variant: "datamix", Metrics: map[string]float64{"a_ssim": 0.9, "b_ssim": 0.8, "c_ssim": 0.7, "d_ssim": 0.6, "e_ssim": 0.5}})
	if got := v.Reason(); !strings.HasPrefix(got, "a_ssim 0.900") || !strings.HasSuffix(got, "; and 2 more") {
		t.Errorf("reason %q", got)
	}
}

// TestUpperBound: a stem is an upper bound when one of its words is oracle or best.
func TestUpperBound(t *testing.T) {
	for stem, want := range map[string]bool{"inversion": false, "inversion_best": true, "ica_oracle": true,
		"ica_oracle_grouping": true, "inversion_oracle_c": true, "bestiary": false, "oracles": false, "rmle_shadow": false} {
		if got := UpperBound(stem); got != want {
			t.Errorf("UpperBound(%q) = %v, want %v", stem, got, want)
		}
	}
}

// TestSummaryVerdicts: the summary lists each attacked configuration with its verdict on the
// means over its seeds, its cells broken one by one, and the run's count.
func TestSummaryVerdicts(t *testing.T) {
	row := attackedCell
	rows := []Row{
		matrixBaseline(1, 0.875),
		row("", 1, 0.75, map[string]float64{"x_ssim": 0.5, "a_acc": 0.5, "a_chance": 0.25}),
		row("", 2, 0.75, map[string]float64{"x_ssim": 0.2, "a_acc": 0.3, "a_chance": 0.25}),
		row("noise σ=1", 1, 0.5, map[string]float64{"x_ssim": 0.1, "a_acc": 0.25, "a_chance": 0.25}),
	}
	var b strings.Builder
	if err := summary(&b, "t", rows); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"## Verdicts",
		"| no defence | 2 | broken | 1 of 2 | a_advantage 0.200 ≥ 0.10; x_ssim 0.350 ≥ 0.30 |",
		"| noise σ=1 | 1 | holds | 0 of 1 |  |",
		"Broken in 1 of 2 attacked configurations (1 of 3 cells).",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
