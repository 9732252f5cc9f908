package gemm

import (
	"fmt"
	"unsafe"
)

// MulRowsB computes C = A·B + beta·C for a packed m×k A and a k×n B whose row p is read in
// place: B[p][j] = b[boff[p]+j]. Rows may overlap, which makes this an implicit im2col: with b
// a zero-padded image of row width W, row (c,u,v) of the patch matrix is the image shifted by
// c·plane+u·W+v (see the models package's convolution). Each row is read up to the next
// multiple of 16 columns past n, so b must hold boff[p]+⌈n/16⌉·16 values for every p; the extra
// values only reach discarded columns. C's elements are computed as Sgemm computes them.
func MulRowsB(a *PackedA, b []float32, boff []int, n int, beta float32, c []float32, ldc int) {
	m, k := a.m, a.k
	if len(boff) != k {
		panic(fmt.Sprintf("gemm: %d row offsets for k = %d", len(boff), k))
	}
	np := roundUp(n, nr)
	for p, o := range boff {
		if o < 0 || o+np > len(b) {
			panic(fmt.Sprintf("gemm: row %d at offset %d needs %d values, b has %d", p, o, o+np, len(b)))
		}
	}
	beta, ok := prologue(m, n, k, beta, c, ldc)
	if !ok {
		return
	}
	bufs := pool.Get().(*buffers)
	defer pool.Put(bufs)
	mp := roundUp(m, mr)
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		accum := beta == 1 || p0 > 0
		offs := boff[p0 : p0+kb]
		for ic := 0; ic < m; ic += mc {
			mb := min(mc, m-ic)
			ap := a.data[p0*mp+ic*kb : p0*mp+(ic+roundUp(mb, mr))*kb]
			cb := c[ic*ldc:]
			for jr := 0; jr < n; jr += nr {
				w := min(nr, n-jr)
				for ir := 0; ir < mb; ir += mr {
					h := min(mr, mb-ir)
					apan := ap[ir*kb : (ir+mr)*kb]
					tile(bufs, h, w, cb[ir*ldc+jr:], ldc, accum, func(dst *float32, ld int, acc bool) {
						kernelRowsB(kb, &apan[0], &b[jr], &offs[0], dst, ld, acc)
					})
				}
			}
		}
	}
}

// MulRowsA computes C = A·B + beta·C for an m×k A whose row i is read in place,
// A[i][p] = a[aoff[i]+p], and a packed k×n B. Rows may overlap (an implicit im2col, as in
// MulRowsB). C's elements are computed as Sgemm computes them.
func MulRowsA(a []float32, aoff []int, b *PackedB, beta float32, c []float32, ldc int) {
	m, n, k := len(aoff), b.n, b.k
	for i, o := range aoff {
		if o < 0 || o+k > len(a) {
			panic(fmt.Sprintf("gemm: row %d at offset %d needs %d values, a has %d", i, o, o+k, len(a)))
		}
	}
	beta, ok := prologue(m, n, k, beta, c, ldc)
	if !ok {
		return
	}
	bufs := pool.Get().(*buffers)
	defer pool.Put(bufs)
	np := roundUp(n, nr)
	var offs [mr]int
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		accum := beta == 1 || p0 > 0
		bp := b.data[p0*np : p0*np+kb*np]
		for jr := 0; jr < n; jr += nr {
			w := min(nr, n-jr)
			bpan := bp[jr*kb : (jr+nr)*kb]
			for ir := 0; ir < m; ir += mr {
				h := min(mr, m-ir)
				for i := range mr {
					offs[i] = aoff[ir+min(i, h-1)] + p0 // rows past m repeat the last one
				}
				tile(bufs, h, w, c[ir*ldc+jr:], ldc, accum, func(dst *float32, ld int, acc bool) {
					kernelRowsA(kb, &a[0], &offs, &bpan[0], dst, ld, acc)
				})
			}
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

// tile runs a kernel on an h×w tile at c: in place when the tile is whole, else into the
// scratch tile and copies (or adds) the valid part, with the same arithmetic.
func tile(bufs *buffers, h, w int, c []float32, ldc int, accum bool, kern func(dst *float32, ld int, acc bool)) {
	if h == mr && w == nr {
		_ = c[(mr-1)*ldc+nr-1]
		kern(&c[0], ldc, accum)
		return
	}
	t := &bufs.tile
	kern(&t[0], nr, false)
	for i := range h {
		row, trow := c[i*ldc:i*ldc+w], t[i*nr:i*nr+w]
		if accum {
			for j, v := range trow {
				row[j] += v
			}
		} else {
			copy(row, trow)
		}
	}
}

// kernelRowsBGo is kernelGo with row p of B at b+boff[p].
func kernelRowsBGo(k int, a, b *float32, boff *int, c *float32, ldc int, accum bool) {
	offs := unsafe.Slice(boff, k)
	var acc [mr][nr]float32
	as := unsafe.Slice(a, k*mr)
	for p, o := range offs {
		bp := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(b), 4*o)), nr)
		ap := as[p*mr : p*mr+mr]
		for i := range mr {
			ai := ap[i]
			row := &acc[i]
			for j := range nr {
				row[j] += ai * bp[j]
			}
		}
	}
	store(&acc, c, ldc, accum)
}

// kernelRowsAGo is kernelGo with row i of A at a+aoff[i].
func kernelRowsAGo(k int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	var rows [mr][]float32
	for i, o := range aoff {
		rows[i] = unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(a), 4*o)), k)
	}
	var acc [mr][nr]float32
	bs := unsafe.Slice(b, k*nr)
	for p := range k {
		bp := bs[p*nr : p*nr+nr]
		for i := range mr {
			ai := rows[i][p]
			row := &acc[i]
			for j := range nr {
				row[j] += ai * bp[j]
			}
		}
	}
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
