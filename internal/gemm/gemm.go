package gemm

import (
	"fmt"
	"sync"
)

// Blocking parameters (Goto & van de Geijn 2008, §6; values in the range BLIS uses for
// AVX2 sgemm). mr×nr is the register tile of the micro-kernel. A kc×nr panel of B (16 KiB)
// stays in the 32 KiB L1 data cache while the kernel sweeps an mc×kc block of A (96 KiB) that
// stays in L2; nc bounds the packed block of B (4 MiB), which lives in L3.
const (
	mr = 6
	nr = 16
	kc = 256
	mc = 16 * mr
	nc = 256 * nr
)

// buffers holds the packed blocks of one goroutine.
type buffers struct {
	a, b []float32
	tile [mr * nw]float32 // one tile: 6×16, 6×32 or 12×16
}

var pool = sync.Pool{New: func() any { return new(buffers) }}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X, or Xᵀ when the matching
// transpose flag is set; op(A) is m×k, op(B) is k×n and C is m×n. All matrices are row-major:
// element (i,j) of a stored matrix X with leading dimension ldx is x[i*ldx+j]. With beta 0, C
// is only written (its old contents, even NaN, are ignored), as in the reference BLAS.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	bufs := pool.Get().(*buffers)
	sgemm(bufs, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	pool.Put(bufs)
}

// SgemmParallel is Sgemm with C cut into at most workers disjoint blocks of whole columns
// (or rows, when C has few columns) computed on separate goroutines. Every element is computed
// exactly as Sgemm computes it, so the result does not depend on workers.
func SgemmParallel(workers int, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	check(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	// Below ~64 kernel calls of kc steps per goroutine the start-up (a few µs) costs more than
	// it saves.
	if w := int(int64(m) * int64(n) * int64(k) / (64 * mr * nr * kc)); w < workers {
		workers = max(w, 1)
	}
	split(workers, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// split runs the product as up to workers goroutines, each computing a block of whole columns
// of C (or whole rows, when C has more row tiles than column tiles).
func split(workers int, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	byCols := (n+nr-1)/nr >= (m+mr-1)/mr
	units, unit := (m+mr-1)/mr, mr
	if byCols {
		units, unit = (n+nr-1)/nr, nr
	}
	workers = min(workers, units)
	if workers <= 1 {
		Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := units*w/workers*unit, units*(w+1)/workers*unit
		wg.Add(1)
		go func() {
			defer wg.Done()
			bufs := pool.Get().(*buffers)
			defer pool.Put(bufs)
			if byCols {
				hi = min(hi, n)
				off := lo // column lo of op(B)
				if tB {
					off = lo * ldb
				}
				sgemm(bufs, tA, tB, m, hi-lo, k, alpha, a, lda, b[off:], ldb, beta, c[lo:], ldc)
			} else {
				hi = min(hi, m)
				off := lo * lda // row lo of op(A)
				if tA {
					off = lo
				}
				sgemm(bufs, tA, tB, hi-lo, n, k, alpha, a[off:], lda, b, ldb, beta, c[lo*ldc:], ldc)
			}
		}()
	}
	wg.Wait()
}

// check panics unless the slices hold the matrices their shapes and strides describe.
func check(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	need := func(name string, x []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("gemm: ld%s %d < %d columns", name, ld, cols))
		}
		if len(x) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s has %d values, a %d×%d matrix with stride %d needs %d", name, len(x), rows, cols, ld, (rows-1)*ld+cols))
		}
	}
	if tA {
		need("a", a, k, m, lda)
	} else {
		need("a", a, m, k, lda)
	}
	if tB {
		need("b", b, n, k, ldb)
	} else {
		need("b", b, k, n, ldb)
	}
	need("c", c, m, n, ldc)
}

