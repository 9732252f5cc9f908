package config

import (
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/internal/runtest"
	"github.com/datamix/harness/internal/speechtest"
)

// TestSpeechConfigErrors: a speech dataset's attributes, shape and path, and a Fashion-MNIST
// that is not installed, are one-line errors naming the file line.
func TestSpeechConfigErrors(t *testing.T) {
	dir := runtest.SpokenDigits(t, 128, 40)
	bare := t.TempDir() // no speakers.csv: speaker only
	if err := speechtest.WriteSpokenDigits(bare, speechtest.Options{Speakers: 2, Reps: 10, NoMetadata: true}); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	t.Setenv(datasets.FashionMNISTEnv, empty)
	checkErrors(t, "", []errorCase{
		{"gender without metadata", runtest.SpeechConfig(bare, "attacks:\n  - {kind: attribute, attributes: [gender]}\n"),
			`tiny.yaml:8: attacks[0].attributes: "gender", want label, ink, colour or an attribute of dataset spoken-digits in ` + bare + `: speaker (gender needs the corpus's speakers.csv)`},
		{"celeba attribute on speech", runtest.SpeechConfig(dir, "attacks:\n  - {kind: attribute, attributes: [speaker, Male]}\n"),
			`tiny.yaml:8: attacks[0].attributes: "Male", want label, ink, colour or an attribute of dataset spoken-digits in ` + dir + `: gender, speaker`},
		{"speaker on mnist", "name: x\nattacks:\n  - {kind: attribute, attributes: [speaker]}\n",
			`tiny.yaml:3: attacks[0].attributes: "speaker", want one of label, ink, colour (attributes such as Male need dataset celeba; gender and speaker a speech dataset)`},
		{"image net on speech", strings.Replace(runtest.SpeechConfig(dir, ""), "speech-cnn", "mnist-cnn", 1),
			"tiny.yaml:4: model.arch: mnist-cnn takes 1×28×28 inputs, but dataset spoken-digits has 1×32×64"},
		{"speech without a path", "name: x\ndataset: {name: spoken-digits}\nmodel: {arch: speech-cnn}\n",
			"tiny.yaml: dataset.path: missing, dataset spoken-digits is read from disk (only mnist is embedded)"},
		{"fashion-mnist not found", "name: x\ndataset: {name: fashion-mnist, path: \"\"}\n",
			"tiny.yaml:2: dataset.path: datasets: fashion-mnist: DATAMIX_FASHION_MNIST_DIR=" + empty + " lacks train-images-idx3-ubyte.gz"},
		{"fashion-mnist default path", "name: x\ndataset: {name: fashion-mnist}\n",
			"tiny.yaml:2: dataset.path: datasets: fashion-mnist: DATAMIX_FASHION_MNIST_DIR="},
	})
}
