package results

import (
	"fmt"
	"slices"
	"strings"
)

// The criteria of a verdict: whether the strongest attack that ran on a DataMix cell breaks
// its privacy claim. A reconstruction attack breaks it when its mean SSIM reaches VerdictSSIM
// — He, Zhang and Lee's line of a recognisable reconstruction (ACSAC 2019) — or when the share
// of victims it reconstructs recognisably (SSIM ≥ 0.30) reaches VerdictRecognisable: half of
// them. An inference attack breaks it when its advantage over chance, (acc − chance)/(1 −
// chance), reaches VerdictAdvantage, a tenth of the way from chance to a perfect guess. Upper
// bounds (UpperBound) never decide a verdict, and group matching alone does not: it recovers
// which uploads belong together, a step towards leakage rather than leakage.
const (
	VerdictSSIM         = 0.30
	VerdictRecognisable = 0.50
	VerdictAdvantage    = 0.10
)

// The verdicts.
const (
	// Broken: some attack meets a criterion.
	Broken = "broken"
	// Holds: attacks ran and none meets a criterion.
	Holds = "holds"
)

// Verdict is the judgement of a cell, or of a configuration over its seeds, against the
// criteria: Broken, Holds, or "" when no attack that could decide one ran (a baseline, a cell
// without attacks, or attacks that were all skipped).
type Verdict struct {
	Verdict string
	// By lists what broke the claim, strongest criterion first: "rmle_ssim 0.967",
	// "output_advantage 0.852"; empty when it holds.
	By []string
}

// String writes the verdict and what decided it: "broken (rmle_ssim 0.967 ≥ 0.30)".
func (v Verdict) String() string {
	if len(v.By) == 0 {
		return v.Verdict
	}
	return v.Verdict + " (" + v.Reason() + ")"
}

// verdictReasons is how many of the criteria met a written verdict names.
const verdictReasons = 3

// Reason is what decided a broken verdict, for the results files: the verdictReasons
// strongest criteria met, and how many more; "" when it holds.
func (v Verdict) Reason() string {
	if len(v.By) <= verdictReasons {
		return strings.Join(v.By, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(v.By[:verdictReasons], "; "), len(v.By)-verdictReasons)
}

// Judge returns the verdict of one row from its attack metrics (see the criteria): every
// reconstruction column's <stem>_ssim and <stem>_recovered30 and every inference column's
// advantage over chance, upper bounds left out.
func Judge(r Row) Verdict {
	if r.IsBaseline() {
		return Verdict{}
	}
	return judge(attackColumns([]Row{r}), func(name string) (float64, bool) {
		if stem, ok := strings.CutSuffix(name, "_advantage"); ok {
			acc, okA := r.Metrics[stem+"_acc"]
			ch, okC := r.Metrics[stem+"_chance"]
			return advantage(acc, ch), okA && okC
		}
		v, ok := r.Metrics[name]
		return v, ok
	})
}

// judge applies the criteria to the columns cols, reading their measures through value; a
// non-finite value decides nothing.
func judge(cols []AttackColumn, value func(name string) (float64, bool)) Verdict {
	type hit struct {
		what   string
		margin float64 // by how much the criterion is met, relative to its threshold
	}
	var hits []hit
	judged := false
	check := func(name string, threshold float64) {
		v, ok := value(name)
		if !ok || !finite(v) {
			return
		}
		judged = true
		if v >= threshold {
			hits = append(hits, hit{fmt.Sprintf("%s %.3f ≥ %.2f", name, v, threshold), v / threshold})
		}
	}
	for _, c := range cols {
		if c.Bound {
			continue
		}
		switch c.kind {
		case reconstruction:
			check(c.Stem+"_ssim", VerdictSSIM)
			check(c.Stem+recognisable, VerdictRecognisable)
		case inference:
			check(c.Stem+"_advantage", VerdictAdvantage)
		}
	}
	if !judged {
		return Verdict{}
	}
	if len(hits) == 0 {
		return Verdict{Verdict: Holds}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		switch {
		case a.margin > b.margin:
			return -1
		case a.margin < b.margin:
			return 1
		}
		return 0
	})
	v := Verdict{Verdict: Broken}
	for _, h := range hits {
		v.By = append(v.By, h.what)
	}
	return v
}
