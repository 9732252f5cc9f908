package plot

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/datamix/harness/results"
)

// This file draws the figures of a wire study (runexp wire) from its points
// (results.WireRow, wire.json): latency against the link's bandwidth, and throughput, p95
// latency and the cloud's batch size against the number of edges, a panel per network.

// The figures of a wire study.
const (
	WireLatencyFigure = "wire_latency_vs_bandwidth"
	WireScalingFigure = "wire_scaling_vs_edges"
)

// WireNotesFile lists, one a line, the points the last DrawWire left out (NotesFile's
// counterpart for the wire figures); it is removed when there is nothing to note.
const WireNotesFile = "wire_notes.txt"

// writeNotesTo writes notes to path, one a line, or removes path when there are none.
func writeNotesTo(path string, notes []string) error {
	if len(notes) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("plot: %w", err)
		}
		return nil
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(notes, "\n")+"\n")
		return err
	})
}

// DrawWire draws the figures of a wire study's points into the folder out, beside those Draw
// drew from the run's rows, as NAME.png and NAME.svg:
//
//   - wire_latency_vs_bandwidth: a panel per network (dataset and architecture), the median
//     latency of an input (solid) and its 95th percentile (dashed) against the uplink's
//     bandwidth of each link profile of the latency phase, a line per served variant, the
//     everything-on-the-edge latency as a grey reference line; both axes logarithmic;
//   - wire_scaling_vs_edges: a row per network, three panels against the number of edges
//     at once: the inputs served per second by all edges, the 95th-percentile latency, and
//     the rows per body run of the cloud's dynamic batcher.
//
// A point whose plotted value is not finite (or not positive on a logarithmic axis) is left
// out with a note; a figure with nothing to draw is skipped. The notes are written to
// WireNotesFile. Stale wire figures of an earlier drawing are removed.
func DrawWire(out string, rows []results.WireRow) (Report, error) {
	wd := &wireDrawing{items: map[*plot.Plot][]legendItem{}}
	var figs []figure
	if f, ok := wd.latencyFigure(rows); ok {
		figs = append(figs, f)
	}
	if f, ok := wd.scalingFigure(rows); ok {
		figs = append(figs, f)
	}
	rep := Report{Notes: wd.notes}
	if len(figs) > 0 || len(rep.Notes) > 0 {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return rep, fmt.Errorf("plot: %w", err)
		}
	}
	keep := map[string]bool{}
	for _, f := range figs {
		for _, format := range []string{"png", "svg"} {
			name := f.name + "." + format
			if err := results.WriteFileAtomic(filepath.Join(out, name), func(w io.Writer) error { return f.render(w, format) }); err != nil {
				return rep, err
			}
			keep[name] = true
		}
		rep.Figures = append(rep.Figures, f.name)
	}
	stale, _ := filepath.Glob(filepath.Join(out, "wire_*"))
	for _, p := range stale {
		if (strings.HasSuffix(p, ".png") || strings.HasSuffix(p, ".svg")) && !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return rep, fmt.Errorf("plot: %w", err)
			}
		}
	}
	if err := writeNotesTo(filepath.Join(out, WireNotesFile), rep.Notes); err != nil {
		return rep, err
	}
	return rep, nil
}

// wireDrawing collects the notes and legends of one DrawWire.
type wireDrawing struct {
	notes []string
	items map[*plot.Plot][]legendItem
}

// network names a served network: "MNIST, mnist-cnn".
func network(r results.WireRow) string { return strings.ToUpper(r.Dataset) + ", " + r.Arch }

