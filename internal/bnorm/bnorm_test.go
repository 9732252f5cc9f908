package bnorm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if rng.IntN(7) == 0 {
			x[i] = 0 // ReLU outputs: exact zeros (and −0 below) happen
		}
		if rng.IntN(11) == 0 {
			x[i] = float32(math.Copysign(0, -1))
		}
	}
	return x
}

func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// sizes cover the assembly's groups of eight and the Go tails.
var sizes = []int{0, 1, 7, 8, 9, 16, 49, 196, 784}

// TestMatchesGo checks every loop against its plain Go version bit for bit (the assembly, where
// it runs; otherwise the two are the same code) and against a float64 reference.
func TestMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range sizes {
		x, y, z, a := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		for _, relu := range []bool{false, true} {
			const s, tt = 1.5, -0.25
			for _, zz := range [][]float32{nil, z} {
				got, want := make([]float32, n), make([]float32, n)
				Affine(got, x, zz, s, tt, relu)
				affineGo(want, x, zz, s, tt, relu)
				same(t, "Affine", got, want)
				for i := range want {
					r := float64(x[i])*s + tt
					if zz != nil {
						r += float64(zz[i])
					}
					if relu {
						r = math.Max(r, 0)
					}
					// 2⁻²² relative: two float32 roundings.
					if math.Abs(float64(got[i])-r) > 3e-7*(1+math.Abs(r)) {
						t.Fatalf("Affine[%d] = %v, float64 %v", i, got[i], r)
					}
				}
			}
			// In place.
			inPlace := append([]float32(nil), x...)
			Affine(inPlace, inPlace, nil, s, tt, relu)
			want := make([]float32, n)
			affineGo(want, x, nil, s, tt, relu)
			same(t, "Affine in place", inPlace, want)

			const k, c1, c0 = 0.75, -1.25, 0.5
			got := make([]float32, n)
			AffineGrad(got, x, y, a, relu, k, c1, c0)
			affineGradGo(want, x, y, a, relu, k, c1, c0)
			same(t, "AffineGrad", got, want)
		}
		dst, want := append([]float32(nil), z...), append([]float32(nil), z...)
		AddMasked(dst, x, y)
		addMaskedGo(want, x, y)
		same(t, "AddMasked", dst, want)
	}
}

// TestNaN checks that a ReLU lets a NaN through (a diverging network must show it).
func TestNaN(t *testing.T) {
	x := make([]float32, 16)
	for i := range x {
		x[i] = float32(math.NaN())
		if i%2 == 1 {
			x[i] = -x[i]
		}
	}
	y := make([]float32, 16)
	Affine(y, x, nil, 1, 0, true)
	for i, v := range y {
		if !math.IsNaN(float64(v)) {
			t.Fatalf("ReLU(NaN)[%d] = %v", i, v)
		}
	}
}
