//go:build !amd64 || purego

package bnorm

const useAsm = false

func affine(y, x, z []float32, s, t float32, relu bool) { affineGo(y, x, z, s, t, relu) }

func affineGrad(da, dy, y, a []float32, relu bool, k, c1, c0 float32) {
	affineGradGo(da, dy, y, a, relu, k, c1, c0)
}

func addMasked(dst, dy, y []float32) { addMaskedGo(dst, dy, y) }

func transpose2D(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transpose2DGo(dst, ldd, src, lds, rows, cols)
}

func colSums(a []float32, o int, sum, sq []float64) { colSumsGo(a, o, sum, sq) }

func colMaskedSums(dy, a []float32, o int, s, t []float32, sum, sq []float64) {
	colMaskedSumsGo(dy, a, o, s, t, sum, sq)
}

func colAffine(y, x []float32, o int, s, t []float32, relu bool) { colAffineGo(y, x, o, s, t, relu) }

func colAffineGrad(da, dy, a []float32, o int, s, t, k, c1, c0 []float32) {
	colAffineGradGo(da, dy, a, o, s, t, k, c1, c0)
}

func mask(g, dy, y []float32) { maskGo(g, dy, y) }
