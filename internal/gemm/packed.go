package gemm

import "fmt"

// PackedA is an m×k left operand stored in the micro-kernel's panel layout, so a caller can
// pack it once and multiply it many times (a layer's weights against every sample), or write
// it directly in that layout. The sum index k is cut into blocks of kc; block b holds
// ⌈m/mr⌉ panels of mr rows, each panel the mr values of column p for p in turn.
type PackedA struct {
	m, k int
	data []float32
}

// PackedB is a k×n right operand in the micro-kernel's panel layout: for each kc-block of k,
// ⌈n/nr⌉ panels of nr columns, each panel the nr values of row p for p in turn. Callers can
// write rows directly (SetRow), e.g. an im2col that produces the packed patch matrix without
// an intermediate copy.
type PackedB struct {
	k, n int
	data []float32
}

// Reset sizes p for an m×k matrix, reusing its storage; the contents are unspecified until
// packed.
func (p *PackedA) Reset(m, k int) {
	p.m, p.k = m, k
	p.data = grow(&p.data, k*roundUp(m, mr))
}

// Reset sizes p for a k×n matrix, reusing its storage; the contents are unspecified until
// every row is set or the matrix packed.
func (p *PackedB) Reset(k, n int) {
	p.k, p.n = k, n
	p.data = grow(&p.data, k*roundUp(n, nr))
}

// Pack stores alpha·op(A) (m×k as given to Reset; op(A) = A, or Aᵀ when tA) into p.
func (p *PackedA) Pack(tA bool, alpha float32, a []float32, lda int) {
	check(tA, false, p.m, 0, p.k, a, lda, nil, 0, nil, 0)
	mp := roundUp(p.m, mr)
	for p0 := 0; p0 < p.k; p0 += kc {
		kb := min(kc, p.k-p0)
		packA(p.data[p0*mp:p0*mp+kb*mp], tA, a, lda, 0, p.m, p0, kb, alpha)
	}
}

// Pack stores op(B) (k×n as given to Reset) into p.
func (p *PackedB) Pack(tB bool, b []float32, ldb int) {
	check(false, tB, 0, p.n, p.k, nil, 0, b, ldb, nil, 0)
	np := roundUp(p.n, nr)
	for p0 := 0; p0 < p.k; p0 += kc {
		kb := min(kc, p.k-p0)
		packB(p.data[p0*np:p0*np+kb*np], tB, b, ldb, p0, kb, 0, p.n)
	}
}

// SetRow stores src as B[row, j0 : j0+len(src)].
func (p *PackedB) SetRow(row, j0 int, src []float32) {
	if row < 0 || row >= p.k || j0 < 0 || j0+len(src) > p.n {
		panic(fmt.Sprintf("gemm: row %d, columns %d..%d of a %d×%d PackedB", row, j0, j0+len(src), p.k, p.n))
	}
	p0 := row / kc * kc
	kb := min(kc, p.k-p0)
	base := p0*roundUp(p.n, nr) + (row-p0)*nr
	for len(src) > 0 {
		lane := j0 % nr
		w := min(nr-lane, len(src))
		off := base + (j0-lane)*kb + lane
		copy(p.data[off:off+w], src[:w])
		src, j0 = src[w:], j0+w
	}
}

// ZeroRow sets B[row, j0 : j0+n] to zero.
func (p *PackedB) ZeroRow(row, j0, n int) {
	if row < 0 || row >= p.k || j0 < 0 || j0+n > p.n {
		panic(fmt.Sprintf("gemm: row %d, columns %d..%d of a %d×%d PackedB", row, j0, j0+n, p.k, p.n))
	}
	p0 := row / kc * kc
	kb := min(kc, p.k-p0)
	base := p0*roundUp(p.n, nr) + (row-p0)*nr
	for n > 0 {
		lane := j0 % nr
		w := min(nr-lane, n)
		off := base + (j0-lane)*kb + lane
		clear(p.data[off : off+w])
		n, j0 = n-w, j0+w
	}
}

// MulPacked computes C = A·B + beta·C from packed operands (A m×k, B k×n, C m×n row-major
// with leading dimension ldc), with the same arithmetic as Sgemm: C's elements are bit-equal
// to Sgemm's on the same values.
func MulPacked(a *PackedA, b *PackedB, beta float32, c []float32, ldc int) {
	if a.k != b.k {
		panic(fmt.Sprintf("gemm: A is %d×%d, B is %d×%d", a.m, a.k, b.k, b.n))
	}
	m, n, k := a.m, b.n, a.k
	beta, ok := prologue(m, n, k, beta, c, ldc)
	if !ok {
		return
	}
	bufs := pool.Get().(*buffers)
	defer pool.Put(bufs)
	mp, np := roundUp(m, mr), roundUp(n, nr)
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		accum := beta == 1 || p0 > 0
		bp := b.data[p0*np : p0*np+kb*np]
		for ic := 0; ic < m; ic += mc {
			mb := min(mc, m-ic)
			ap := a.data[p0*mp+ic*kb : p0*mp+(ic+roundUp(mb, mr))*kb]
			macro(bufs, kb, mb, n, ap, bp, c[ic*ldc:], ldc, accum)
		}
	}
}
