package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/results"
)

// A bad -set value fails like a bad value in the file: one line naming the argument, exit 1,
// nothing written; a malformed argument is a usage error.
func TestSetErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.yaml")
	os.WriteFile(cfg, []byte(goodConfig), 0o644)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-set", "mixing.group_size=0"}, 1, "runexp: -set mixing.group_size=0: mixing.group_size: 0, need an integer ≥ 1\n"},
		{[]string{"-set", "train.epochs=1", "-set", "train.lr=fast"}, 1, `runexp: -set train.lr=fast: train.lr: "fast", need a number` + "\n"},
		{[]string{"-set", "mixing.group_size"}, 2, `invalid value "mixing.group_size" for flag -set: need KEY=VALUE`},
	} {
		for _, cmd := range []string{"run", "cells"} {
			var o, e bytes.Buffer
			args := append([]string{cmd, "-config", cfg, "-out", out}, c.args...)
			if cmd == "cells" {
				args = append([]string{cmd, "-config", cfg}, c.args...)
			}
			code := run(context.Background(), args, &o, &e)
			if code != c.code || !strings.HasPrefix(e.String(), c.want) || c.code == 1 && e.String() != c.want {
				t.Errorf("%s %q: exit %d, stderr %q; want %d, %q", cmd, c.args, code, e.String(), c.code, c.want)
			}
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory was created for a bad -set")
	}
}

// A run with -set computes the overridden cells and records the overrides in config.yaml.
func TestSetRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.yaml")
	os.WriteFile(cfg, []byte(goodConfig+"sweep: {mixing.group_size: [1, 2]}\n"), 0o644)
	out := filepath.Join(dir, "out")
	var o, e bytes.Buffer
	args := []string{"run", "-config", cfg, "-out", out, "-set", "mixing.group_size=4", "-set", "model.split=0"}
	if code := run(context.Background(), args, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	rows, err := results.ReadJSON(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].GroupSize != 4 || rows[0].Split != 0 {
		t.Fatalf("rows %+v, want one cell at k = 4, split 0", rows)
	}
	b, err := os.ReadFile(filepath.Join(out, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "# resolved from "+cfg+" with -set mixing.group_size=4 -set model.split=0\n") ||
		!strings.Contains(s, "group_size: 4\n") || !strings.Contains(s, "split: 0\n") || strings.Contains(s, "sweep") {
		t.Errorf("config.yaml:\n%s", s)
	}
}
