// Command runexp runs DataMix experiments described by a YAML config.
//
// Usage:
//
//	runexp run -config FILE [-set KEY=VALUE]... [-out DIR] [-jobs N] [-shard i/n] [-tiny] [-reuse DIR]...
//	runexp cells -config FILE [-set KEY=VALUE]... [-shard i/n]
//	runexp merge -out DIR [-allow-missing] DIR...
//	runexp plot DIR
//	runexp export [-out DIR] CELL_DIR
//	runexp wire -config FILE [-set KEY=VALUE]... [-out DIR] [-jobs N] [-tiny] [-in-process]
//	runexp cloud -body FILE [-tail FILE] [-listen ADDR] [-metrics ADDR] [-capture FILE] [flags]
//	runexp edge -config FILE [-cell ID] [-run DIR] [-cloud ADDR] [-link NAME] [-record FILE] [flags]
//	runexp attack -capture FILE -secrets FILE -config FILE [-cell ID] [-run DIR] [-out FILE]
//
// run trains and evaluates every cell of the config (the baseline and the DataMix cells of
// its sweep), N at a time (default: the number of CPUs), and writes into DIR (default
// runs/<name>, or runs/<name>/shard-<i>-of-<n> with -shard): config.yaml (the resolved
// config), manifest.json (the cells), results.csv, results.json, summary.md, plots/ and one
// folder per cell under cells/. Cells already finished in DIR are not recomputed, so a killed
// run resumes where it stopped. -shard i/n runs only the cells whose index in the expanded
// sweep is i modulo n, for job arrays (see deploy/README.md); merge then combines the shard
// directories into one run directory, refusing directories of different experiments and,
// unless -allow-missing, shards with unfinished cells. A cell that trains the same network as
// a finished cell of DIR, or of a directory named by -reuse, on the same data files (a shuffled
// cell and its unshuffled twin, a k = 1 cell and its baseline, one recipe in two experiments)
// takes that network instead of training it again; its numbers are the same, bit for bit, and
// its notes say where the network came from. -tiny runs every cell on a few examples
// for one epoch (config.Config.Tiny), a smoke test of a config before a long run. cells
// checks a config and lists its cells (index, ID, variant, swept values), or those of one
// shard, without running anything. plot rewrites DIR/defence_matrix.csv and redraws
// DIR/plots/ from DIR/results.json alone; when the rows give no figure anything to compare
// (one group size and one split, no attack), it says so and why, and leaves no plots/.
// export writes a finished cell's network (CELL_DIR is runs/<name>/cells/<id>) into DIR
// (default CELL_DIR/export) as NumPy archives with PyTorch's names — model.npz, head.npz,
// body.npz, tail.npz — and arch.yaml, its description (experiments.Export); a config's
// model.weights reads model.npz back, and bench/torch_crosscheck.py builds the network in
// PyTorch from arch.yaml.
//
// wire runs a wire study (experiments.RunWire): it trains the config's cells as run does,
// then serves each trained network — everything on the edge, the input uploaded as PNG with
// the whole network in the cloud, plain split, DataMix — from a cloud process of its own
// (this executable's cloud command on loopback ports) to edges running as goroutines of this
// process through the config's emulated links, and writes DIR/wire.csv, DIR/wire.json, the
// summary's wire tables and the wire figures; -in-process serves the clouds from this process
// (no CPU times then). cloud serves a trained cell's body file — the only file it opens; -tail
// adds the tail for the raw-input baseline — over gRPC: it batches the requests of all
// connected edges (-max-batch, -max-delay), bounds each connection's queue (-conn-queue),
// exports Prometheus metrics on -metrics, records what it receives with -capture, speaks TLS
// 1.3 with -tls-cert and -tls-key (-tls-client-ca requires client certificates), prints one
// line "serving model=… grpc=… metrics=…" on stdout once it serves, and on SIGINT or SIGTERM
// drains (-drain) and exits 0. edge serves the config's test split through a cloud as the
// cell's edge (its head and tail files, secrets from crypto/rand), through an emulated link
// (-link), and reports accuracy, latency percentiles and bytes per input; -record writes its
// secrets for scoring attacks (evaluation only). attack runs the config's attacks on a
// cloud's capture file, scored with the edge's secrets file.
//
// -set KEY=VALUE (repeatable) overrides a field of the config file for this run, as if it
// were written in the file, with the same checks and messages (naming the -set argument):
// KEY is a field's dotted path (mixing.group_size, train.epochs, mixing.matrix, attacks, …)
// and VALUE one YAML value ([1, 2], cosine, "[[0.7, 0.3], [0.6, 0.4]]"). Overriding a swept
// field fixes it in every cell; sweep.FIELD=[…] sets a sweep axis, sweep.FIELD=null removes
// it, sweep={} removes the sweep. The resolved config.yaml of the run holds the result. See
// config.Overrides.
//
// A run holds an exclusive lock on DIR: a second run or merge into it exits 1 at once, naming
// the process that holds it. A panic in one cell fails that cell (its stack in the log and in
// DIR/cells/<id>/panic.log); the other cells go on.
//
// Progress goes to stderr: with one job and a terminal, a bar per cell; with several jobs and
// a terminal, a bar of cells done; otherwise one line per cell event (for batch-job logs).
// SIGINT or SIGTERM stops the run: cells in progress are abandoned, finished ones kept, the
// results files are written over them, and runexp exits 130 with a line saying how many cells
// finished (a second SIGINT kills it at once, which loses nothing more).
//
// The exit code is 0 only if every cell succeeded, 2 for a usage error, 130 when interrupted
// and 1 for any other error (a bad config, a missing dataset, a failed cell), printed as one
// line on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/results"
	"github.com/datamix/harness/results/plot"
)

