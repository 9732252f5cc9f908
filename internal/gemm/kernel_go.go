package gemm

import "unsafe"

// kernelGo is the portable micro-kernel: c[i*ldc+j] = Σ_p a[p*mr+i]·b[p*nr+j] for the mr×nr
// tile, added to the old c when accum is set. a and b point at packed panels of k·mr and k·nr
// values.
func kernelGo(k int, a, b, c *float32, ldc int, accum bool) {
	var acc [mr][nr]float32
	as := unsafe.Slice(a, k*mr)
	bs := unsafe.Slice(b, k*nr)
	for p := range k {
		ap := as[p*mr : p*mr+mr]
		bp := bs[p*nr : p*nr+nr]
		for i := range mr {
			ai := ap[i]
			row := &acc[i]
			for j := range nr {
				row[j] += ai * bp[j]
			}
		}
	}
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
