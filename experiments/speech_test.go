package experiments

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/internal/speechtest"
)

// syntheticSpokenDigits writes a synthetic FSDD-layout corpus (see speechtest) holding at
// least train training and test test recordings under the split rule (the lowest tenth of
// each speaker's indices of a digit is the test split).
func syntheticSpokenDigits(t *testing.T, train, test int) string {
	t.Helper()
	const speakers = 4
	reps := 10 // at least ⌈test/(10·speakers)⌉ test indices, i.e. 10× that many repetitions
	for reps/10*10*speakers < test || (reps-(reps+9)/10)*10*speakers < train {
		reps += 10
	}
	dir := t.TempDir()
	if err := speechtest.WriteSpokenDigits(dir, speechtest.Options{Speakers: speakers, Reps: reps, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return dir
}

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

// speechConfig is a tiny spoken-digits config; extra is appended.
func speechConfig(dir, extra string) string {
	return fmt.Sprintf(`name: speech
seed: 2
dataset: {name: spoken-digits, path: %q, train_limit: 128, test_limit: 40}
model: {arch: speech-cnn, split: 1}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 40}
`, dir) + extra
}

func TestSpeechConfigErrors(t *testing.T) {
	dir := syntheticSpokenDigits(t, 128, 40)
	bare := t.TempDir() // no speakers.csv: speaker only
	if err := speechtest.WriteSpokenDigits(bare, speechtest.Options{Speakers: 2, Reps: 10, NoMetadata: true}); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	t.Setenv(datasets.FashionMNISTEnv, empty)
	for _, c := range []struct{ name, src, want string }{
		{"gender without metadata", speechConfig(bare, "attacks:\n  - {kind: attribute, attributes: [gender]}\n"),
			`tiny.yaml:8: attacks[0].attributes: "gender", want label, ink, colour or an attribute of dataset spoken-digits in ` + bare + `: speaker (gender needs the corpus's speakers.csv)`},
		{"celeba attribute on speech", speechConfig(dir, "attacks:\n  - {kind: attribute, attributes: [speaker, Male]}\n"),
			`tiny.yaml:8: attacks[0].attributes: "Male", want label, ink, colour or an attribute of dataset spoken-digits in ` + dir + `: gender, speaker`},
		{"speaker on mnist", "name: x\nattacks:\n  - {kind: attribute, attributes: [speaker]}\n",
			`tiny.yaml:3: attacks[0].attributes: "speaker", want one of label, ink, colour (attributes such as Male need dataset celeba; gender and speaker a speech dataset)`},
		{"image net on speech", strings.Replace(speechConfig(dir, ""), "speech-cnn", "mnist-cnn", 1),
			"tiny.yaml:4: model.arch: mnist-cnn takes 1×28×28 inputs, but dataset spoken-digits has 1×32×64"},
		{"speech without a path", "name: x\ndataset: {name: spoken-digits}\nmodel: {arch: speech-cnn}\n",
			"tiny.yaml: dataset.path: missing, dataset spoken-digits is read from disk (only mnist is embedded)"},
		{"fashion-mnist not found", "name: x\ndataset: {name: fashion-mnist, path: \"\"}\n",
			"tiny.yaml:2: dataset.path: datasets: fashion-mnist: DATAMIX_FASHION_MNIST_DIR=" + empty + " lacks train-images-idx3-ubyte.gz"},
		{"fashion-mnist default path", "name: x\ndataset: {name: fashion-mnist}\n",
			"tiny.yaml:2: dataset.path: datasets: fashion-mnist: DATAMIX_FASHION_MNIST_DIR="},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("tiny.yaml", []byte(c.src))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line containing %q", err, c.want)
			}
		})
	}
}

// TestSpeechRunTiny trains the speech network end to end on a synthetic corpus and runs the
// attribute attack with the gender and speaker attributes: their columns are filled, and the
// chance of a balanced speaker attribute is 1/speakers.
func TestSpeechRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := syntheticSpokenDigits(t, 128, 40)
	cfg, err := Parse("tiny.yaml", []byte(speechConfig(dir, "baseline: true\nattacks:\n  - {kind: attribute, attributes: [label, gender, speaker], victims: 40, aux: 128}\n")))
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
