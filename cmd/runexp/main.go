// Command runexp runs DataMix experiments described by a YAML config.
//
// Usage:
//
//	runexp run -config FILE [-out DIR]
//
// run trains and evaluates every cell of the config (the baseline and the DataMix cells of
// its sweep) and writes into DIR (default runs/<name>): config.yaml (the resolved config),
// results.csv, results.json, summary.md and one folder per cell under cells/. Cells already
// finished in DIR are not recomputed. A progress bar on stderr shows the cell, epoch and
// running loss and accuracy when stderr is a terminal; otherwise one line per cell is logged.
// The exit code is 0 only if every cell succeeded, 2 for a usage error and 1 for any other
// error (a bad config, a missing dataset, a failed cell), printed as one line on stderr.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/datamix/harness/experiments"
)

const usage = `usage: runexp run -config FILE [-out DIR]

Commands:
  run    train and evaluate every cell of a config; see README.md for the config reference
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors caused by how the command was called.
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "runexp: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintf(stderr, "runexp: %v\n", err)
		return 1
	}
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "experiment config (YAML)")
	out := fs.String("out", "", "output directory (default runs/<name>)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "runexp run: need -config FILE and no other arguments\n")
		return errUsage
	}
	cfg, err := experiments.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", cfg.Name)
	}
	obs := newObserver(stderr)
	rows, err := experiments.Run(cfg, experiments.Options{Out: dir, Observer: obs})
	obs.finish()
	if len(rows) > 0 {
		fmt.Fprintf(stdout, "%d cells written to %s (results.csv, results.json, summary.md)\n", len(rows), dir)
	}
	return err
}
