package experiments

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
	"github.com/datamix/harness/internal/speechtest"
)

// syntheticIDX writes the four IDX files of an MNIST-like folder (28×28 noise with labels
// i mod 10), for a config that names Fashion-MNIST where it is not installed.
func syntheticIDX(t *testing.T, train, test int) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, magic uint32, dims []uint32, body []byte) {
		b := binary.BigEndian.AppendUint32(nil, magic)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, d)
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(b, body...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", train}, {"t10k", test}} {
		pix, lab := make([]byte, s.n*784), make([]byte, s.n)
		for i := range pix {
			pix[i] = byte(i * 7919 % 251)
		}
		for i := range lab {
			lab[i] = byte(i % 10)
			for j := range 28 { // a bar whose row is the label, so there is something to learn
				pix[i*784+(2+2*int(lab[i]))*28+j] = 255
			}
		}
		write(s.prefix+"-images-idx3-ubyte", 0x803, []uint32{uint32(s.n), 28, 28}, pix)
		write(s.prefix+"-labels-idx1-ubyte", 0x801, []uint32{uint32(s.n)}, lab)
	}
	return dir
}

// TestSpeechRunTiny trains the speech network end to end on a synthetic corpus and runs the
// attribute attack with the gender and speaker attributes: their columns are filled, and the
// chance of a balanced speaker attribute is 1/speakers.
func TestSpeechRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := runtest.SpokenDigits(t, 128, 40)
	cfg, err := config.Parse("tiny.yaml", []byte(runtest.SpeechConfig(dir, "baseline: true\nattacks:\n  - {kind: attribute, attributes: [label, gender, speaker], victims: 40, aux: 128}\n")))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Run(cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].Variant != "datamix" || rows[1].Dataset != "spoken-digits" || rows[1].Arch != "speech-cnn" {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if r.Notes["data"] != speechtest.Source {
			t.Errorf("%s row: notes %v, want data: %q (the corpus's SOURCE.txt)", r.Variant, r.Notes, speechtest.Source)
		}
	}
	m := rows[1].Metrics
	for _, col := range []string{"attr_label_acc", "attr_gender_acc", "attr_gender_chance", "attr_speaker_acc"} {
		if v, ok := m[col]; !ok || !(v >= 0 && v <= 1) {
			t.Errorf("%s = %v (present %v), want a rate", col, v, ok)
		}
	}
	// The 40 victims are the whole test split: 10 recordings of each of the 4 speakers. The
	// truth is each upload's dominant member, and at k = 2 a victim dominates at most the 2
	// uploads of its group: the majority rate is between 1/4 and 20/40.
	if c := m["attr_speaker_chance"]; !(c >= 0.25 && c <= 0.5) {
		t.Errorf("attr_speaker_chance = %v, want in [0.25, 0.5]", c)
	}
	if f := rows[1].EdgeFLOPsFrac; !(f > 0.06 && f < 0.07) {
		t.Errorf("edge FLOPs share %v at split 1, want ≈ 6.4%% (+ mixing)", f)
	}
}
