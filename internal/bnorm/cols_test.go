package bnorm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// withGo runs f with the plain Go loops selected, as on a CPU without AVX2 or a purego build.
func withGo(f func()) {
	saved := useAsm
	setAsm(false)
	defer setAsm(saved)
	f()
}

// TestColumnsMatchGo checks every column loop against its plain Go version bit for bit on
// random ragged shapes (widths that are and are not multiples of eight, one row and many), and
// the sums against float64 loops.
func TestColumnsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		o := []int{1, 3, 8, 16, 24, 32, 64, 5 + rng.IntN(70)}[trial%8]
		rows := []int{1, 2, 7, 49, 196}[rng.IntN(5)]
		n := rows * o
		x, dy, a := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		s, tt, k, c1, c0 := randSlice(rng, o), randSlice(rng, o), randSlice(rng, o), randSlice(rng, o), randSlice(rng, o)
		for _, relu := range []bool{false, true} {
			got, want := make([]float32, n), make([]float32, n)
			ColAffine(got, x, o, s, tt, relu)
			withGo(func() { ColAffine(want, x, o, s, tt, relu) })
			same(t, "ColAffine", got, want)
			for i := range want { // the plane loop's arithmetic, channel by channel
				var ref [1]float32
				affineGo(ref[:], x[i:i+1], nil, s[i%o], tt[i%o], relu)
				same(t, "ColAffine vs Affine", got[i:i+1], ref[:])
			}
			inPlace := append([]float32(nil), x...)
			ColAffine(inPlace, inPlace, o, s, tt, relu)
			same(t, "ColAffine in place", inPlace, want)
		}
		for _, masked := range []bool{false, true} {
			ms, mt := s, tt
			if !masked {
				ms, mt = nil, nil
			}
			got, want := make([]float32, n), make([]float32, n)
			ColAffineGrad(got, dy, a, o, ms, mt, k, c1, c0)
			withGo(func() { ColAffineGrad(want, dy, a, o, ms, mt, k, c1, c0) })
			same(t, "ColAffineGrad", got, want)

			sum, sq := make([]float64, o), make([]float64, o)
			wsum, wsq := make([]float64, o), make([]float64, o)
			ColMaskedSums(dy, a, o, ms, mt, sum, sq)
			withGo(func() { ColMaskedSums(dy, a, o, ms, mt, wsum, wsq) })
			for c := range o {
				if sum[c] != wsum[c] || sq[c] != wsq[c] {
					t.Fatalf("rows %d o %d masked %v: ColMaskedSums[%d] %v %v, Go %v %v", rows, o, masked, c, sum[c], sq[c], wsum[c], wsq[c])
				}
				var rg, rga float64
				for r := range rows {
					i := r*o + c
					y := float32(a[i]*s[c]) + tt[c] // ColAffine's pre-activation
					if !masked || y > 0 {
						rg += float64(dy[i])
						rga += float64(dy[i]) * float64(a[i])
					}
				}
				if sum[c] != rg || sq[c] != rga { // the same sums in the same order
					t.Fatalf("ColMaskedSums[%d] %v %v, in order %v %v", c, sum[c], sq[c], rg, rga)
				}
			}
		}
		sum, sq := make([]float64, o), make([]float64, o)
		wsum, wsq := make([]float64, o), make([]float64, o)
		ColSums(x, o, sum, sq)
		withGo(func() { ColSums(x, o, wsum, wsq) })
		for c := range o {
			var r1, r2 float64
			for r := range rows {
				v := float64(x[r*o+c])
				r1 += v
				r2 += v * v
			}
			if sum[c] != wsum[c] || sq[c] != wsq[c] || sum[c] != r1 || sq[c] != r2 {
				t.Fatalf("rows %d o %d: ColSums[%d] %v %v, Go %v %v, in order %v %v", rows, o, c, sum[c], sq[c], wsum[c], wsq[c], r1, r2)
			}
		}
		y := randSlice(rng, n)
		got, want := make([]float32, n), make([]float32, n)
		Mask(got, dy, y)
		withGo(func() { Mask(want, dy, y) })
		same(t, "Mask", got, want)
		for i := range got {
			if w := float32(0); y[i] > 0 {
				w = dy[i]
				if math.Float32bits(got[i]) != math.Float32bits(w) {
					t.Fatalf("Mask[%d] = %v, want %v", i, got[i], w)
				}
			} else if math.Float32bits(got[i]) != 0 {
				t.Fatalf("Mask[%d] = %v where y = %v, want +0", i, got[i], y[i])
			}
		}
	}
}

// TestTranspose2D checks the strided transpose, assembly blocks and Go edges, on ragged
// shapes with padded strides.
func TestTranspose2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		rows, cols := 1+rng.IntN(40), 1+rng.IntN(40)
		lds, ldd := cols+rng.IntN(5), rows+rng.IntN(5)
		src := randSlice(rng, (rows-1)*lds+cols)
		for _, goOnly := range []bool{false, true} {
			dst := make([]float32, (cols-1)*ldd+rows)
			for i := range dst {
				dst[i] = 7 // untouched between the rows
			}
			run := func() { Transpose2D(dst, ldd, src, lds, rows, cols) }
			if goOnly {
				withGo(run)
			} else {
				run()
			}
			for j := range cols {
				for i := range ldd {
					if j*ldd+i >= len(dst) {
						break
					}
					want := float32(7)
					if i < rows {
						want = src[i*lds+j]
					}
					if math.Float32bits(dst[j*ldd+i]) != math.Float32bits(want) {
						t.Fatalf("%d×%d strides %d %d (Go only %v): dst[%d][%d] = %v, want %v", rows, cols, lds, ldd, goOnly, j, i, dst[j*ldd+i], want)
					}
				}
			}
		}
	}
}
