package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/datamix/harness/experiments"
)

// cmdExport writes a finished cell's network for use outside the harness (experiments.Export):
// runexp export [-out DIR] CELL_DIR.
func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output directory (default CELL_DIR/export)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "runexp export: need exactly one cell directory (runs/<name>/cells/<id>)\n")
		return errUsage
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join(fs.Arg(0), "export")
	}
	files, err := experiments.Export(fs.Arg(0), dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}
