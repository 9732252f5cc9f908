//go:build amd64 && !purego

package gemm

import (
	"math"
	"testing"
)

// TestTwinTaps: Taps with the assembly kernel and with its Go twin, each held to the float64
// bound (they differ in the last bits: FMA rounds once); and, where every block runs in the
// kernel (at least 4 rows, 16 values of slack after the image), bit for bit the arithmetic of MulPatches
// computing the same single output channel.
func TestTwinTaps(t *testing.T) {
	needAsm(t)
	rng := newRNG(33)
	for trial := range 150 {
		tp := newTapsProblem(rng, []int{0, 16}[trial%2])
		asm, twin := make([]float32, tp.rows*tp.cols), make([]float32, tp.rows*tp.cols)
		Taps(tp.w, tp.off, tp.src, tp.lds, asm, tp.cols, tp.rows, tp.cols)
		withGo(func() { Taps(tp.w, tp.off, tp.src, tp.lds, twin, tp.cols, tp.rows, tp.cols) })
		tp.run(t, "assembly", asm, tp.cols)
		tp.run(t, "Go twin", twin, tp.cols)

		var pos []int
		for i := range tp.rows {
			for j := range tp.cols {
				pos = append(pos, i*tp.lds+j)
			}
		}
		if len(tp.w) > kc || trial%2 == 0 || tp.rows < tapRows {
			continue // MulPatches adds blocks of kc taps; without slack, or below 4 rows, some blocks ran in Go
		}
		var b PackedB
		b.Reset(len(tp.w), 1)
		b.Pack(false, tp.w, 1)
		mp := make([]float32, len(pos))
		MulPatches(tp.src, pos, tp.off, &b, 0, mp, 1)
		for i, v := range mp {
			if math.Float32bits(v) != math.Float32bits(asm[i]) {
				t.Fatalf("%d taps: Taps %v, MulPatches %v at output %d", len(tp.w), asm[i], v, i)
			}
		}
	}
}

// TestTwinDots: Dots with the assembly kernel and with its Go twin, against float64.
func TestTwinDots(t *testing.T) {
	needAsm(t)
	rng := newRNG(34)
	for range 150 {
		a, b, off, want, mag := dotsProblem(rng)
		asm, twin := make([]float32, len(off)), make([]float32, len(off))
		Dots(a, b, off, asm)
		withGo(func() { Dots(a, b, off, twin) })
		for i := range off {
			if !within(asm[i], want[i], mag[i], len(a)) || !within(twin[i], want[i], mag[i], len(a)) {
				t.Fatalf("Dots of %d: out[%d]: assembly %v, Go %v, float64 %v", len(a), i, asm[i], twin[i], want[i])
			}
		}
	}
}
