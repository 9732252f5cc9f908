package gemm

import (
	"fmt"
	"unsafe"
)

// Segments describes how the rows of MulRowsA's implicit operand run over an image: Count runs
// of Len consecutive values, each run starting Stride values after the previous one began, so
// index s·Len+j of a row is at s·Stride+j. With a zero-padded image of row width Stride and
// Len = the unpadded width, the runs are the image rows and the padding columns are skipped.
// Segments{1, k, k} is one contiguous run.
type Segments struct{ Count, Len, Stride int }

// N is the number of indices, Count·Len.
func (s Segments) N() int { return s.Count * s.Len }

// extent is how far past a row's offset the runs read.
func (s Segments) extent() int {
	if s.Count == 0 || s.Len == 0 {
		return 0
	}
	return (s.Count-1)*s.Stride + s.Len
}

// MulRowsA computes C = A·B + beta·C for an m×k A (k = seg.N()) whose rows are read in place,
// A[i][s·Len+p] = a[aoff[i] + s·Stride + p], and a packed k×n B. Rows may overlap, which makes
// this an implicit im2col: with a a zero-padded image, row (c,u,v) of a convolution's patch
// matrix is the image shifted by the offset of (c,u,v), read one image row at a time. Each element of C is one sum over all k in increasing order (no
// k-blocks: B's panels are streamed), so for k > 256 the rounding differs from Sgemm's.
func MulRowsA(a []float32, aoff []int, seg Segments, b *PackedB, beta float32, c []float32, ldc int) {
	m, n, k := len(aoff), b.n, b.k
	if seg.N() != k {
		panic(fmt.Sprintf("gemm: segments %+v give k = %d, B has %d rows", seg, seg.N(), k))
	}
	ext := seg.extent()
	for i, o := range aoff {
		if o < 0 || o+ext > len(a) {
			panic(fmt.Sprintf("gemm: row %d at offset %d needs %d values, a has %d", i, o, o+ext, len(a)))
		}
	}
	beta, ok := prologue(m, n, k, beta, c, ldc)
	if !ok {
		return
	}
	bufs := pool.Get().(*buffers)
	defer pool.Put(bufs)
	if b.depth < k {
		panic("gemm: MulRowsA needs B packed after ResetWhole")
	}
	bp := b.data
	var offs [2 * mr]int
	for jr := 0; jr < n; {
		wn := tileWidth(n - jr)
		w := min(wn, n-jr)
		bpan := bp[jr*k : (jr+wn)*k]
		for ir := 0; ir < m; {
			hn := tileHeight(wn, m-ir)
			h := min(hn, m-ir)
			for i := range hn {
				offs[i] = aoff[ir+min(i, h-1)] // rows past m repeat the last one
			}
			tile(bufs, h, w, hn, wn, c[ir*ldc+jr:], ldc, beta == 1, func(dst *float32, ld int, acc bool) {
				rowsTile(hn, wn, seg.Count, seg.Len, seg.Stride-seg.Len, &a[0], &offs, &bpan[0], dst, ld, acc)
			})
			ir += hn
		}
		jr += wn
	}
}

// MulPatches computes C = A·B + beta·C for an m×k A whose row i is the image patch at pos[i],
// A[i][p] = img[pos[i]+off[p]] (m = len(pos), k = len(off)), and a packed k×n B. With img a
// zero-padded image, off[p] the offset of patch element p (channel, kernel row, kernel column)
// and pos[i] the top-left corner of output pixel i's window, A is the im2row patch matrix of a
// convolution, never formed. C's elements are computed as Sgemm computes them.
func MulPatches(img []float32, pos, off []int, b *PackedB, beta float32, c []float32, ldc int) {
	m, n, k := len(pos), b.n, len(off)
	if b.k != k {
		panic(fmt.Sprintf("gemm: %d patch offsets for a B of %d rows", k, b.k))
	}
	if b.depth != kc && b.k > b.depth {
		panic("gemm: MulPatches needs B packed after Reset, not ResetWhole")
	}
	lo, hi := 0, 0
	for _, o := range off {
		lo, hi = min(lo, o), max(hi, o)
	}
	for i, q := range pos {
		if q+lo < 0 || q+hi >= len(img) {
			panic(fmt.Sprintf("gemm: patch %d at %d reads %d..%d, img has %d values", i, q, q+lo, q+hi, len(img)))
		}
	}
	beta, ok := prologue(m, n, k, beta, c, ldc)
	if !ok {
		return
	}
	bufs := pool.Get().(*buffers)
	defer pool.Put(bufs)
	np := roundUp(n, nr)
	var rows [2 * mr]int
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		accum := beta == 1 || p0 > 0
		offs := off[p0 : p0+kb]
		bp := b.data[p0*np : p0*np+kb*np]
		for jr := 0; jr < n; {
			wn := tileWidth(n - jr)
			w := min(wn, n-jr)
			bpan := bp[jr*kb : (jr+wn)*kb]
			for ir := 0; ir < m; {
				hn := tileHeight(wn, m-ir)
				h := min(hn, m-ir)
				for i := range hn {
					rows[i] = pos[ir+min(i, h-1)] // rows past m repeat the last one
				}
				tile(bufs, h, w, hn, wn, c[ir*ldc+jr:], ldc, accum, func(dst *float32, ld int, acc bool) {
					patchesTile(hn, wn, kb, &img[0], &offs[0], &rows, &bpan[0], dst, ld, acc)
				})
				ir += hn
			}
			jr += wn
		}
	}
}

