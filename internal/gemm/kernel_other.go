//go:build !amd64 || purego

package gemm

const (
	useAsm    = false
	useAVX512 = false
)

func kernel(k int, a, b, c *float32, ldc int, accum bool) { kernelGo(k, a, b, c, ldc, accum) }

func kernelRowsA(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsAGo(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
}

func kernelPatches(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelPatchesGo(k, img, off, pos, b, c, ldc, accum)
}

func sparseDW(groups, nnz int, bases, pos *int, g, img, dw *float32) {
	sparseDWGo(groups, nnz, bases, pos, g, img, dw)
}

func sparseDX(groups, nnz int, bases, pos *int, g, w, dimg *float32) {
	sparseDXGo(groups, nnz, bases, pos, g, w, dimg)
}

func kernelWide(k int, a, b, c *float32, ldc int, accum bool) { kernelPair(k, a, b, c, ldc, accum) }

func kernelRowsAWide(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsAPair(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
}

func kernelPatchesWide(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelPatchesPair(k, img, off, pos, b, c, ldc, accum)
}

func kernelTall(k int, a, b, c *float32, ldc int, accum bool) { kernelTallPair(k, a, b, c, ldc, accum) }

func kernelRowsATall(nseg, seglen, skip int, a *float32, aoff *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsATallPair(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
}

func kernelPatchesTall(k int, img *float32, off *int, pos *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	kernelPatchesTallPair(k, img, off, pos, b, c, ldc, accum)
}

func taps(k int, w *float32, off *int, src *float32, lds int, out *float32, ldo int) {
	kernelTapsGo(k, w, off, src, lds, out, ldo)
}

func dots(n int, a, b *float32, off *[dotTaps]int, out *[dotTaps]float32) {
	kernelDotsGo(n, a, b, off, out)
}

func dkernel(k int, a, b, c *float64, ldc int, accum bool) { dkernelGo(k, a, b, c, ldc, accum) }