const usage = `usage:
  runexp run -config FILE [-set KEY=VALUE]... [-out DIR] [-jobs N] [-shard i/n] [-tiny] [-reuse DIR]...
  runexp cells -config FILE [-set KEY=VALUE]... [-shard i/n]
  runexp merge -out DIR [-allow-missing] DIR...
  runexp plot DIR
  runexp export [-out DIR] CELL_DIR
  runexp wire -config FILE [-set KEY=VALUE]... [-out DIR] [-jobs N] [-tiny] [-in-process]
  runexp cloud -body FILE [-tail FILE] [-listen ADDR] [-metrics ADDR] [-max-batch N] [-max-delay D]
               [-conn-queue N] [-max-message BYTES] [-capture FILE] [-tls-cert F -tls-key F [-tls-client-ca F]]
  runexp edge -config FILE [-cell ID] [-run DIR] [-cloud ADDR] [-n N] [-pool N] [-link NAME]
              [-tls-ca F [-tls-cert F -tls-key F]] [-record FILE]
  runexp attack -capture FILE -secrets FILE -config FILE [-cell ID] [-run DIR] [-out FILE]

Commands:
  run    train and evaluate every cell of a config (finished cells in DIR are kept); see README.md
  cells  check a config and list its cells (index, id, variant, swept values)
  merge  combine the run directories of a sharded sweep into one (see deploy/README.md)
  export write a cell's trained network as .npz (PyTorch names) and its arch.yaml (default CELL_DIR/export)
  plot   redraw DIR/plots/ from DIR/results.json (and DIR/wire.json)
  wire   train a config's cells, then serve each over gRPC to edges through emulated links and
         measure latency, throughput, bytes and CPU time (wire.csv, summary.md, plots)
  cloud  serve a trained cell's body (its body file alone) to edges over gRPC, until SIGTERM
  edge   serve a config's test images through a cloud as the cell's edge (head, mixing, tail)
  attack run a config's attacks on a cloud's capture file, scored with the edge's secrets

-set KEY=VALUE overrides a field of the config file, checked as if written in it:
  -set mixing.group_size=4 -set train.epochs=1     any field by its dotted path (not a section)
  -set mixing.matrix='[[0.7, 0.3], [0.6, 0.4]]'    VALUE is one YAML value (lists in flow style)
  -set 'attacks=[{kind: ica, victims: 100}]'       a list of attacks replaces the file's
  -set sweep.seed='[1, 2, 3]'  -set sweep.seed=null  set or remove one swept field
  -set 'sweep={}'                                  no sweep at all
A swept field that is overridden takes the value in every cell. A relative dataset.path is
relative to the working directory. The run's config.yaml records the overridden values.
`