// networks lists the networks of rows in order of appearance.
func networks(rows []results.WireRow) []string {
	var out []string
	for _, r := range rows {
		if n := network(r); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// wireLine is one served variant of one network: its label and colour.
type wireLine struct {
	label  string
	colour color.NRGBA
	shape  draw.GlyphDrawer
}

// variantLine labels and colours a point's variant: the same variant has the same look in
// every panel and figure.
func variantLine(r results.WireRow) wireLine {
	switch r.Variant {
	case results.WireEdgeOnly:
		return wireLine{"everything on the edge", color.NRGBA{0x59, 0x59, 0x59, 255}, draw.CircleGlyph{}}
	case results.WireCloudPNG:
		return wireLine{"PNG upload, all in the cloud", palette[0], draw.SquareGlyph{}}
	case results.WireSplit:
		return wireLine{fmt.Sprintf("split %d, k = 1 (plain split)", r.Split), palette[1], draw.TriangleGlyph{}}
	}
	i := 2 + int(math.Log2(float64(max(r.GroupSize, 2)))) - 1
	return wireLine{fmt.Sprintf("split %d, DataMix k = %d", r.Split, r.GroupSize), palette[i%len(palette)], shapes[i%len(shapes)]}
}

// lineKey tells a variant's line apart within a network.
func lineKey(r results.WireRow) string {
	return fmt.Sprintf("%s/%d/%d", r.Variant, r.Split, r.GroupSize)
}

// wirePoint is a plotted value of a point, with whether it may be drawn.
func (wd *wireDrawing) usable(fig string, r results.WireRow, what string, v float64, logAxis bool) bool {
	if finite(v) && (!logAxis || v > 0) {
		return true
	}
	wd.notes = append(wd.notes, fmt.Sprintf("%s: %s %s k=%d through %s with %d edge(s): %s is %s, left out", fig, network(r), r.Variant, r.GroupSize, r.Link, r.Edges, what, formatFloat(v)))
	return false
}

// addWireLine draws xys in the look of l, dashed when dashed is set.
func addWireLine(p *plot.Plot, xys plotter.XYs, l wireLine, dashed bool) (thumb, error) {
	ls, gs := lineStyles(l.colour, l.shape, false)
	if dashed {
		ls.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	line, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return thumb{}, err
	}
	line.LineStyle, pts.GlyphStyle = ls, gs
	p.Add(line, pts)
	return thumb{line: ls, glyph: gs}, nil
}

// logTicks returns ticks at the powers of ten within [lo, hi], labelled without exponents,
// and at 2× and 5× them, labelled too when [lo, hi] spans less than two decades.
func logTicks(lo, hi float64) plot.ConstantTicks {
	few := math.Log10(hi/lo) < 2
	var t plot.ConstantTicks
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			label := ""
			if m == 1 || few {
				label = formatFloat(v)
			}
			t = append(t, plot.Tick{Value: v, Label: label})
		}
	}
	return t
}

// shortTicks are gonum's default ticks, labelled in the shortest form ("25", not "25.00").
type shortTicks struct{}

func (shortTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = formatFloat(ts[i].Value)
		}
	}
	return ts
}

