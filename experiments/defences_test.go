package experiments

import (
	"strings"
	"testing"
)

// TestDefencesRunInCells trains and attacks tiny cells under every defence: each row names
// its defences and pays for them, a quantised cell uploads fewer bytes, a NoPeek cell notes
// the distance correlation it trained against, and the attacks say they simulated the
// defences.
func TestDefencesRunInCells(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, `attacks: [{kind: inversion, aux: 100, victims: 50}, {kind: group_matching, victims: 50}]
sweep:
  defences:
    - []
    - [{kind: gaussian, scale: 0.5}, {kind: laplace, scale: 0.2, stage: before_mix}]
    - [{kind: offset, scale: 1}, {kind: mask, rate: 0.3}]
    - [{kind: nopeek, weight: 10}, {kind: quantise, bits: 4}]
`)
	rows, err := Run(cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	plain := rows[0]
	want := []string{"", "gaussian σ=0.5 + laplace σ=0.2 (before mix)", "offset 1 + mask 0.3", "nopeek 10 + quant 4 bit"}
	for i, r := range rows {
		if r.Defence != want[i] {
			t.Errorf("row %d: defence %q, want %q", i, r.Defence, want[i])
		}
		if r.Accuracy < 0 || r.Accuracy > 1 {
			t.Errorf("row %d: accuracy %v", i, r.Accuracy)
		}
		if i >= 1 && !strings.Contains(r.Notes["inversion"], "edge defences known and simulated") {
			t.Errorf("row %d: inversion note %q does not say the defences were simulated", i, r.Notes["inversion"])
		}
	}
	// Noise costs 6 FLOPs per uploaded value on the edge, twice; the mask 2 and the offset 6.
	d := int64(16 * 14 * 14)
	if got := rows[1].EdgeFLOPs - plain.EdgeFLOPs; got != 12*d {
		t.Errorf("noise cell pays %d more edge FLOPs, want %d", got, 12*d)
	}
	if got := rows[2].EdgeFLOPs - plain.EdgeFLOPs; got != 8*d {
		t.Errorf("offset+mask cell pays %d more edge FLOPs, want %d", got, 8*d)
	}
	q := rows[3]
	if q.UploadBytesPerSample != d/2+8 || plain.UploadBytesPerSample != 4*d {
		t.Errorf("upload bytes %d (4 bit) and %d (float32), want %d and %d", q.UploadBytesPerSample, plain.UploadBytesPerSample, d/2+8, 4*d)
	}
	if q.CloudFLOPs-plain.CloudFLOPs != 2*d {
		t.Errorf("the cloud decodes 4-bit uploads for %d FLOPs, want %d", q.CloudFLOPs-plain.CloudFLOPs, 2*d)
	}
	if !strings.HasPrefix(q.Notes["nopeek"], "mean dCor(inputs, head outputs) over the last epoch's batches: 0.") {
		t.Errorf("nopeek note %q", q.Notes["nopeek"])
	}
	if _, ok := plain.Notes["nopeek"]; ok {
		t.Error("an undefended cell has a nopeek note")
	}
}
