package results

import (
	"strconv"
	"strings"
)

// reconTable writes, when some configuration was run with more than one seed, the
// reconstruction attacks over seeds: one line per configuration and column of reconstructions
// X (a metric X_ssim with its recovery columns X_recovered30 and X_recovered90), giving the
// mean SSIM, the fractions of victims reconstructed with SSIM ≥ 0.30 and ≥ 0.90, and the
// median PSNR, each as mean ± s.d. over the seeds. It is the part of the seed table a privacy
// verdict is read from.
func reconTable(b *strings.Builder, rows []Row) {
	groups := GroupBySeeds(rows)
	multi := false
	for _, g := range groups {
		multi = multi || len(g.Rows) > 1
	}
	var recon []string
	for _, m := range MetricNames(rows) {
		if x, ok := strings.CutSuffix(m, "_recovered30"); ok {
			recon = append(recon, x)
		}
	}
	if !multi || len(recon) == 0 {
		return
	}
	b.WriteString("\n## Reconstructions over seeds\n\n")
	b.WriteString("| variant | split | k | coefficients | shuffle | seeds | reconstruction | SSIM | SSIM ≥ 0.30 | SSIM ≥ 0.90 | median PSNR (dB) |\n")
	b.WriteString("|---|--:|--:|---|---|--:|---|--:|--:|--:|--:|\n")
	for _, g := range groups {
		r := g.Row
		n := len(g.Rows)
		for _, x := range recon {
			if g.Stat(Metric(x+"_ssim")).N == 0 {
				continue
			}
			line := []string{cell(r.Variant), strconv.Itoa(r.Split), strconv.Itoa(r.GroupSize), cell(r.Coefficients),
				strconv.FormatBool(r.Shuffle), strconv.Itoa(n), cell(x),
				meanSD(g.Stat(Metric(x+"_ssim")), n, "%.3f", ""),
				meanSD(g.Stat(Metric(x+"_recovered30")), n, "%.3f", ""),
				meanSD(g.Stat(Metric(x+"_recovered90")), n, "%.3f", ""),
				meanSD(g.Stat(Metric(x+"_psnr_median")), n, "%.1f", ""),
			}
			b.WriteString("| " + strings.Join(line, " | ") + " |\n")
		}
	}
	b.WriteString("\nEvery column of reconstructions, per configuration: mean SSIM, the fraction of victims " +
		"reconstructed with SSIM ≥ 0.30 (recognisable, after He, Zhang and Lee, ACSAC 2019) and ≥ 0.90, " +
		"and the median PSNR, each as mean ± sample standard deviation over the seeds. Columns named " +
		"oracle or best, and every ica column, are scored with an oracle alignment (see the attacks' notes).\n")
}
