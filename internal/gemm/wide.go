package gemm

import "unsafe"

// Wide and tall tiles. Where the AVX-512 kernels are selected (useAVX512), the drivers compute C
// in 6×32 tiles from two adjacent packed B panels wherever more than 16 columns remain, in
// 12×16 tiles (two 6-row groups of A against one B panel) in a last block of at most 16
// columns wherever more than 6 rows remain, and in 6×16 tiles elsewhere. A wide or tall tile is
// by definition the two 6×16 tiles it covers: the *Pair functions compute it so with the 6×16
// kernels, and the AVX-512 kernels agree with them bit for bit (the same FMA chain per
// element), so the tiling never changes a result.

// nw is the width of a wide tile: two B panels.
const nw = 2 * nr

// tileWidth is the width of the tiles the drivers compute where cols columns of C remain.
func tileWidth(cols int) int {
	if useAVX512 && cols > nr {
		return nw
	}
	return nr
}

// tileHeight is the height of the tile the drivers compute, in a column block of width wn,
// where rows rows of C remain.
func tileHeight(wn, rows int) int {
	if useAVX512 && wn == nr && rows > mr {
		return 2 * mr
	}
	return mr
}

// packedTile runs the packed kernel of an hn×wn tile: a points at hn/6 adjacent A panels, b at
// wn/16 adjacent B panels, of k steps each.
func packedTile(hn, wn, k int, a, b, c *float32, ldc int, accum bool) {
	switch {
	case wn == nw:
		kernelWide(k, a, b, c, ldc, accum)
	case hn == 2*mr:
		kernelTall(k, a, b, c, ldc, accum)
	default:
		kernel(k, a, b, c, ldc, accum)
	}
}

// rowsTile runs the in-place-rows kernel of an hn×wn tile (rows of A at aoff[:hn]).
func rowsTile(hn, wn, nseg, seglen, skip int, a *float32, aoff *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	switch {
	case wn == nw:
		kernelRowsAWide(nseg, seglen, skip, a, (*[mr]int)(aoff[:mr]), b, c, ldc, accum)
	case hn == 2*mr:
		kernelRowsATall(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
	default:
		kernelRowsA(nseg, seglen, skip, a, (*[mr]int)(aoff[:mr]), b, c, ldc, accum)
	}
}

// patchesTile runs the patches kernel of an hn×wn tile (patches at pos[:hn]).
func patchesTile(hn, wn, k int, img *float32, off *int, pos *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	switch {
	case wn == nw:
		kernelPatchesWide(k, img, off, (*[mr]int)(pos[:mr]), b, c, ldc, accum)
	case hn == 2*mr:
		kernelPatchesTall(k, img, off, pos, b, c, ldc, accum)
	default:
		kernelPatches(k, img, off, (*[mr]int)(pos[:mr]), b, c, ldc, accum)
	}
}

// kernelPair is kernel on a 6×32 tile: b points at two adjacent panels of k steps.
func kernelPair(k int, a, b, c *float32, ldc int, accum bool) {
	kernel(k, a, b, c, ldc, accum)
	kernel(k, a, at(b, nr*k), at(c, nr), ldc, accum)
}

// kernelTallPair is kernel on a 12×16 tile: a points at two adjacent panels of k steps.
func kernelTallPair(k int, a, b, c *float32, ldc int, accum bool) {
	kernel(k, a, b, c, ldc, accum)
	kernel(k, at(a, mr*k), b, at(c, mr*ldc), ldc, accum)
}

// kernelRowsAPair is kernelRowsA on a 6×32 tile.
func kernelRowsAPair(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsA(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
	kernelRowsA(nseg, seglen, skip, a, aoff, at(b, nr*nseg*seglen), at(c, nr), ldc, accum)
}

// kernelRowsATallPair is kernelRowsA on a 12×16 tile.
func kernelRowsATallPair(nseg, seglen, skip int, a *float32, aoff *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsA(nseg, seglen, skip, a, (*[mr]int)(aoff[:mr]), b, c, ldc, accum)
	kernelRowsA(nseg, seglen, skip, a, (*[mr]int)(aoff[mr:]), b, at(c, mr*ldc), ldc, accum)
}

// kernelPatchesPair is kernelPatches on a 6×32 tile.
func kernelPatchesPair(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelPatches(k, img, off, pos, b, c, ldc, accum)
	kernelPatches(k, img, off, pos, at(b, nr*k), at(c, nr), ldc, accum)
}

// kernelPatchesTallPair is kernelPatches on a 12×16 tile.
func kernelPatchesTallPair(k int, img *float32, off *int, pos *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	kernelPatches(k, img, off, (*[mr]int)(pos[:mr]), b, c, ldc, accum)
	kernelPatches(k, img, off, (*[mr]int)(pos[mr:]), b, at(c, mr*ldc), ldc, accum)
}

// at is &p[i] for a pointer into a slice.
func at(p *float32, i int) *float32 { return (*float32)(unsafe.Add(unsafe.Pointer(p), 4*i)) }
