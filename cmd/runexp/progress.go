package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/results"
)

// observer shows a run's progress on stderr. With a terminal and one job it draws a bar per
// cell phase (training, evaluation); with a terminal and several jobs, one bar of cells done
// out of all, with a line above it per finished cell; without a terminal (batch-job logs) it
// writes a line when a cell starts, after each of its epochs and when it ends, each line
// naming its cell, so that the lines of concurrent cells can be told apart. A cell that ran
// attacks ends with the wall time of each (the attacks are a large share of the privacy and
// defence runs, and this line is where a regeneration's log says which attack cost what).
// experiments.Run serialises the calls, so observer needs no lock of its own.
type observer struct {
	w     io.Writer
	tty   bool
	jobs  int
	cells map[int]*cellState // the cells computing now, by index
	done  int                // cells finished (computed, failed or resumed) so far
	total int

	bar   *progressbar.ProgressBar // the cell's phase bar (one job) or the bar of cells (several)
	phase string                   // the phase the one-job bar shows

	now func() time.Time // the clock (a test's own)
}

// cellState is what the observer remembers of a computing cell.
type cellState struct {
	start time.Time
	last  experiments.Progress // latest progress, logged when an epoch ends (no terminal)

	attack      string    // the attack running, "" if none
	attackStart time.Time // when it started
	attacks     []attackTime
}

// attackTime is the wall time one attack of a cell took.
type attackTime struct {
	name string
	d    time.Duration
}

// timeAttack follows the cell's attacks: an attack ends when the next starts or the attacks
// (or the cell) end.
func (s *cellState) timeAttack(attack string, now time.Time) {
	if attack == s.attack {
		return
	}
	if s.attack != "" {
		s.attacks = append(s.attacks, attackTime{s.attack, now.Sub(s.attackStart)})
	}
	s.attack, s.attackStart = attack, now
}

// attackSummary is "; attacks 5m1s: fora 3m10s, unsplit 1m20s, … (+3 under 0.5s)" for a
// cell that ran attacks, "" for one that did not: the attacks in the order they ran, those
// that round to 0s only counted.
func (s *cellState) attackSummary() string {
	if len(s.attacks) == 0 {
		return ""
	}
	var total time.Duration
	var parts []string
	quick := 0
	for _, a := range s.attacks {
		total += a.d
		if d := a.d.Round(time.Second); d > 0 {
			parts = append(parts, a.name+" "+d.String())
		} else {
			quick++
		}
	}
	list := strings.Join(parts, ", ")
	switch {
	case quick > 0 && len(parts) == 0:
		list = fmt.Sprintf("%d under 0.5s", quick)
	case quick > 0:
		list += fmt.Sprintf(" (+%d under 0.5s)", quick)
	}
	return fmt.Sprintf("; attacks %v: %s", total.Round(time.Second), list)
}

func newObserver(w io.Writer, jobs int) *observer {
	f, ok := w.(*os.File)
	return &observer{w: w, tty: ok && term.IsTerminal(int(f.Fd())), jobs: jobs, cells: map[int]*cellState{}, now: time.Now}
}

// line writes one log line, keeping a bar of cells below it.
func (o *observer) line(format string, args ...any) {
	if o.bar != nil && o.jobs > 1 {
		o.bar.Clear()
	}
	fmt.Fprintf(o.w, format+"\n", args...)
	if o.bar != nil && o.jobs > 1 {
		o.bar.RenderBlank()
	}
}