// latencyFigure draws wire_latency_vs_bandwidth from the latency phase's points.
func (wd *wireDrawing) latencyFigure(rows []results.WireRow) (figure, bool) {
	const fig = WireLatencyFigure
	var lat []results.WireRow
	for _, r := range rows {
		if r.Phase == "latency" {
			lat = append(lat, r)
		}
	}
	nets := networks(lat)
	if len(nets) == 0 {
		return figure{}, false
	}
	f := figure{name: fig, title: "End-to-end latency of an input against the uplink's bandwidth (one edge, pools of " + poolsOf(lat) + "; solid: median, dashed: p95; log–log)",
		cols: min(len(nets), 2), panelW: gridW, panelH: gridH, rowSide: map[int][]block{}}
	var legend []legendItem
	addLegend := func(label string, t plot.Thumbnailer) {
		if !slices.ContainsFunc(legend, func(it legendItem) bool { return it.text == label }) {
			legend = append(legend, legendItem{label, []plot.Thumbnailer{t}})
		}
	}
	var linkNames []string
	for _, net := range nets {
		// Short axis labels: gonum/plot shrinks a panel's data area to the length of its
		// y label.
		p := newPlot(net, "uplink (Mbit/s)", "latency (ms)")
		p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
		xr, yr := newYRange(), newYRange()
		var keys []string
		byKey := map[string][]results.WireRow{}
		var edgeOnly []results.WireRow
		for _, r := range lat {
			if network(r) != net {
				continue
			}
			if r.Variant == results.WireEdgeOnly {
				if wd.usable(fig, r, "p50 latency", r.LatencyP50MS, true) {
					edgeOnly = append(edgeOnly, r)
					yr.add(r.LatencyP50MS)
				}
				continue
			}
			if !wd.usable(fig, r, "uplink bandwidth", r.LinkUpMbit, true) || !wd.usable(fig, r, "p50 latency", r.LatencyP50MS, true) ||
				!wd.usable(fig, r, "p95 latency", r.LatencyP95MS, true) {
				continue
			}
			k := lineKey(r)
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], r)
			xr.add(r.LinkUpMbit)
			yr.add(r.LatencyP50MS, r.LatencyP95MS)
			if !slices.Contains(linkNames, r.Link) {
				linkNames = append(linkNames, r.Link)
			}
		}
		if len(keys) == 0 {
			continue
		}
		for _, k := range keys {
			pts := byKey[k]
			slices.SortFunc(pts, func(a, b results.WireRow) int { return cmpFloat(a.LinkUpMbit, b.LinkUpMbit) })
			p50, p95 := make(plotter.XYs, len(pts)), make(plotter.XYs, len(pts))
			for i, r := range pts {
				p50[i] = plotter.XY{X: r.LinkUpMbit, Y: r.LatencyP50MS}
				p95[i] = plotter.XY{X: r.LinkUpMbit, Y: r.LatencyP95MS}
			}
			l := variantLine(pts[0])
			t, err := addWireLine(p, p50, l, false)
			if err == nil {
				_, err = addWireLine(p, p95, l, true)
			}
			if err != nil {
				wd.notes = append(wd.notes, fmt.Sprintf("%s: %s: not drawn: %v", fig, net, err))
				return figure{}, false
			}
			addLegend(l.label, t)
		}
		p.X.Min, p.X.Max = xr.lo/2, xr.hi*2
		p.Y.Min, p.Y.Max = yr.lo/2, yr.hi*2
		for _, r := range edgeOnly {
			l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: r.LatencyP50MS}, {X: p.X.Max, Y: r.LatencyP50MS}})
			if err != nil {
				continue
			}
			l.Color, l.Dashes = greys[0], refDashes
			p.Add(l)
			addLegend("everything on the edge (median; no link)", l)
		}
		p.X.Tick.Marker = logTicks(p.X.Min, p.X.Max)
		p.Y.Tick.Marker = logTicks(p.Y.Min, p.Y.Max)
		f.plots = append(f.plots, p)
	}
	if len(f.plots) == 0 {
		return figure{}, false
	}
	f.cols = min(len(f.plots), 2)
	f.side = []block{legendBlock{legend}, textBlock{text: "Links (uplink bandwidth, round trip):\n" + linkList(lat, linkNames), grey: true}}
	return f, true
}

// poolsOf says the pool size(s) of rows.
func poolsOf(rows []results.WireRow) string {
	var ps []string
	for _, r := range rows {
		if s := fmt.Sprint(r.Pool); !slices.Contains(ps, s) {
			ps = append(ps, s)
		}
	}
	return strings.Join(ps, ", ")
}

// linkList describes the links named, in order, one a line: "3g: 0.77 Mbit/s, 150 ms", ….
func linkList(rows []results.WireRow, names []string) string {
	var parts []string
	for _, n := range names {
		for _, r := range rows {
			if r.Link == n {
				parts = append(parts, fmt.Sprintf("%s: %s Mbit/s, %s ms", n, formatFloat(r.LinkUpMbit), formatFloat(r.LinkRTTMS)))
				break
			}
		}
	}
	return strings.Join(parts, "\n")
}