// prologue applies a beta other than 0 or 1 to C and handles empty products; it returns the
// beta left to apply (0 or 1) and whether a product remains to be accumulated.
func prologue(m, n, k int, beta float32, c []float32, ldc int) (float32, bool) {
	check(false, false, m, n, 0, nil, 0, nil, 0, c, ldc)
	if m == 0 || n == 0 {
		return beta, false
	}
	if beta != 0 && beta != 1 {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
		beta = 1
	}
	if k == 0 && beta == 0 {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	return beta, k > 0
}

// tile runs a kernel of an hn×wn tile (6×16, 6×32 or 12×16) on an h×w tile at c: in place
// when the tile is whole, else into the scratch tile and copies (or adds) the valid part, with
// the same arithmetic.
func tile(bufs *buffers, h, w, hn, wn int, c []float32, ldc int, accum bool, kern func(dst *float32, ld int, acc bool)) {
	if h == hn && w == wn {
		_ = c[(hn-1)*ldc+wn-1]
		kern(&c[0], ldc, accum)
		return
	}
	t := &bufs.tile
	kern(&t[0], wn, false)
	for i := range h {
		row, trow := c[i*ldc:i*ldc+w], t[i*wn:i*wn+w]
		if accum {
			for j, v := range trow {
				row[j] += v
			}
		} else {
			copy(row, trow)
		}
	}
}

// kernelRowsAGo is kernelGo with row i of A read at a+aoff[i] in nseg runs of seglen values,
// skip values apart. It gathers A kc steps at a time into a packed panel; every chunk after the
// first adds onto the tile.
func kernelRowsAGo(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	k := nseg * seglen
	bs := unsafe.Slice(b, k*nr)
	var ap [kc * mr]float32
	var acc [mr][nr]float32
	p0 := 0
	for s := range nseg {
		for q := range seglen {
			for i := range mr {
				ap[(p0%kc)*mr+i] = *(*float32)(unsafe.Add(unsafe.Pointer(a), 4*(aoff[i]+s*(seglen+skip)+q)))
			}
			p0++
			if p0%kc == 0 || p0 == k {
				n := (p0-1)%kc + 1
				microGo(n, ap[:], bs[(p0-n)*nr:], &acc)
				store(&acc, c, ldc, accum || p0 > n)
			}
		}
	}
	if k == 0 {
		store(&acc, c, ldc, accum)
	}
}

// kernelPatchesGo is kernelGo with A[i][p] = img[pos[i]+off[p]] (k ≤ kc: the callers block k).
func kernelPatchesGo(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	var ap [kc * mr]float32
	for p, o := range unsafe.Slice(off, k) {
		for i := range mr {
			ap[p*mr+i] = *(*float32)(unsafe.Add(unsafe.Pointer(img), 4*(pos[i]+o)))
		}
	}
	var acc [mr][nr]float32
	microGo(k, ap[:], unsafe.Slice(b, k*nr), &acc)
	store(&acc, c, ldc, accum)
}

// store writes (or adds) an accumulated tile to C.
func store(acc *[mr][nr]float32, c *float32, ldc int, accum bool) {
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := range mr {
		row := cs[i*ldc : i*ldc+nr]
		if accum {
			for j := range row {
				row[j] += acc[i][j]
			}
		} else {
			copy(row, acc[i][:])
		}
	}
}
