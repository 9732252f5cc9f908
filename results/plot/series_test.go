package plot

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/datamix/harness/results"
	"github.com/datamix/harness/results/plot/internal/plottest"
)

// TestSeriesStyle: of the fields that make the lines, the last of two values (shuffling) is
// drawn thick and thin, shuffle off thick; every value of the others gets its own colour, and
// past the palette's ten a marker shape of its own as well, so that no two lines look alike.
func TestSeriesStyle(t *testing.T) {
	var rows []results.Row
	for split := range 3 {
		for _, shuffle := range []bool{true, false} {
			r := plottest.Cell(split, 2, 1, 0.9, nil)
			r.Shuffle = shuffle
			rows = append(rows, r)
		}
	}
	st := newSeriesStyle(results.GroupBySeeds(rows), "group_size")
	if st.style < 0 || st.by[st.style].Name() != "shuffle" || !slices.Equal(st.labels, []string{"shuffle off", "shuffle on"}) {
		t.Fatalf("style field %d of %d, labels %q; want shuffle, off then on", st.style, len(st.by), st.labels)
	}
	if !slices.Equal(st.names, []string{"split 0", "split 1", "split 2"}) {
		t.Errorf("colours %q, want one per split", st.names)
	}
	for _, s := range st.split(rows, accuracyQ()) {
		if s.thick != (s.label[len(s.label)-3:] == "off") {
			t.Errorf("series %q: thick %v", s.label, s.thick)
		}
	}

	// Shuffling alone: two colours, shuffle off thick.
	st = newSeriesStyle(results.GroupBySeeds(rows[:2]), "group_size")
	if !st.alone || len(st.colours) != 2 {
		t.Errorf("shuffling alone: alone %v, %d colours; want true and 2", st.alone, len(st.colours))
	}

	// Twelve colour keys: twelve different looks, the eleventh and twelfth with the palette's
	// first colours but another shape.
	st = seriesStyle{style: -1}
	for i := range 12 {
		st.colours = append(st.colours, fmt.Sprint(i))
	}
	looks := map[string]bool{}
	for _, k := range st.colours {
		c, g := st.look(k)
		looks[fmt.Sprintf("%v %T", c, g)] = true
	}
	if len(looks) != 12 {
		t.Errorf("%d looks for 12 lines", len(looks))
	}
}

// TestCoincidence names the lines that coincide, within 0.6% of the panel's span.
func TestCoincidence(t *testing.T) {
	var rows []results.Row
	for _, split := range []int{0, 1} {
		for _, shuffle := range []bool{false, true} {
			for _, k := range []int{2, 4} {
				acc := 0.99 - 0.01*float64(k) - 0.02*float64(split)
				if split == 0 && shuffle {
					acc -= 0.005 // apart at split 0: 0.5 of a 4-point span
				}
				r := plottest.Cell(split, k, 1, acc, nil)
				r.Shuffle = shuffle
				rows = append(rows, r)
			}
		}
	}
	st := newSeriesStyle(results.GroupBySeeds(rows), "group_size")
	p := plot.New()
	p.Y.Min, p.Y.Max = 90, 100
	if got, want := coincidence(p, st.split(rows, accuracyQ()), st), "split 1: shuffle off = on"; got != want {
		t.Errorf("coincidence = %q, want %q", got, want)
	}
	for i := range rows {
		if rows[i].Split == 0 && rows[i].Shuffle {
			rows[i].Accuracy += 0.005 - 0.0004 // 0.04 points apart: within 0.6% of 10 points
		}
	}
	if got, want := coincidence(p, st.split(rows, accuracyQ()), st), "shuffle off and on alike on every line"; got != want {
		t.Errorf("coincidence = %q, want %q", got, want)
	}
	for i := range rows {
		rows[i].Accuracy = 0.9
	}
	if got, want := coincidence(p, st.split(rows, accuracyQ()), st), "all lines coincide"; got != want {
		t.Errorf("coincidence = %q, want %q", got, want)
	}
}

// TestSetY: an accuracy axis shows no tick above 100% and reaches past it by at most 2% of
// its span, however close the data come; a quantity equal everywhere gets a window below its
// bound; a chance level far below the data is not made to fit.
func TestSetY(t *testing.T) {
	for _, tc := range []struct {
		name           string
		lo, hi         float64
		b              bounds
		wantLo, wantHi float64
	}{
		{"accuracy near 100%", 90.4, 99.3, percentBounds, 90.4 - 0.06*8.9, 99.3 + 0.06*8.9},
		{"accuracy at 100%", 97, 100, percentBounds, 97 - 0.06*3, 100 + 0.02*3},
		// The window [0.95, 1.05] of a value of 1, moved below the bound: [0.9, 1].
		{"a fraction equal to 1 everywhere", 1, 1, fractionBounds, 0.9 - 0.06*0.1, 1 + 0.02*0.1},
		{"SSIM from 0", 0, 0.8, bounds{-1, 1}, -0.06 * 0.8, 0.8 + 0.06*0.8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plot.New()
			setY(p, yRange{tc.lo, tc.hi}, tc.b)
			// 1e-9: float64 rounding of the margins.
			if math.Abs(p.Y.Min-tc.wantLo) > 1e-9 || math.Abs(p.Y.Max-tc.wantHi) > 1e-9 {
				t.Errorf("y axis [%v, %v], want [%v, %v]", p.Y.Min, p.Y.Max, tc.wantLo, tc.wantHi)
			}
			for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
				if tk.Value < tc.b.lo || tk.Value > tc.b.hi {
					t.Errorf("tick %v outside [%v, %v]", tk.Value, tc.b.lo, tc.b.hi)
				}
			}
		})
	}

	r := yRange{0.6, 0.97}
	if r.near(0.12) || !r.near(0.45) {
		t.Errorf("near(0.12) = %v, near(0.45) = %v; want false, true", r.near(0.12), r.near(0.45))
	}
}

// TestAccuracyAxisBound draws an accuracy figure whose best point is at 99.92% and checks that
// the axis reaches at most 2% of its span past 100%, with no tick there, and that the panel
// draws no legend of its own (legends stand beside the panels; the committed figures once
// reached 104% to make room for one).
func TestAccuracyAxisBound(t *testing.T) {
	rows := plottest.WithShuffleOff(plottest.AccuracySweep())
	for i := range rows {
		if rows[i].GroupSize == 1 {
			rows[i].Accuracy = 0.9992
		}
	}
	pl := &drawing{rows: rows}
	pl.accuracyVsGroupSize()
	p := pl.figs[0].plots[0]
	if span := p.Y.Max - p.Y.Min; p.Y.Max > 100+0.02*span {
		t.Errorf("accuracy axis up to %v%%", p.Y.Max)
	}
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Value > 100 {
			t.Errorf("accuracy tick at %v%%", tk.Value)
		}
	}
	if r := p.Legend.Rectangle(draw.New(vgimg.New(100, 100))); r.Size().X != 0 {
		t.Errorf("the panel has a legend of width %v over its data", r.Size().X)
	}
}

// TestTickLabelsDistinct: the labelled ticks of a narrow accuracy range read differently.
func TestTickLabelsDistinct(t *testing.T) {
	ticks := boundedTicks{percentBounds}.Ticks(91.55, 91.69)
	seen := map[string]bool{}
	for _, tk := range ticks {
		if tk.IsMinor() {
			continue
		}
		if seen[tk.Label] {
			t.Fatalf("label %q repeats in %v", tk.Label, ticks)
		}
		seen[tk.Label] = true
	}
	if len(seen) < 2 {
		t.Fatalf("%d labelled ticks in %v", len(seen), ticks)
	}
}
