package gemm

import "unsafe"

// The portable micro-kernels. Without SIMD the best a Go kernel can do is keep a small block
// of C in registers: microGo computes the 6×16 tile in 2×4 blocks of eight local
// accumulators (with the A and B values, 14 of the 15 float registers Go uses on amd64), each
// summed over p in increasing order. The other kernels gather their in-place operands into a
// packed panel and call it.

// microGo sets acc to the 6×16 product of the packed panels ap (k steps of 6) and bp (k steps
// of 16).
func microGo(k int, ap, bp []float32, acc *[mr][nr]float32) {
	ap, bp = ap[:k*mr], bp[:k*nr]
	for i := 0; i < mr; i += 2 {
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			for p := range k {
				a := ap[p*mr+i : p*mr+i+2 : p*mr+i+2]
				b := bp[p*nr+j : p*nr+j+4 : p*nr+j+4]
				a0, a1 := a[0], a[1]
				b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
			}
			acc[i][j], acc[i][j+1], acc[i][j+2], acc[i][j+3] = c00, c01, c02, c03
			acc[i+1][j], acc[i+1][j+1], acc[i+1][j+2], acc[i+1][j+3] = c10, c11, c12, c13
		}
	}
}

// kernelGo is the portable micro-kernel: c[i*ldc+j] = Σ_p a[p*mr+i]·b[p*nr+j] for the mr×nr
// tile, added to the old c when accum is set. a and b point at packed panels of k·mr and k·nr
// values.
func kernelGo(k int, a, b, c *float32, ldc int, accum bool) {
	var acc [mr][nr]float32
	microGo(k, unsafe.Slice(a, k*mr), unsafe.Slice(b, k*nr), &acc)
	store(&acc, c, ldc, accum)
}
