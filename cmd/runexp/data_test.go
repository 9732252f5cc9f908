package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/internal/speechtest"
)

// TestBadDataInput: a missing Fashion-MNIST install and the speech corpus's bad files — a
// WAV that is not mono, one cut short, one at the wrong sample rate, a folder with no
// recordings — each give a one-line error naming the file, a non-zero exit and no output
// directory.
func TestBadDataInput(t *testing.T) {
	speech := func(t *testing.T, edit func(dir string)) string {
		dir := t.TempDir()
		if err := speechtest.WriteSpokenDigits(dir, speechtest.Options{Speakers: 2, Reps: 20}); err != nil {
			t.Fatal(err)
		}
		edit(dir)
		return fmt.Sprintf(`name: cli
seed: 1
dataset: {name: spoken-digits, path: %q, train_limit: 64, test_limit: 32}
model: {arch: speech-cnn, split: 1}
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
`, dir)
	}
	write := func(dir, name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stereo := speechtest.PCMFormat(8000, 16)
	stereo.Channels, stereo.BlockAlign, stereo.ByteRate = 2, 4, 32000
	wav := speechtest.WAV(8000, []float64{0.1, 0.2, 0.3, 0.4})
	noFashion := t.TempDir()
	cases := []struct {
		name string
		cfg  func(t *testing.T) string
		want []string
	}{
		{"fashion-mnist not installed", func(t *testing.T) string {
			t.Setenv(datasets.FashionMNISTEnv, noFashion)
			return strings.Replace(goodConfig, "name: mnist", "name: fashion-mnist", 1)
		}, []string{"cfg.yaml:3", "fashion-mnist", "DATAMIX_FASHION_MNIST_DIR=" + noFashion, "train-images-idx3-ubyte.gz"}},
		{"stereo wav", func(t *testing.T) string {
			return speech(t, func(dir string) {
				write(dir, "4_spk1_17.wav", speechtest.RIFF(speechtest.FmtChunk(stereo), speechtest.Chunk{ID: "data", Data: make([]byte, 16)}))
			})
		}, []string{"4_spk1_17.wav", "2 channels, want mono"}},
		{"truncated wav", func(t *testing.T) string {
			return speech(t, func(dir string) { write(dir, "0_spk0_3.wav", wav[:len(wav)-3]) })
		}, []string{"0_spk0_3.wav", "truncated"}},
		{"wrong sample rate", func(t *testing.T) string {
			return speech(t, func(dir string) { write(dir, "9_spk0_0.wav", speechtest.WAV(44100, []float64{0})) })
		}, []string{"9_spk0_0.wav", "sample rate 44100 Hz, want 8000"}},
		{"empty corpus", func(t *testing.T) string {
			return speech(t, func(dir string) {
				names, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
				for _, n := range names {
					os.Remove(n)
				}
			})
		}, []string{"no .wav recordings", "scripts/synth_spoken_digits.sh"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "cfg.yaml")
			if err := os.WriteFile(cfg, []byte(c.cfg(t)), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"run", "-config", cfg, "-out", out}, &stdout, &stderr)
			msg := stderr.String()
			if code == 0 {
				t.Fatalf("exit 0, want non-zero; stderr %q", msg)
			}
			if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output directory was created for a bad input")
			}
		})
	}
}
