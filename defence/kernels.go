package defence

import (
	"fmt"
	"math"
)

// The kernels below are the transforms themselves, shared by inference (Stack.Apply) and the
// training graph (package models), so that both compute the same function of the same draws.
// Each works on n rows of d values (n = len(src)/d); dst and src may be the same slice.

// RowStats returns the mean and the standard deviation (population form, 1/d) of one row,
// accumulated in float64.
func RowStats(row []float32) (mean, std float64) {
	var s, ss float64
	for _, v := range row {
		s += float64(v)
	}
	mean = s / float64(len(row))
	for _, v := range row {
		dv := float64(v) - mean
		ss += dv * dv
	}
	return mean, math.Sqrt(ss / float64(len(row)))
}

// AddScaled sets dst = src + scale·σ·e row by row, σ the standard deviation of the row of
// src (RowStats).
func AddScaled(dst, src, e []float32, d int, scale float64) {
	checkRows("AddScaled", dst, src, d)
	if len(e) != len(src) {
		panic(fmt.Sprintf("defence: AddScaled with %d draws for %d values", len(e), len(src)))
	}
	for lo := 0; lo < len(src); lo += d {
		_, std := RowStats(src[lo : lo+d])
		a := float32(scale * std)
		for j := lo; j < lo+d; j++ {
			dst[j] = src[j] + a*e[j]
		}
	}
}

// Multiply sets dst = src ⊙ e.
func Multiply(dst, src, e []float32) {
	if len(dst) != len(src) || len(e) != len(src) {
		panic(fmt.Sprintf("defence: Multiply of %d values by %d into %d", len(src), len(e), len(dst)))
	}
	for j, v := range src {
		dst[j] = v * e[j]
	}
}

// Quantise rounds every value of each row to the nearest of 2^bits levels spaced evenly
// between the row's minimum lo and maximum hi — the code round((x − lo)/Δ) with
// Δ = (hi − lo)/(2^bits − 1) — and writes the decoded value lo + code·Δ into dst, as the
// cloud would decode it. The error is at most Δ/2 per value, up to float32 round-off. A row of
// equal values is sent exactly.
func Quantise(dst, src []float32, d, bits int) {
	checkRows("Quantise", dst, src, d)
	if bits < 1 || bits > MaxBits {
		panic(fmt.Sprintf("defence: Quantise to %d bits", bits))
	}
	levels := float64(uint32(1)<<bits - 1)
	for lo := 0; lo < len(src); lo += d {
		row := src[lo : lo+d]
		mn, mx := row[0], row[0]
		for _, v := range row[1:] {
			mn, mx = min(mn, v), max(mx, v)
		}
		// lo and Δ travel as float32, so the decoder uses their float32 values.
		step := float32((float64(mx) - float64(mn)) / levels)
		if step == 0 {
			copy(dst[lo:lo+d], row)
			continue
		}
		inv := 1 / float64(step)
		for j, v := range row {
			code := math.Round((float64(v) - float64(mn)) * inv)
			code = min(max(code, 0), levels)
			dst[lo+j] = mn + float32(code)*step
		}
	}
}

func checkRows(fn string, dst, src []float32, d int) {
	if d < 1 || len(src)%d != 0 || len(dst) != len(src) {
		panic(fmt.Sprintf("defence: %s of %d values into %d in rows of %d", fn, len(src), len(dst), d))
	}
}
