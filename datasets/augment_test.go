package datasets

import (
	"slices"
	"testing"
)

func TestTranslate(t *testing.T) {
	// 1 channel, 3×3 image 1..9.
	src := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	cases := []struct {
		name   string
		dx, dy int
		want   []float32
	}{
		{"identity", 0, 0, src},
		{"right", 1, 0, []float32{0, 1, 2, 0, 4, 5, 0, 7, 8}},
		{"left", -1, 0, []float32{2, 3, 0, 5, 6, 0, 8, 9, 0}},
		{"down", 0, 1, []float32{0, 0, 0, 1, 2, 3, 4, 5, 6}},
		{"up-left", -1, -1, []float32{5, 6, 0, 8, 9, 0, 0, 0, 0}},
		{"out of frame", 3, 0, make([]float32, 9)},
	}
	for _, c := range cases {
		dst := make([]float32, 9)
		Translate(dst, src, 1, 3, 3, c.dx, c.dy)
		if !slices.Equal(dst, c.want) {
			t.Errorf("%s: %v, want %v", c.name, dst, c.want)
		}
	}
	// Two channels move together.
	two := append(append([]float32(nil), src...), src...)
	dst := make([]float32, 18)
	Translate(dst, two, 2, 3, 3, 1, 0)
	if !slices.Equal(dst[:9], dst[9:]) || !slices.Equal(dst[:9], cases[1].want) {
		t.Errorf("two channels: %v", dst)
	}
}
