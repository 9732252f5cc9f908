package gemm

// PackedB is a k×n right operand in the micro-kernel's panel layout, packed once and used by
// many products (a layer's weights against every sample): for each block of depth rows of k
// (depth kc after Reset, all of k after ResetWhole), ⌈n/nr⌉ panels of nr columns, each panel
// the nr values of row p for p in turn. MulPatches takes the kc-blocked layout, MulRowsA the
// whole one.
type PackedB struct {
	k, n, depth int
	data        []float32
	wrapped     bool // data is a caller's matrix (Wrap), not p's own storage
}

// Reset sizes p for a k×n matrix in kc-deep blocks (for MulPatches), reusing its storage; the
// contents are unspecified until packed.
func (p *PackedB) Reset(k, n int) {
	if p.wrapped { // never pack into a caller's matrix
		p.data, p.wrapped = nil, false
	}
	p.k, p.n, p.depth = k, n, kc
	p.data = grow(&p.data, k*roundUp(n, nr))
}

// ResetWhole is Reset with the whole of k in one block (for MulRowsA).
func (p *PackedB) ResetWhole(k, n int) {
	p.Reset(k, n)
	p.depth = max(k, 1)
}

// Pack stores op(B) (k×n as given to Reset) into p.
func (p *PackedB) Pack(tB bool, b []float32, ldb int) {
	check(false, tB, 0, p.n, p.k, nil, 0, b, ldb, nil, 0)
	np := roundUp(p.n, nr)
	for p0 := 0; p0 < p.k; p0 += p.depth {
		kb := min(p.depth, p.k-p0)
		packB(p.data[p0*np:p0*np+kb*np], tB, b, ldb, p0, kb, 0, p.n)
	}
}

// Wrap makes p the k×n matrix b (row-major, n columns apart) in the layout Reset gives,
// without copying, where that layout is b's own: one panel (n = 16), whose rows are b's rows
// in order. It reports whether it could; otherwise p is unchanged and b must be packed.
func (p *PackedB) Wrap(k, n int, b []float32) bool {
	if n != nr || len(b) < k*nr {
		return false
	}
	p.k, p.n, p.depth = k, n, kc
	p.data, p.wrapped = b[:k*nr], true
	return true
}