// scalingFigure draws wire_scaling_vs_edges from the scaling phase's points.
func (wd *wireDrawing) scalingFigure(rows []results.WireRow) (figure, bool) {
	const fig = WireScalingFigure
	var sc []results.WireRow
	for _, r := range rows {
		if r.Phase == "scaling" {
			sc = append(sc, r)
		}
	}
	nets := networks(sc)
	if len(nets) == 0 {
		return figure{}, false
	}
	// Short axis labels, the rest in the panel titles: gonum/plot shrinks a panel's data
	// area to the length of its y label.
	panels := []struct {
		title, y string
		get      func(results.WireRow) float64
		log      bool
		cloud    bool // a quantity of the cloud: the edge-only variant has none
	}{
		{"throughput", "inputs/s", func(r results.WireRow) float64 { return r.ThroughputPerS }, false, false},
		{"95th-percentile latency", "ms", func(r results.WireRow) float64 { return r.LatencyP95MS }, true, false},
		{"cloud's batch size", "rows per run", func(r results.WireRow) float64 { return r.MeanBatch }, false, true},
	}
	var links []string
	for _, r := range sc {
		if r.Variant != results.WireEdgeOnly && !slices.Contains(links, r.Link) {
			links = append(links, r.Link)
		}
	}
	f := figure{name: fig, title: fmt.Sprintf("Serving many edges at once through the %s link (pools of %s): throughput, 95th-percentile latency and the cloud's batch size; the number of edges on a logarithmic axis, latency too; everything on the edge: one device on its own", strings.Join(links, ", "), poolsOf(sc)),
		cols: len(panels), panelW: 3.3 * vg.Inch, panelH: 2.6 * vg.Inch}
	var legend []legendItem
	var edgeTicks []float64
	for _, r := range sc {
		if !slices.Contains(edgeTicks, float64(r.Edges)) {
			edgeTicks = append(edgeTicks, float64(r.Edges))
		}
	}
	slices.Sort(edgeTicks)
	for _, net := range nets {
		for _, pan := range panels {
			p := newPlot(net+"\n"+pan.title, "edges at once", pan.y)
			p.X.Scale = plot.LogScale{}
			var ticks plot.ConstantTicks
			for _, e := range edgeTicks {
				ticks = append(ticks, plot.Tick{Value: e, Label: formatFloat(e)})
			}
			p.X.Tick.Marker = ticks
			p.X.Min, p.X.Max = edgeTicks[0]/1.5, edgeTicks[len(edgeTicks)-1]*1.5
			if pan.log {
				p.Y.Scale = plot.LogScale{}
			}
			yr := newYRange()
			var keys []string
			byKey := map[string][]results.WireRow{}
			for _, r := range sc {
				if network(r) != net || (pan.cloud && r.Variant == results.WireEdgeOnly) || !wd.usable(fig, r, pan.title, pan.get(r), pan.log) {
					continue
				}
				k := lineKey(r)
				if _, ok := byKey[k]; !ok {
					keys = append(keys, k)
				}
				byKey[k] = append(byKey[k], r)
				yr.add(pan.get(r))
			}
			for _, k := range keys {
				pts := byKey[k]
				slices.SortFunc(pts, func(a, b results.WireRow) int { return a.Edges - b.Edges })
				xys := make(plotter.XYs, len(pts))
				for i, r := range pts {
					xys[i] = plotter.XY{X: float64(r.Edges), Y: pan.get(r)}
				}
				l := variantLine(pts[0])
				t, err := addWireLine(p, xys, l, false)
				if err != nil {
					wd.notes = append(wd.notes, fmt.Sprintf("%s: %s: not drawn: %v", fig, net, err))
					return figure{}, false
				}
				if !slices.ContainsFunc(legend, func(it legendItem) bool { return it.text == l.label }) {
					legend = append(legend, legendItem{l.label, []plot.Thumbnailer{t}})
				}
			}
			if finite(yr.lo) {
				if pan.log {
					p.Y.Min, p.Y.Max = yr.lo/2, yr.hi*2
					p.Y.Tick.Marker = logTicks(p.Y.Min, p.Y.Max)
				} else {
					p.Y.Min, p.Y.Max = 0, yr.hi*1.1
					p.Y.Tick.Marker = shortTicks{}
				}
			}
			f.plots = append(f.plots, p)
		}
	}
	f.side = []block{legendBlock{legend}}
	return f, true
}
