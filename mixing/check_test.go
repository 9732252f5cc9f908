package mixing

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var paperMatrix = [][]float64{{0.7, 0.3}, {0.6, 0.4}}

func TestCheckMatrix(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		m       [][]float64
		k       int
		maxCond float64
		want    string // "" for no error
	}{
		{"paper's matrix", paperMatrix, 2, 1000, ""},
		{"paper's matrix, default bound", paperMatrix, 2, 0, ""},
		{"paper's matrix, no bound", paperMatrix, 2, math.Inf(1), ""},
		{"1x1", [][]float64{{1}}, 1, 1, ""},
		{"identity at the tightest bound", [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 3, 1, ""},
		{"non-square", [][]float64{{1, 0, 0}, {0, 1, 0}}, 2, 1000, "mixing: fixed matrix is 2x3, need 2x2 (group_size)"},
		{"wrong size", [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, 2, 1000, "mixing: fixed matrix is 3x3, need 2x2 (group_size)"},
		{"empty", nil, 2, 1000, "mixing: fixed matrix is 0x0, need 2x2 (group_size)"},
		{"ragged", [][]float64{{1, 0}, {0, 1, 0}}, 2, 1000, "mixing: fixed matrix row 1 has 3 entries, row 0 has 2"},
		{"NaN", [][]float64{{0.7, 0.3}, {math.NaN(), 0.4}}, 2, 1000, "mixing: fixed matrix entry [1][0] is NaN, need a finite number"},
		{"Inf", [][]float64{{0.7, math.Inf(-1)}, {0.6, 0.4}}, 2, 1000, "mixing: fixed matrix entry [0][1] is -Inf, need a finite number"},
		{"singular", [][]float64{{0.5, 0.5}, {0.5, 0.5}}, 2, 1000, "mixing: fixed matrix is singular"},
		{"zero", [][]float64{{0, 0}, {0, 0}}, 2, 1000, "mixing: fixed matrix is singular"},
		// cond = (2 + 1e-6)/1e-6 to first order: 4.0e+06 at two digits.
		{"ill-conditioned", [][]float64{{1, 1}, {1, 1 + 1e-6}}, 2, 1000, "mixing: fixed matrix has condition number 4e+06 > max_cond 1000"},
		// The paper's matrix has cond ≈ 10.9 (see TestCond).
		{"paper's matrix, tight bound", paperMatrix, 2, 10, "mixing: fixed matrix has condition number 11 > max_cond 10"},
		{"group size 0", [][]float64{}, 0, 1000, "mixing: group size 0, need ≥ 1"},
		{"bound below 1", paperMatrix, 2, 0.5, "mixing: max_cond 0.5, need ≥ 1 (or 0 for the default 1000)"},
		{"bound NaN", paperMatrix, 2, math.NaN(), "mixing: max_cond NaN"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			err := CheckMatrix(tc.m, tc.k, tc.maxCond)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("no error, want %q", tc.want)
			case tc.want != "" && !strings.HasPrefix(err.Error(), tc.want):
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestCond(t *testing.T) {
	for k := 1; k <= 16; k++ {
		id := mat.NewDiagDense(k, nil)
		for i := range k {
			id.SetDiag(i, 1)
		}
		if got := Cond(mat.DenseCopyOf(id)); got != 1 {
			t.Errorf("Cond(I_%d) = %v, want exactly 1", k, got)
		}
	}
	// A rotation is orthogonal: cond 1. 4·2⁻⁵³: the SVD's relative error in
	// each singular value is a small multiple of the unit round-off.
	th := 0.3
	rot := mat.NewDense(2, 2, []float64{math.Cos(th), -math.Sin(th), math.Sin(th), math.Cos(th)})
	if got := Cond(rot); math.Abs(got-1) > 4*u64 {
		t.Errorf("Cond(rotation) = %v, want 1", got)
	}
	if got := Cond(mat.NewDense(2, 2, []float64{1, 0, 0, 1e-3})); math.Abs(got-1e3) > 1e3*4*u64 {
		t.Errorf("Cond(diag(1, 1e-3)) = %v, want 1000", got)
	}
	// The paper's matrix: σ² are the roots of x² − ‖C‖_F²·x + det(C)² with
	// ‖C‖_F² = 1.1 and det(C) = 0.1, so cond = √(x₊/x₋) ≈ 10.91. 1e-13: the
	// SVD gives the small singular value to a relative error near
	// cond·2⁻⁵³ ≈ 1.2e-15; the slack covers the closed form's own rounding.
	disc := math.Sqrt(1.1*1.1 - 4*0.01)
	want := math.Sqrt((1.1 + disc) / (1.1 - disc))
	c := mat.NewDense(2, 2, []float64{0.7, 0.3, 0.6, 0.4})
	if got := Cond(c); math.Abs(got-want) > 1e-13*want {
		t.Errorf("Cond(paper) = %.17g, want %.17g", got, want)
	}
	if got := Cond(mat.NewDense(2, 2, []float64{0, 0, 0, 0})); !math.IsInf(got, 1) {
		t.Errorf("Cond(zero) = %v, want +Inf", got)
	}
	if got := Cond(mat.NewDense(2, 2, []float64{1, 0, 0, 0})); !math.IsInf(got, 1) {
		t.Errorf("Cond(diag(1, 0)) = %v, want +Inf", got)
	}
	if got := Cond(mat.NewDense(2, 2, []float64{1, math.NaN(), 0, 1})); !math.IsNaN(got) {
		t.Errorf("Cond(with NaN) = %v, want NaN", got)
	}
	mustPanic(t, "Cond of a 2x3 matrix", func() { Cond(mat.NewDense(2, 3, nil)) })
}
