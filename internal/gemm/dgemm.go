package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The float64 matrix product, for the attacks' linear algebra (ridge regressions, FastICA,
// Cholesky factorisations: gonum's mat and lapack packages, through BLAS64). It is the
// float32 design (gemm.go) with a 6×8 tile of float64 — six rows of two 4-wide YMM registers,
// AVX2/FMA — and the same blocking; there is no AVX-512 kernel, so results do not depend on
// it.

// Float64 tile.
const (
	dmr = 6
	dnr = 8
)

// dbuffers holds the packed float64 blocks of one goroutine.
type dbuffers struct {
	a, b []float64
	tile [dmr * dnr]float64
}

var dpool = sync.Pool{New: func() any { return new(dbuffers) }}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C in float64, as Sgemm does in float32 (row-major,
// op(X) = X or Xᵀ; with beta 0, C is only written). Every element of C is a sum over k in
// blocks of kc in increasing order, each block summed in increasing k with one fused
// multiply-add per term (alpha folded into A), then added to C; the result does not depend on
// the number of goroutines. Products with enough work run on up to GOMAXPROCS goroutines,
// each computing whole columns of C.
func Dgemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	dcheck(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	workers := runtime.GOMAXPROCS(0)
	// Below ~32 kernel calls of kc steps per goroutine the start-up costs more than it saves.
	if w := int(int64(m) * int64(n) * int64(k) / (32 * dmr * dnr * kc)); w < workers {
		workers = max(w, 1)
	}
	units := (n + dnr - 1) / dnr
	workers = min(workers, units)
	if workers <= 1 {
		bufs := dpool.Get().(*dbuffers)
		dgemm(bufs, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		dpool.Put(bufs)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := units*w/workers*dnr, min(units*(w+1)/workers*dnr, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			bufs := dpool.Get().(*dbuffers)
			defer dpool.Put(bufs)
			off := lo // column lo of op(B)
			if tB {
				off = lo * ldb
			}
			dgemm(bufs, tA, tB, m, hi-lo, k, alpha, a, lda, b[off:], ldb, beta, c[lo:], ldc)
		}()
	}
	wg.Wait()
}

// dcheck panics unless the slices hold the matrices their shapes and strides describe.
func dcheck(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	need := func(name string, x []float64, rows, cols, ld int) {
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
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	need("a", a, ar, ac, lda)
	need("b", b, br, bc, ldb)
	need("c", c, m, n, ldc)
}

// dgemm is the blocked driver (sgemm's, in float64).
func dgemm(bufs *dbuffers, tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
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
			bp := dgrow(&bufs.b, kb*roundUp(nb, dnr))
			dpackB(bp, tB, b, ldb, pc, kb, jc, nb)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				ap := dgrow(&bufs.a, kb*roundUp(mb, dmr))
				dpackA(ap, tA, a, lda, ic, mb, pc, kb, alpha)
				dmacro(bufs, kb, mb, nb, ap, bp, c[ic*ldc+jc:], ldc, accum)
			}
		}
	}
}

// dmacro runs the 6×8 kernel over an mb×nb block of C; overhanging tiles go through the
// scratch tile, with the same arithmetic.
func dmacro(bufs *dbuffers, kb, mb, nb int, ap, bp, c []float64, ldc int, accum bool) {
	for jr := 0; jr < nb; jr += dnr {
		bpan := bp[jr*kb : (jr+dnr)*kb]
		w := min(dnr, nb-jr)
		for ir := 0; ir < mb; ir += dmr {
			apan := ap[ir*kb : (ir+dmr)*kb]
			h := min(dmr, mb-ir)
			off := ir*ldc + jr
			if h == dmr && w == dnr {
				_ = c[off+(dmr-1)*ldc+dnr-1]
				dkernel(kb, &apan[0], &bpan[0], &c[off], ldc, accum)
				continue
			}
			t := &bufs.tile
			dkernel(kb, &apan[0], &bpan[0], &t[0], dnr, false)
			for i := range h {
				row, trow := c[off+i*ldc:off+i*ldc+w], t[i*dnr:i*dnr+w]
				if accum {
					for j, v := range trow {
						row[j] += v
					}
				} else {
					copy(row, trow)
				}
			}
		}
	}
}

