package experiments

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/results"
)

// PanicLogFile is the file in a cell's directory that holds the stack of a panic the cell
// hit; a later attempt at the cell removes it.
const PanicLogFile = "panic.log"

// PanicError is the error of a cell whose computation panicked: a bug, not bad input. The
// run goes on with the other cells; this one fails, and reruns when the command is repeated.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the stack of the panicking goroutine (runtime/debug.Stack)
	Log   string // the file the stack was written to; "" if it could not be written
}

func (e *PanicError) Error() string {
	where := "its stack is in the log"
	if e.Log != "" {
		where = "stack in " + e.Log
	}
	return fmt.Sprintf("panic: %v (%s)", e.Value, where)
}

// runCellRecover is runCell with a panic turned into the cell's error, a *PanicError whose
// stack is also written to the cell's PanicLogFile, so that one cell's bug does not end a
// sweep of many.
func runCellRecover(ctx context.Context, c *config.Cell, out string, ds *datasets.Dataset, dp DataPrint, pre *trainedNet, progress func(Progress)) (row *results.Row, err error) {
	dir := filepath.Join(out, "cells", c.ID)
	os.Remove(filepath.Join(dir, PanicLogFile)) // the note of an earlier attempt
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		pe := &PanicError{Value: r, Stack: debug.Stack()}
		log := filepath.Join(dir, PanicLogFile)
		msg := fmt.Sprintf("cell %s (%s) panicked: %v\n\n%s", c.ID, c.Label(), r, pe.Stack)
		if os.MkdirAll(dir, 0o755) == nil && os.WriteFile(log, []byte(msg), 0o644) == nil {
			pe.Log = log
		}
		row, err = nil, pe
	}()
	return runCell(ctx, c, out, ds, dp, pre, progress)
}
