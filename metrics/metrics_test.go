package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// golden is testdata/golden.json, written by testdata/gen.py with scikit-image 0.19.3 and
// scikit-learn 1.2.1.
type golden struct {
	SSIM []struct {
		Name  string
		Shape []int
		Range float64
		X, Y  []float64
		Want  float64
	}
	PSNR []struct {
		Name  string
		Range float64
		X, Y  []float64
		Want  float64
	}
	ARI []struct {
		Name string
		A, B []int
		Want float64
	}
	Pearson []struct {
		Name string
		X, Y []float64
		Want float64
	}
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.SSIM) == 0 || len(g.PSNR) == 0 || len(g.ARI) == 0 || len(g.Pearson) == 0 {
		t.Fatal("golden.json lacks cases")
	}
	return &g
}

// The tolerances against the references: both sides compute in float64 from the same float64
// inputs, in a different order, so the results agree to a few units of round-off (1e-12
// relative leaves three orders of magnitude of slack over 784 to 3072 terms).
const refTol = 1e-12

func close(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func TestSSIMMatchesScikitImage(t *testing.T) {
	for _, c := range loadGolden(t).SSIM {
		t.Run(c.Name, func(t *testing.T) {
			got := SSIM(c.X, c.Y, c.Shape[0], c.Shape[1], c.Shape[2], c.Range)
			if !close(got, c.Want, refTol) {
				t.Errorf("SSIM = %.17g, scikit-image %.17g", got, c.Want)
			}
			// float32 inputs: the values are rounded to float32 (relative 6e-8) before the
			// float64 arithmetic; SSIM moves by far less than 1e-5 under such a change.
			x32, y32 := to32(c.X), to32(c.Y)
			if got32 := SSIM(x32, y32, c.Shape[0], c.Shape[1], c.Shape[2], c.Range); !close(got32, c.Want, 1e-5) {
				t.Errorf("SSIM(float32) = %.9g, scikit-image %.9g", got32, c.Want)
			}
		})
	}
}

func TestPSNRMatchesScikitImage(t *testing.T) {
	for _, c := range loadGolden(t).PSNR {
		t.Run(c.Name, func(t *testing.T) {
			if got := PSNR(c.X, c.Y, c.Range); !close(got, c.Want, refTol) {
				t.Errorf("PSNR = %.17g, scikit-image %.17g", got, c.Want)
			}
		})
	}
}

func TestARIMatchesScikitLearn(t *testing.T) {
	for _, c := range loadGolden(t).ARI {
		t.Run(c.Name, func(t *testing.T) {
			if got := ARI(c.A, c.B); !close(got, c.Want, refTol) {
				t.Errorf("ARI = %.17g, scikit-learn %.17g", got, c.Want)
			}
		})
	}
}

func TestPearsonMatchesNumpy(t *testing.T) {
	for _, c := range loadGolden(t).Pearson {
		t.Run(c.Name, func(t *testing.T) {
			if got := Pearson(c.X, c.Y); !close(got, c.Want, refTol) {
				t.Errorf("Pearson = %.17g, numpy %.17g", got, c.Want)
			}
		})
	}
}

func to32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func TestPSNRByHand(t *testing.T) {
	for _, c := range []struct {
		name  string
		x, y  []float64
		r     float64
		want  float64
		exact bool
	}{
		// MSE 0.01 at range 1: 10·log10(1/0.01) = 20 dB.
		{"uniform error 0.1", []float64{0, 0.5, 1, 0.2}, []float64{0.1, 0.4, 0.9, 0.3}, 1, 20, false},
		// MSE (1+1+0+0)/4 = 0.5 at range 255: 10·log10(255²/0.5) = 51.1411…
		{"range 255", []float64{10, 20, 30, 40}, []float64{11, 19, 30, 40}, 255, 10 * math.Log10(255*255/0.5), false},
		{"identical", []float64{0.3, 0.7}, []float64{0.3, 0.7}, 1, math.Inf(1), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := PSNR(c.x, c.y, c.r)
			// 1e-12: a handful of float64 operations on numbers of order 1.
			if c.exact && got != c.want || !c.exact && !close(got, c.want, 1e-12) {
				t.Errorf("PSNR = %.17g, want %.17g", got, c.want)
			}
		})
	}
}