// dpackA copies alpha·op(A)[i0:i0+mb, p0:p0+kb] into panels of 6 rows (packA's layout).
func dpackA(dst []float64, tA bool, a []float64, lda, i0, mb, p0, kb int, alpha float64) {
	for ir := 0; ir < mb; ir += dmr {
		pan := dst[ir*kb : (ir+dmr)*kb]
		h := min(dmr, mb-ir)
		if tA {
			for p := range kb {
				src := a[(p0+p)*lda+i0+ir:]
				d := pan[p*dmr : p*dmr+dmr]
				for i := range h {
					d[i] = alpha * src[i]
				}
				clear(d[h:])
			}
			continue
		}
		for i := range dmr {
			if i >= h {
				for p := range kb {
					pan[p*dmr+i] = 0
				}
				continue
			}
			for p, v := range a[(i0+ir+i)*lda+p0:][:kb] {
				pan[p*dmr+i] = alpha * v
			}
		}
	}
}

// dpackB copies op(B)[p0:p0+kb, j0:j0+nb] into panels of 8 columns (packB's layout).
func dpackB(dst []float64, tB bool, b []float64, ldb, p0, kb, j0, nb int) {
	for jr := 0; jr < nb; jr += dnr {
		pan := dst[jr*kb : (jr+dnr)*kb]
		w := min(dnr, nb-jr)
		if !tB {
			for p := range kb {
				d := pan[p*dnr : p*dnr+dnr]
				copy(d[:w], b[(p0+p)*ldb+j0+jr:][:w])
				clear(d[w:])
			}
			continue
		}
		for j := range dnr {
			if j >= w {
				for p := range kb {
					pan[p*dnr+j] = 0
				}
				continue
			}
			for p, v := range b[(j0+jr+j)*ldb+p0:][:kb] {
				pan[p*dnr+j] = v
			}
		}
	}
}

func dgrow(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	return (*buf)[:n]
}

// dkernelGo is the portable float64 kernel: c[i*ldc+j] (+)= Σ_p a[p*6+i]·b[p*8+j], one
// multiply and one add per term.
func dkernelGo(k int, a, b, c *float64, ldc int, accum bool) {
	ap, bp := unsafe.Slice(a, k*dmr), unsafe.Slice(b, k*dnr)
	cs := unsafe.Slice(c, (dmr-1)*ldc+dnr)
	for i := range dmr {
		for j := 0; j < dnr; j += 4 {
			var c0, c1, c2, c3 float64
			for p := range k {
				av := ap[p*dmr+i]
				bv := bp[p*dnr+j : p*dnr+j+4 : p*dnr+j+4]
				c0 += av * bv[0]
				c1 += av * bv[1]
				c2 += av * bv[2]
				c3 += av * bv[3]
			}
			row := cs[i*ldc+j : i*ldc+j+4 : i*ldc+j+4]
			if accum {
				row[0] += c0
				row[1] += c1
				row[2] += c2
				row[3] += c3
			} else {
				row[0], row[1], row[2], row[3] = c0, c1, c2, c3
			}
		}
	}
}

// BLAS64 is gonum's pure-Go BLAS with Dgemm replaced by this package's: give it to
// gonum.org/v1/gonum/blas/blas64.Use so that gonum's mat and lapack packages multiply with the
// AVX2/FMA kernel.
type BLAS64 struct{ gonum.Implementation }

// Dgemm is the BLAS routine (row-major, as gonum's blas64 calls it) on Dgemm.
func (BLAS64) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	trans := func(t blas.Transpose) bool {
		switch t {
		case blas.NoTrans:
			return false
		case blas.Trans, blas.ConjTrans:
			return true
		}
		panic(fmt.Sprintf("gemm: bad transpose %v", t))
	}
	Dgemm(trans(tA), trans(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