// sgemm is the blocked driver: loops over nc-wide column blocks of C, kc-deep blocks of the
// sum and mc-high row blocks, packing op(B) and op(A) blocks before the macro-kernel.
func sgemm(bufs *buffers, tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
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
	if k == 0 || alpha == 0 {
		if beta == 0 {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			accum := beta == 1 || pc > 0
			bp := grow(&bufs.b, kb*roundUp(nb, nr))
			packB(bp, tB, b, ldb, pc, kb, jc, nb)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				ap := grow(&bufs.a, kb*roundUp(mb, mr))
				packA(ap, tA, a, lda, ic, mb, pc, kb, alpha)
				macro(bufs, kb, mb, nb, ap, bp, c[ic*ldc+jc:], ldc, accum)
			}
		}
	}
}

// macro runs the micro-kernels over an mb×nb block of C from packed panels, in tiles of
// tileHeight rows and tileWidth columns. Tiles that overhang the block are computed into a
// scratch tile and the valid part copied out, with the same arithmetic as a full tile.
func macro(bufs *buffers, kb, mb, nb int, ap, bp, c []float32, ldc int, accum bool) {
	for jr := 0; jr < nb; {
		wn := tileWidth(nb - jr)
		bpan := bp[jr*kb : (jr+wn)*kb]
		w := min(wn, nb-jr)
		for ir := 0; ir < mb; {
			hn := tileHeight(wn, mb-ir)
			apan := ap[ir*kb : (ir+hn)*kb]
			h := min(hn, mb-ir)
			off := ir*ldc + jr
			if h == hn && w == wn {
				_ = c[off+(hn-1)*ldc+wn-1] // the kernel writes hn rows from off, wn wide
				packedTile(hn, wn, kb, &apan[0], &bpan[0], &c[off], ldc, accum)
			} else {
				t := &bufs.tile
				packedTile(hn, wn, kb, &apan[0], &bpan[0], &t[0], wn, false)
				for i := range h {
					row := c[off+i*ldc : off+i*ldc+w]
					trow := t[i*wn : i*wn+w]
					if accum {
						for j, v := range trow {
							row[j] += v
						}
					} else {
						copy(row, trow)
					}
				}
			}
			ir += hn
		}
		jr += wn
	}
}

// packA copies alpha·op(A)[i0:i0+mb, p0:p0+kb] into panels of mr rows: panel r holds, for
// each p in turn, the mr values of column p (zero below row mb).
func packA(dst []float32, tA bool, a []float32, lda, i0, mb, p0, kb int, alpha float32) {
	for ir := 0; ir < mb; ir += mr {
		pan := dst[ir*kb : (ir+mr)*kb]
		h := min(mr, mb-ir)
		if tA {
			// op(A)(i,p) = a[p*lda+i]: the mr values of one p are contiguous.
			for p := range kb {
				src := a[(p0+p)*lda+i0+ir:]
				d := pan[p*mr : p*mr+mr]
				for i := range h {
					d[i] = alpha * src[i]
				}
				for i := h; i < mr; i++ {
					d[i] = 0
				}
			}
			continue
		}
		for i := range mr {
			if i >= h {
				for p := range kb {
					pan[p*mr+i] = 0
				}
				continue
			}
			src := a[(i0+ir+i)*lda+p0:]
			src = src[:kb]
			for p, v := range src {
				pan[p*mr+i] = alpha * v
			}
		}
	}
}

// packB copies op(B)[p0:p0+kb, j0:j0+nb] into panels of nr columns: panel j holds, for each p
// in turn, the nr values of row p (zero right of column nb).
func packB(dst []float32, tB bool, b []float32, ldb, p0, kb, j0, nb int) {
	for jr := 0; jr < nb; jr += nr {
		pan := dst[jr*kb : (jr+nr)*kb]
		w := min(nr, nb-jr)
		if !tB {
			for p := range kb {
				src := b[(p0+p)*ldb+j0+jr:]
				d := pan[p*nr : p*nr+nr]
				copy(d[:w], src[:w])
				clear(d[w:])
			}
			continue
		}
		// op(B)(p,j) = b[j*ldb+p]: gather one value from each of w rows.
		for j := range nr {
			if j >= w {
				for p := range kb {
					pan[p*nr+j] = 0
				}
				continue
			}
			src := b[(j0+jr+j)*ldb+p0:]
			src = src[:kb]
			for p, v := range src {
				pan[p*nr+j] = v
			}
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// grow returns (*buf)[:n], reallocating when the buffer is too small.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
