package plot

import (
	"slices"
	"testing"

	"gonum.org/v1/plot/vg"
)

func TestFront(t *testing.T) {
	pts := []paretoPoint{
		{leak: 0.9, acc: 99}, // front: most accurate
		{leak: 0.5, acc: 97}, // front
		{leak: 0.6, acc: 96}, // dominated by the one above
		{leak: 0.1, acc: 90}, // front: least leakage
		{leak: 0.1, acc: 85}, // dominated: same leakage, less accurate
	}
	if got, want := front(pts), []int{3, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("front = %v, want %v", got, want)
	}
}

// TestLayoutLabels places the numbers of a tight cluster of markers (as the shuffle on/off
// pairs of a sweep make): no two numbers overlap, none leaves the panel, and the numbers of
// markers at one place are written once.
func TestLayoutLabels(t *testing.T) {
	area := vg.Rectangle{Max: vg.Point{X: 250, Y: 250}}
	var pts []bubble
	var at []vg.Point
	for i := range 9 {
		pts = append(pts, bubble{radius: vg.Points(5), number: i + 1})
		at = append(at, vg.Point{X: 240 - vg.Length(i%3)*6, Y: 240 - vg.Length(i/3)*5}) // in the corner
	}
	pts = append(pts, bubble{radius: vg.Points(5), number: 10}, bubble{radius: vg.Points(8)}) // 10 on an unnumbered marker
	at = append(at, vg.Point{X: 100, Y: 100}, vg.Point{X: 100.5, Y: 100})
	pts = append(pts, bubble{radius: vg.Points(4), number: 12}, bubble{radius: vg.Points(4), number: 11})
	at = append(at, vg.Point{X: 50, Y: 50}, vg.Point{X: 51, Y: 50.5}) // at one place

	labels := layoutLabels(pts, at, area)
	var texts []string
	for i, l := range labels {
		texts = append(texts, l.text)
		if l.box.Min.X < area.Min.X || l.box.Max.X > area.Max.X || l.box.Min.Y < area.Min.Y || l.box.Max.Y > area.Max.Y {
			t.Errorf("label %s at %v leaves the panel", l.text, l.box)
		}
		for _, o := range labels[:i] {
			if l.box.Min.X < o.box.Max.X && o.box.Min.X < l.box.Max.X && l.box.Min.Y < o.box.Max.Y && o.box.Min.Y < l.box.Max.Y {
				t.Errorf("labels %s and %s overlap: %v, %v", l.text, o.text, l.box, o.box)
			}
		}
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11,12"}; !slices.Equal(texts, want) {
		t.Errorf("labels %q, want %q", texts, want)
	}
}
