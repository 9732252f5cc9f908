package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
)

// TestGoldenDump runs every config in tiny mode (as TestConfigsRunTiny) into $GOLDEN_OUT/<name>.
func TestGoldenDump(t *testing.T) {
	out := os.Getenv("GOLDEN_OUT")
	if out == "" {
		t.Skip("GOLDEN_OUT unset")
	}
	paths, _ := filepath.Glob("../configs/*.yaml")
	paper, _ := filepath.Glob("../configs/paper/*.yaml")
	paths = append(paths, paper...)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := config.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			switch d := cfg.Dataset; d.Name {
			case "celeba":
				if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
					cfg.Tiny()
					cfg.Dataset.Path = runtest.CelebA(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit)
				}
			case "spoken-digits":
				if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
					cfg.Tiny()
					cfg.Dataset.Path = runtest.SpokenDigits(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit)
				}
			case "fashion-mnist":
				if _, err := datasets.FashionMNISTDir(); d.Path == "" && err != nil {
					cfg.Tiny()
					t.Setenv(datasets.FashionMNISTEnv, syntheticIDX(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit))
				}
			}
			cells, err := config.Expand(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) > maxTinyCells {
				coverSweep(cfg)
			}
			cfg.Tiny()
			dir := filepath.Join(out, filepath.Base(p))
			os.RemoveAll(dir)
			if _, err := Run(cfg, Options{Out: dir}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
