package gemm

import (
	"fmt"
	"unsafe"
)

// Taps and Dots are the products of a convolution with a single channel on one side (one
// output channel, or its gradient with one channel per input channel), where the matrix
// products above would fill 16-wide tiles for one useful column: the vector lanes run along
// an image row instead.

// Tap block: the kernel computes tapRows×tapCols outputs at a time.
const (
	tapRows = 4
	tapCols = 16
	dotLen  = 16 // Dots sums in 16 lanes: element j goes to lane j mod 16
	dotTaps = 4  // Dots kernel: taps per call
)

// Taps computes, for i < rows and j < cols,
//
//	out[i·ldo+j] = Σ_{t<len(w)} w[t]·src[off[t] + i·lds + j]
//
// a sum of len(w) shifted copies of a rows×cols block of src (rows lds apart), each weighted
// by one value (a tap): with src a zero-padded image of C planes, off[t] the offset of patch
// element t = (c,u,v) and w a filter, out is the convolution's single output channel. Each
// element is one sum over t in increasing order (the assembly: one fused multiply-add per
// tap, from zero — the arithmetic of MulPatches for the same element), whatever rows and cols.
// Blocks of 4×16 outputs run in the kernel; a block that would read past the end of src runs
// in Go (keep 16 values of slack after an image to avoid that).
func Taps(w []float32, off []int, src []float32, lds int, out []float32, ldo, rows, cols int) {
	if len(off) != len(w) {
		panic(fmt.Sprintf("gemm: Taps: %d offsets for %d taps", len(off), len(w)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if ldo < cols || len(out) < (rows-1)*ldo+cols {
		panic(fmt.Sprintf("gemm: Taps: out has %d values, a %d×%d block with stride %d needs %d", len(out), rows, cols, ldo, (rows-1)*ldo+cols))
	}
	lo, hi := 0, 0
	for i, o := range off {
		if i == 0 || o < lo {
			lo = o
		}
		hi = max(hi, o)
	}
	if lo < 0 || (len(w) > 0 && hi+(rows-1)*lds+cols > len(src)) {
		panic(fmt.Sprintf("gemm: Taps: offsets %d..%d with a %d×%d block of stride %d read past src (%d values)", lo, hi, rows, cols, lds, len(src)))
	}
	if len(w) == 0 {
		for i := range rows {
			clear(out[i*ldo : i*ldo+cols])
		}
		return
	}
	var tile [tapRows * tapCols]float32
	for i0 := 0; i0 < rows; i0 += tapRows {
		if i0+tapRows > rows {
			if rows < tapRows {
				tapsGo(w, off, src, lds, out, ldo, rows, cols)
				return
			}
			i0 = rows - tapRows // the last block overlaps the one before: the same values again
		}
		for j0 := 0; j0 < cols; j0 += tapCols {
			base := i0*lds + j0
			if hi+base+(tapRows-1)*lds+tapCols > len(src) { // the kernel would read past src
				tapsGo(w, off, src[base:], lds, out[i0*ldo+j0:], ldo, tapRows, min(tapCols, cols-j0))
				continue
			}
			if j0+tapCols <= cols {
				taps(len(w), &w[0], &off[0], &src[base], lds, &out[i0*ldo+j0], ldo)
				continue
			}
			taps(len(w), &w[0], &off[0], &src[base], lds, &tile[0], tapCols)
			for i := range tapRows {
				copy(out[(i0+i)*ldo+j0:(i0+i)*ldo+cols], tile[i*tapCols:])
			}
		}
		if i0+tapRows == rows {
			break
		}
	}
}

// Dots computes out[t] = Σ_{j<len(a)} a[j]·b[off[t]+j] for t < len(off): the dot products of a
// with windows of b, len(a) a multiple of 16. With a one-channel gradient image whose rows are
// stored with the stride of a zero-padded input image (zeros past each row), and b that
// padded input, out is the weight gradient of a convolution with one output channel. Each
// sum runs in 16 lanes, element j in lane j mod 16 in increasing j (the assembly: one fused
// multiply-add per term, from zero), and the lanes are then added pairwise: lane l + lane l+8,
// then l + l+4, l + l+2, l + l+1.
func Dots(a, b []float32, off []int, out []float32) {
	n := len(a)
	if n%dotLen != 0 {
		panic(fmt.Sprintf("gemm: Dots of %d values, need a multiple of %d", n, dotLen))
	}
	if len(out) < len(off) {
		panic(fmt.Sprintf("gemm: Dots: %d outputs for %d offsets", len(out), len(off)))
	}
	for t, o := range off {
		if o < 0 || o+n > len(b) {
			panic(fmt.Sprintf("gemm: Dots: window %d at %d reads %d values, b has %d", t, o, n, len(b)))
		}
	}
	if n == 0 {
		clear(out[:len(off)])
		return
	}
	var offs [dotTaps]int
	var res [dotTaps]float32
	for t0 := 0; t0 < len(off); t0 += dotTaps {
		m := min(dotTaps, len(off)-t0)
		for i := range dotTaps {
			offs[i] = off[t0+min(i, m-1)] // taps past the end repeat the last one
		}
		dots(n, &a[0], &b[0], &offs, &res)
		copy(out[t0:t0+m], res[:m])
	}
}

// tapsGo is Taps's arithmetic in Go, for any block: one multiply and one add per tap.
func tapsGo(w []float32, off []int, src []float32, lds int, out []float32, ldo, rows, cols int) {
	for i := range rows {
		for j := range cols {
			var acc float32
			for t, wt := range w {
				acc += wt * src[off[t]+i*lds+j]
			}
			out[i*ldo+j] = acc
		}
	}
}

// kernelTapsGo is the Go twin of the tap kernel: one 4×16 block.
func kernelTapsGo(k int, w *float32, off *int, src *float32, lds int, out *float32, ldo int) {
	ws, offs := unsafe.Slice(w, k), unsafe.Slice(off, k)
	hi := 0
	for _, o := range offs {
		hi = max(hi, o)
	}
	s := unsafe.Slice(src, hi+(tapRows-1)*lds+tapCols)
	tapsGo(ws, offs, s, lds, unsafe.Slice(out, (tapRows-1)*ldo+tapCols), ldo, tapRows, tapCols)
}

// kernelDotsGo is the Go twin of the dots kernel: 4 dot products of n values (a multiple of
// 16) in 16 lanes each, reduced as Dots describes.
func kernelDotsGo(n int, a, b *float32, off *[dotTaps]int, out *[dotTaps]float32) {
	as := unsafe.Slice(a, n)
	for t, o := range off {
		bs := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(b), 4*o)), n)
		var lane [dotLen]float32
		for j := 0; j < n; j += dotLen {
			for l := range dotLen {
				lane[l] += as[j+l] * bs[j+l]
			}
		}
		for w := dotLen / 2; w >= 1; w /= 2 {
			for l := range w {
				lane[l] += lane[l+w]
			}
		}
		out[t] = lane[0]
	}
}
