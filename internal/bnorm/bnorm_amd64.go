//go:build amd64 && !purego

package bnorm

import "golang.org/x/sys/cpu"

var useAsm = cpuHasAVX2

// cpuHasAVX2 is whether the CPU (and OS) support AVX2; GODEBUG=cpu.avx2=off clears it.
var cpuHasAVX2 = cpu.X86.HasAVX2

// The assembly loops (bnorm_amd64.s) take whole groups of eight values; the Go versions finish
// the rest. b2i passes a flag.

//go:noescape
func transposeAVX2(dst *float32, ldd int, src *float32, lds, blocks int)

//go:noescape
func affineAVX2(y, x, z *float32, n int, s, t float32, relu int)

//go:noescape
func affineGradAVX2(da, dy, y, a *float32, n, relu int, k, c1, c0 float32)

//go:noescape
func addMaskedAVX2(dst, dy, y *float32, n int)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func affine(y, x, z []float32, s, t float32, relu bool) {
	n := 0
	if useAsm {
		n = len(y) &^ 7
	}
	if n > 0 {
		var zp *float32
		if z != nil {
			zp = &z[0]
		}
		affineAVX2(&y[0], &x[0], zp, n, s, t, b2i(relu))
	}
	var zt []float32
	if z != nil {
		zt = z[n:]
	}
	affineGo(y[n:], x[n:], zt, s, t, relu)
}

func affineGrad(da, dy, y, a []float32, relu bool, k, c1, c0 float32) {
	n := 0
	if useAsm {
		n = len(da) &^ 7
	}
	if n > 0 {
		affineGradAVX2(&da[0], &dy[0], &y[0], &a[0], n, b2i(relu), k, c1, c0)
	}
	affineGradGo(da[n:], dy[n:], y[n:], a[n:], relu, k, c1, c0)
}

func addMasked(dst, dy, y []float32) {
	n := 0
	if useAsm {
		n = len(dst) &^ 7
	}
	if n > 0 {
		addMaskedAVX2(&dst[0], &dy[0], &y[0], n)
	}
	addMaskedGo(dst[n:], dy[n:], y[n:])
}

// The column loops (cols_amd64.s) take rows of o values, o a multiple of 8; other widths run
// in Go.

//go:noescape
func colSumsAVX2(a *float32, rows, o int, sum, sq *float64)

//go:noescape
func colMaskedSumsAVX2(dy, a *float32, rows, o int, s, t *float32, sum, sq *float64)

//go:noescape
func colAffineAVX2(y, x *float32, rows, o int, s, t *float32, relu int)

//go:noescape
func colAffineGradAVX2(da, dy, a *float32, rows, o int, s, t, k, c1, c0 *float32)

//go:noescape
func maskAVX2(dst, dy, y *float32, n int)

// first is &v[0], or nil for an empty v.
func first(v []float32) *float32 {
	if len(v) == 0 {
		return nil
	}
	return &v[0]
}

// transpose2D moves whole 8×8 blocks in assembly, the edges in Go.
func transpose2D(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if !useAsm || rows < 8 || cols < 8 {
		transpose2DGo(dst, ldd, src, lds, rows, cols)
		return
	}
	r8, c8 := rows&^7, cols&^7
	for i := 0; i < r8; i += 8 {
		transposeAVX2(&dst[i], ldd, &src[i*lds], lds, c8/8)
	}
	if c8 < cols { // the last columns of the first r8 rows
		transpose2DGo(dst[c8*ldd:], ldd, src[c8:], lds, r8, cols-c8)
	}
	if r8 < rows { // the last rows
		transpose2DGo(dst[r8:], ldd, src[r8*lds:], lds, rows-r8, cols)
	}
}

func colSums(a []float32, o int, sum, sq []float64) {
	if rows := len(a) / o; useAsm && o%8 == 0 && rows > 0 {
		colSumsAVX2(&a[0], rows, o, &sum[0], &sq[0])
		return
	}
	colSumsGo(a, o, sum, sq)
}

func colMaskedSums(dy, a []float32, o int, s, t []float32, sum, sq []float64) {
	if rows := len(dy) / o; useAsm && o%8 == 0 && rows > 0 {
		colMaskedSumsAVX2(&dy[0], &a[0], rows, o, first(s), first(t), &sum[0], &sq[0])
		return
	}
	colMaskedSumsGo(dy, a, o, s, t, sum, sq)
}

func colAffine(y, x []float32, o int, s, t []float32, relu bool) {
	if rows := len(y) / o; useAsm && o%8 == 0 && rows > 0 {
		colAffineAVX2(&y[0], &x[0], rows, o, &s[0], &t[0], b2i(relu))
		return
	}
	colAffineGo(y, x, o, s, t, relu)
}

func colAffineGrad(da, dy, a []float32, o int, s, t, k, c1, c0 []float32) {
	if rows := len(da) / o; useAsm && o%8 == 0 && rows > 0 {
		colAffineGradAVX2(&da[0], &dy[0], &a[0], rows, o, first(s), first(t), &k[0], &c1[0], &c0[0])
		return
	}
	colAffineGradGo(da, dy, a, o, s, t, k, c1, c0)
}

func mask(g, dy, y []float32) {
	n := 0
	if useAsm {
		n = len(g) &^ 7
	}
	if n > 0 {
		maskAVX2(&g[0], &dy[0], &y[0], n)
	}
	maskGo(g[n:], dy[n:], y[n:])
}
