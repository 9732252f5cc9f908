package gemm

import "unsafe"

// Wide tiles. Where the AVX-512 kernels are selected (useWide), the drivers compute C in 6×32
// tiles from two adjacent packed B panels wherever more than 16 columns remain, and in 6×16
// tiles elsewhere. A wide tile is by definition the two 6×16 tiles side by side: the *Pair
// functions compute it so with the 6×16 kernels, and the AVX-512 kernels agree with them bit
// for bit (the same FMA chain per element), so the tiling never changes a result.

// nw is the width of a wide tile: two B panels.
const nw = 2 * nr

// tileWidth is the width of the tile the drivers compute where rest columns of C remain.
func tileWidth(rest int) int {
	if useWide && rest > nr {
		return nw
	}
	return nr
}

// kernelPair is kernel on a 6×32 tile: b points at two adjacent panels of k steps.
func kernelPair(k int, a, b, c *float32, ldc int, accum bool) {
	kernel(k, a, b, c, ldc, accum)
	kernel(k, a, at(b, nr*k), at(c, nr), ldc, accum)
}

// kernelRowsAPair is kernelRowsA on a 6×32 tile.
func kernelRowsAPair(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsA(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
	kernelRowsA(nseg, seglen, skip, a, aoff, at(b, nr*nseg*seglen), at(c, nr), ldc, accum)
}

// kernelPatchesPair is kernelPatches on a 6×32 tile.
func kernelPatchesPair(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelPatches(k, img, off, pos, b, c, ldc, accum)
	kernelPatches(k, img, off, pos, at(b, nr*k), at(c, nr), ldc, accum)
}

// at is &p[i] for a pointer into a slice.
func at(p *float32, i int) *float32 { return (*float32)(unsafe.Add(unsafe.Pointer(p), 4*i)) }
