package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/results"
)

// observer shows a run's progress on stderr: a progress bar per cell when stderr is a
// terminal, otherwise a log line when a cell starts, after each epoch and when it ends (for
// batch-job logs).
type observer struct {
	w     io.Writer
	tty   bool
	bar   *progressbar.ProgressBar
	phase string
	start time.Time
	last  experiments.Progress // latest progress, logged when an epoch ends (no terminal)
}

func newObserver(w io.Writer) *observer {
	f, ok := w.(*os.File)
	return &observer{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (o *observer) CellStart(i, n int, c *experiments.Cell) {
	o.start = time.Now()
	if !o.tty {
		fmt.Fprintf(o.w, "cell %d/%d %s: %s\n", i+1, n, c.ID, c.Label())
	}
	o.phase = ""
}

func (o *observer) Progress(i int, c *experiments.Cell, p experiments.Progress) {
	if !o.tty {
		if o.last.Phase == "train" && (p.Phase != "train" || p.Epoch != o.last.Epoch) {
			o.logEpoch(i)
		}
		o.last = p
		return
	}
	if p.Phase != o.phase {
		o.finish()
		o.phase = p.Phase
		o.bar = progressbar.NewOptions(p.Steps,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	if p.Phase == "train" {
		o.bar.Describe(fmt.Sprintf("cell %d %s  epoch %d/%d  loss %.4f  acc %.2f%%", i+1, c.Label(), p.Epoch, p.Epochs, p.Loss, 100*p.Accuracy))
	} else {
		o.bar.Describe(fmt.Sprintf("cell %d %s  evaluating", i+1, c.Label()))
	}
	o.bar.Set(p.Step)
}

func (o *observer) CellEnd(i, n int, c *experiments.Cell, row *results.Row, err error) {
	o.finish()
	if !o.tty && o.last.Phase == "train" {
		o.logEpoch(i) // the cell failed during training
	}
	o.last = experiments.Progress{}
	d := time.Since(o.start).Round(time.Second)
	switch {
	case err != nil:
		fmt.Fprintf(o.w, "cell %d/%d %s: FAILED after %v: %v\n", i+1, n, c.Label(), d, err)
	default:
		fmt.Fprintf(o.w, "cell %d/%d %s: accuracy %.2f%% (%v)\n", i+1, n, c.Label(), 100*row.Accuracy, d)
	}
}

func (o *observer) logEpoch(i int) {
	fmt.Fprintf(o.w, "cell %d epoch %d/%d: loss %.4f, train accuracy %.2f%% (%v)\n",
		i+1, o.last.Epoch, o.last.Epochs, o.last.Loss, 100*o.last.Accuracy, time.Since(o.start).Round(time.Second))
}

func (o *observer) finish() {
	if o.bar != nil {
		o.bar.Finish()
		o.bar = nil
	}
	o.phase = ""
}