// newBar makes a progress bar of steps steps on the observer's writer: its count, elapsed and
// predicted time, cleared when finished, redrawn at most every 100 ms.
func (o *observer) newBar(steps int) *progressbar.ProgressBar {
	return progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(o.w),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// cellsBar makes sure the bar of cells exists (terminal, several jobs) and shows the count.
func (o *observer) cellsBar() {
	if !o.tty || o.jobs <= 1 {
		return
	}
	if o.bar == nil {
		o.bar = o.newBar(o.total)
	}
	o.bar.Describe(fmt.Sprintf("cells (%d running)", len(o.cells)))
	o.bar.Set(o.done)
}

func (o *observer) CellResumed(i, n int, c *config.Cell, row *results.Row) {
	o.total = n
	o.done++
	o.line("cell %d/%d %s: finished earlier, accuracy %.2f%% (resumed) %s", i+1, n, c.ID, 100*row.Accuracy, c.Label())
	o.cellsBar()
}

func (o *observer) CellStale(i, n int, c *config.Cell) {
	o.line("cell %d/%d %s: finished earlier, but before data fingerprints were recorded: nothing says which data it was computed on, so it is computed again %s", i+1, n, c.ID, c.Label())
}

func (o *observer) CellStart(i, n int, c *config.Cell) {
	o.total = n
	o.cells[i] = &cellState{start: o.now()}
	if !o.tty || o.jobs > 1 {
		o.line("cell %d/%d %s: start %s", i+1, n, c.ID, c.Label())
	}
	o.cellsBar()
}

func (o *observer) Progress(i int, c *config.Cell, p experiments.Progress) {
	s := o.cells[i]
	if s == nil {
		return
	}
	if p.Phase == "attack" {
		s.timeAttack(p.Attack, o.now())
	}
	if !o.tty {
		if s.last.Phase == "train" && (p.Phase != "train" || p.Epoch != s.last.Epoch) {
			o.logEpoch(i, s)
		}
		s.last = p
		return
	}
	if o.jobs > 1 {
		return // the bar of cells moves when cells end
	}
	if p.Phase != o.phase {
		o.finishBar()
		o.phase = p.Phase
		o.bar = o.newBar(p.Steps)
	}
	switch {
	case p.Phase == "train":
		o.bar.Describe(fmt.Sprintf("cell %d/%d %s  epoch %d/%d  loss %.4f  acc %.2f%%", i+1, o.total, c.Label(), p.Epoch, p.Epochs, p.Loss, 100*p.Accuracy))
	case p.Phase == "attack" && p.Attack != "":
		o.bar.Describe(fmt.Sprintf("cell %d/%d %s  attack %s", i+1, o.total, c.Label(), p.Attack))
	default:
		o.bar.Describe(fmt.Sprintf("cell %d/%d %s  evaluating", i+1, o.total, c.Label()))
	}
	o.bar.Set(p.Step)
}

func (o *observer) CellEnd(i, n int, c *config.Cell, row *results.Row, err error) {
	s := o.cells[i]
	if s == nil {
		s = &cellState{start: o.now()}
	}
	delete(o.cells, i)
	o.done++
	if o.jobs <= 1 {
		o.finishBar()
	}
	if !o.tty && s.last.Phase == "train" {
		o.logEpoch(i, s) // the cell stopped during training
	}
	now := o.now()
	s.timeAttack("", now)
	d := now.Sub(s.start).Round(time.Second)
	switch {
	case errors.Is(err, context.Canceled):
		o.line("cell %d/%d %s: stopped after %v (interrupted; it reruns when the command is repeated)", i+1, n, c.ID, d)
	case err != nil:
		o.line("cell %d/%d %s: FAILED after %v: %v [%d/%d done]", i+1, n, c.ID, d, err, o.done, n)
		var pe *experiments.PanicError
		if errors.As(err, &pe) { // a bug: its stack goes to the log too
			o.line("%s", strings.TrimRight(string(pe.Stack), "\n"))
		}
	default:
		o.line("cell %d/%d %s: accuracy %.2f%% (%v%s) %s [%d/%d done]", i+1, n, c.ID, 100*row.Accuracy, d, s.attackSummary(), c.Label(), o.done, n)
	}
	o.cellsBar()
}

func (o *observer) logEpoch(i int, s *cellState) {
	o.line("cell %d/%d epoch %d/%d: loss %.4f, train accuracy %.2f%% (%v)",
		i+1, o.total, s.last.Epoch, s.last.Epochs, s.last.Loss, 100*s.last.Accuracy, o.now().Sub(s.start).Round(time.Second))
}

func (o *observer) finishBar() {
	if o.bar != nil {
		o.bar.Finish()
		o.bar = nil
	}
	o.phase = ""
}

// finish removes any bar left at the end of a run.
func (o *observer) finish() { o.finishBar() }