func TestSSIMProperties(t *testing.T) {
	const h, w = 16, 14
	x := make([]float64, 2*h*w)
	for i := range x {
		x[i] = 0.5 + 0.4*math.Sin(float64(i)*0.37)
	}
	// SSIM(x, x) = 1: each term is (2u²+C1)(2v+C2)/((2u²+C1)(2v+C2)) = 1, up to round-off.
	if s := SSIM(x, x, 2, h, w, 1); !close(s, 1, 1e-12) {
		t.Errorf("SSIM(x, x) = %.17g, want 1", s)
	}
	// Symmetric in its arguments, up to the order of round-off (1e-14 relative).
	y := make([]float64, len(x))
	for i := range y {
		y[i] = x[i] * 0.8
	}
	if a, b := SSIM(x, y, 2, h, w, 1), SSIM(y, x, 2, h, w, 1); !close(a, b, 1e-14) {
		t.Errorf("SSIM(x, y) = %g, SSIM(y, x) = %g", a, b)
	}
	// Two constant images a and b: variances are 0, so SSIM = (2ab + C1)·C2 / ((a²+b²+C1)·C2)
	// exactly, worked by hand for a = 0.2, b = 0.6, C1 = 1e-4: 0.2401/0.4001.
	a, b := make([]float64, h*w), make([]float64, h*w)
	for i := range a {
		a[i], b[i] = 0.2, 0.6
	}
	if s, want := SSIM(a, b, 1, h, w, 1), (2*0.2*0.6+1e-4)/(0.2*0.2+0.6*0.6+1e-4); !close(s, want, 1e-12) {
		t.Errorf("SSIM of constants = %.17g, want %.17g", s, want)
	}
	// An image against its negative has negative structure: SSIM < 0.
	neg := make([]float64, len(x))
	for i := range neg {
		neg[i] = 1 - x[i]
	}
	if s := SSIM(x, neg, 2, h, w, 1); s >= 0 {
		t.Errorf("SSIM(x, 1−x) = %g, want < 0", s)
	}
}

func TestSSIMPanicsOnSmallImages(t *testing.T) {
	defer func() {
		want := fmt.Sprintf("metrics: SSIM of 1×10×10 images, need ≥ 1 channel and sides ≥ %d", SSIMWindow)
		if r := recover(); r != want {
			t.Errorf("SSIM of 10×10 images: panic %v, want %q", r, want)
		}
	}()
	x := make([]float64, 100)
	SSIM(x, x, 1, 10, 10, 1)
}

func TestAccuracyAndChance(t *testing.T) {
	if got := Accuracy([]int{1, 2, 3, 4}, []int{1, 2, 0, 4}); got != 0.75 {
		t.Errorf("Accuracy = %g, want 0.75", got)
	}
	if got := Chance([]int{3, 1, 3, 2, 3, 1}); got != 0.5 {
		t.Errorf("Chance = %g, want 0.5 (three 3s of six)", got)
	}
	if got := Chance([]int{7}); got != 1 {
		t.Errorf("Chance of one label = %g, want 1", got)
	}
}

func TestARIByHand(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b []int
		want float64
	}{
		{"identical up to names", []int{0, 0, 1, 1, 2, 2}, []int{5, 5, 3, 3, 9, 9}, 1},
		{"both all singletons", []int{0, 1, 2}, []int{2, 0, 1}, 1},
		{"both one cluster", []int{4, 4, 4}, []int{1, 1, 1}, 1},
		// a = {0,1},{2,3}; b = {0,2},{1,3}: no pair together in both. Ordered pairs: tp = 0,
		// fp = fn = 4, tn = 16 − 0 − 4 − 4 − 4 = 4; ARI = 2(0·4 − 4·4)/((0+4)(4+4) + (0+4)(4+4)) = −0.5.
		{"crossed", []int{0, 0, 1, 1}, []int{0, 1, 0, 1}, -0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ARI(c.a, c.b); !close(got, c.want, 1e-15) {
				t.Errorf("ARI = %.17g, want %g", got, c.want)
			}
		})
	}
}

func TestPearsonByHand(t *testing.T) {
	if got := Pearson([]float32{1, 2, 3}, []float32{2, 4, 6}); !close(got, 1, 1e-15) {
		t.Errorf("Pearson of proportional = %g, want 1", got)
	}
	if got := Pearson([]float64{1, 2, 3}, []float64{3, 2, 1}); !close(got, -1, 1e-15) {
		t.Errorf("Pearson of reversed = %g, want −1", got)
	}
	// x = (−1, 0, 1), y = (1, −2, 1): Σxy = 0, so r = 0.
	if got := Pearson([]float64{-1, 0, 1}, []float64{1, -2, 1}); got != 0 {
		t.Errorf("Pearson = %g, want 0", got)
	}
	if got := Pearson([]float64{1, 1}, []float64{1, 2}); !math.IsNaN(got) {
		t.Errorf("Pearson of a constant = %g, want NaN", got)
	}
}