// exitInterrupted is the exit code of a run stopped by a signal: 128 + SIGINT, as shells report.
const exitInterrupted = 130

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal gets the default action: exit at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage marks errors caused by how the command was called.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "cells":
		err = cmdCells(args[1:], stdout, stderr)
	case "merge":
		err = cmdMerge(args[1:], stdout, stderr)
	case "plot":
		err = cmdPlot(args[1:], stdout, stderr)
	case "export":
		err = cmdExport(args[1:], stdout, stderr)
	case "wire":
		err = cmdWire(ctx, args[1:], stdout, stderr)
	case "cloud":
		err = cmdCloud(ctx, args[1:], stdout, stderr)
	case "edge":
		err = cmdEdge(ctx, args[1:], stdout, stderr)
	case "attack":
		err = cmdAttack(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "runexp: unknown command %q\n%s", args[0], usage)
		return 2
	}
	var interrupted *experiments.InterruptedError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &interrupted):
		fmt.Fprintf(stderr, "runexp: %v\n", err)
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "runexp: %v\n", err)
		return 1
	}
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "experiment config (YAML)")
	out := fs.String("out", "", "output directory (default runs/<name>, or runs/<name>/shard-<i>-of-<n>)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "cells computed at once")
	shardFlag := fs.String("shard", "", "run only shard i/n: the cells whose index is i modulo n")
	tiny := fs.Bool("tiny", false, "smoke test: every cell on a few examples for one epoch (default -out runs/<name>-tiny)")
	var sets config.Overrides
	fs.Var((*setFlag)(&sets), "set", "override a config field (repeatable; see runexp -h)")
	var reuse listFlag
	fs.Var(&reuse, "reuse", "another run directory whose trained networks cells may take (repeatable)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "runexp run: need -config FILE and no other arguments\n")
		return errUsage
	}
	if *jobs < 1 {
		fmt.Fprintf(stderr, "runexp run: -jobs %d, need at least 1\n", *jobs)
		return errUsage
	}
	var shard experiments.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = experiments.ParseShard(*shardFlag); err != nil {
			fmt.Fprintf(stderr, "runexp run: -shard: %v\n", err)
			return errUsage
		}
	}
	cfg, err := config.LoadWith(*cfgPath, sets)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *tiny {
		cfg.Tiny()
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", cfg.Name)
		if *tiny {
			dir += "-tiny"
		}
		if shard.Count > 0 {
			dir = filepath.Join(dir, fmt.Sprintf("shard-%d-of-%d", shard.Index, shard.Count))
		}
	}
	obs := newObserver(stderr, *jobs)
	rows, err := experiments.RunContext(ctx, cfg, experiments.Options{Out: dir, Observer: obs, Jobs: *jobs, Shard: shard, Reuse: reuse})
	obs.finish()
	if len(rows) > 0 {
		fmt.Fprintf(stdout, "%d cells written to %s (results.csv, results.json, summary.md)\n", len(rows), dir)
		if perr := redraw(dir, stdout, stderr); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

func cmdCells(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cells", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "experiment config (YAML)")
	shardFlag := fs.String("shard", "", "list only shard i/n")
	var sets config.Overrides
	fs.Var((*setFlag)(&sets), "set", "override a config field (repeatable; see runexp -h)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *cfgPath == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "runexp cells: need -config FILE and no other arguments\n")
		return errUsage
	}
	var shard experiments.Shard
	if *shardFlag != "" {
		var err error
		if shard, err = experiments.ParseShard(*shardFlag); err != nil {
			fmt.Fprintf(stderr, "runexp cells: -shard: %v\n", err)
			return errUsage
		}
	}
	cfg, err := config.LoadWith(*cfgPath, sets)
	if err != nil {
		return err
	}
	cells, err := config.Expand(cfg)
	if err != nil {
		return err
	}
	for i, c := range cells {
		if shard.Has(i) {
			fmt.Fprintf(stdout, "%d\t%s\n", i, c)
		}
	}
	return nil
}

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output directory")
	allowMissing := fs.Bool("allow-missing", false, "merge even if some cells have no row yet")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *out == "" || fs.NArg() == 0 {
		fmt.Fprint(stderr, "runexp merge: need -out DIR and at least one run directory\n")
		return errUsage
	}
	rows, err := experiments.Merge(*out, fs.Args(), *allowMissing)
	var missing *experiments.MissingError
	if err != nil && !(errors.As(err, &missing) && *allowMissing) {
		return err
	}
	if missing != nil {
		fmt.Fprintf(stderr, "runexp merge: note: %v\n", err)
	}
	fmt.Fprintf(stdout, "%d cells from %d directories merged into %s (results.csv, results.json, summary.md)\n", len(rows), fs.NArg(), *out)
	return redraw(*out, stdout, stderr)
}

func cmdPlot(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "runexp plot: need exactly one run directory\n")
		return errUsage
	}
	return redraw(fs.Arg(0), stdout, stderr)
}

// redraw rewrites the attack × defence matrix of the run directory dir
// (dir/defence_matrix.csv, removed when no attack ran) and redraws its figures into dir/plots,
// both from dir/results.json alone, and reports what it drew and left out; when there is
// nothing to plot it says why, and dir/plots holds nothing (see plot.Draw).
func redraw(dir string, stdout, stderr io.Writer) error {
	rows, err := results.ReadJSON(filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	if _, err := results.WriteDefenceMatrix(filepath.Join(dir, results.DefenceMatrixFile), rows); err != nil {
		return err
	}
	out := filepath.Join(dir, plot.Dir)
	rep, err := plot.Draw(out, rows)
	if err != nil {
		return err
	}
	if points, err := results.ReadWireJSON(filepath.Join(dir, results.WireJSONFile)); err == nil {
		wrep, err := plot.DrawWire(out, points)
		if err != nil {
			return err
		}
		rep.Figures = append(rep.Figures, wrep.Figures...)
		rep.Notes = append(rep.Notes, wrep.Notes...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(stderr, "runexp plot: note: %s\n", n)
	}
	if len(rep.Figures) == 0 {
		fmt.Fprintf(stdout, "nothing to plot in %s: %s\n", dir, strings.Join(rep.Skipped, "; "))
		return nil
	}
	fmt.Fprintf(stdout, "%d plots drawn in %s (PNG and SVG)\n", len(rep.Figures), out)
	return nil
}

// listFlag collects the values of a repeatable flag in order.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// setFlag collects the -set arguments in order.
type setFlag config.Overrides

func (s *setFlag) String() string { return strings.Join(*s, " ") }

func (s *setFlag) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || strings.TrimSpace(k) == "" {
		return errors.New("need KEY=VALUE, e.g. mixing.group_size=4")
	}
	*s = append(*s, v)
	return nil
}
