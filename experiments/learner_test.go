package experiments

import (
	"strings"
	"testing"
)

// TestLearnedAttacksInCells runs the gradient-trained attacks on tiny DataMix cells at split
// 1, k 1 and 2, with the head's weights known and withheld: every cell gets their columns (the
// separated-member columns at k = 2 only) and notes saying which head was inverted.
func TestLearnedAttacksInCells(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, `attacks:
  - {kind: decoder, aux: 128, victims: 50, epochs: 1}
  - {kind: rmle, aux: 128, victims: 50, iterations: 3, init: decoder, epochs: 1}
  - {kind: decoder, name: decoder_shadow, head: unknown, aux: 128, victims: 50, epochs: 1, shadow_epochs: 1}
  - {kind: rmle, name: rmle_shadow, head: unknown, aux: 128, victims: 50, iterations: 3, shadow_epochs: 1}
sweep: {mixing.group_size: [1, 2]}
`)
	rows, err := Run(cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	for _, r := range rows {
		want := []string{"decoder_psnr", "decoder_ssim", "decoder_psnr_median", "decoder_recovered30", "decoder_best_ssim",
			"rmle_psnr", "rmle_ssim", "rmle_recovered90", "decoder_shadow_ssim", "rmle_shadow_ssim"}
		sep := []string{"decoder_sep_psnr", "decoder_sep_ssim", "decoder_sep_recovered30", "decoder_shadow_sep_ssim"}
		if r.GroupSize == 2 {
			want = append(want, sep...)
		}
		for _, m := range want {
			if v, ok := r.Metrics[m]; !ok || !(v >= -1) {
				t.Errorf("k %d: column %s = %v, %v (have %v)", r.GroupSize, m, v, ok, r.Metrics)
			}
		}
		if r.GroupSize == 1 {
			for _, m := range sep {
				if _, ok := r.Metrics[m]; ok {
					t.Errorf("k 1: column %s written", m)
				}
			}
		}
		for name, want := range map[string]string{"decoder": "head weights known", "rmle": "start: a decoder",
			"decoder_shadow": "shadow head and tail trained through the frozen body", "rmle_shadow": "shadow head"} {
			if !strings.HasPrefix(r.Notes[name], "setting: ") || !strings.Contains(r.Notes[name], want) {
				t.Errorf("k %d: note %s = %q, want a setting mentioning %q", r.GroupSize, name, r.Notes[name], want)
			}
		}
	}
}
