package bnorm

import "fmt"

// The column loops: the same work as the plane loops (bnorm.go) on pixel-major data, a
// row-major rows×o matrix whose row r holds the o channels of pixel r. The per-channel
// constants are vectors of o values, and every sum is one float64 sum per column, in row
// order.

func needCols(name string, n, o int, s ...[]float32) {
	if o < 1 || n%o != 0 {
		panic(fmt.Sprintf("bnorm: %s of %d values in rows of %d", name, n, o))
	}
	need(name, n, s...)
}

func needVec(name string, o int, v ...[]float32) {
	for _, x := range v {
		if len(x) < o {
			panic(fmt.Sprintf("bnorm: %s: a per-channel vector has %d values, need %d", name, len(x), o))
		}
	}
}

// Transpose2D writes the transpose of the rows×cols block of src (rows lds apart) into dst
// (rows ldd apart): dst[j·ldd+i] = src[i·lds+j] for i < rows, j < cols.
func Transpose2D(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ldd < rows || lds < cols {
		panic(fmt.Sprintf("bnorm: Transpose2D of %d×%d with strides %d, %d", rows, cols, lds, ldd))
	}
	need("Transpose2D", (rows-1)*lds+cols, src)
	need("Transpose2D", (cols-1)*ldd+rows, dst)
	transpose2D(dst, ldd, src, lds, rows, cols)
}

// ColSums writes the column sums of the rows×o matrix a (len(a) = rows·o): sum[c] = Σ_r
// a[r·o+c] and sq[c] = Σ_r a[r·o+c]² (the squares in float64).
func ColSums(a []float32, o int, sum, sq []float64) {
	needCols("ColSums", len(a), o)
	if len(sum) < o || len(sq) < o {
		panic("bnorm: ColSums: sums shorter than a row")
	}
	colSums(a, o, sum[:o], sq[:o])
}

// ColMaskedSums writes sum[c] = Σ_r g[r·o+c] and sq[c] = Σ_r g·a[r·o+c] (the products in
// float64) over the rows of dy (len(dy) = rows·o), where g = dy or, when s is not nil, dy where
// float32(a·s[c]) + t[c] > 0 and +0 elsewhere: the ReLU mask of y = ReLU(a·s + t), recomputed
// from a exactly as ColAffine computes y.
func ColMaskedSums(dy, a []float32, o int, s, t []float32, sum, sq []float64) {
	n := len(dy)
	needCols("ColMaskedSums", n, o, a)
	if s != nil {
		needVec("ColMaskedSums", o, s, t)
	}
	if len(sum) < o || len(sq) < o {
		panic("bnorm: ColMaskedSums: sums shorter than a row")
	}
	colMaskedSums(dy, a[:n], o, s, t, sum[:o], sq[:o])
}

// ColAffine writes y[r·o+c] = act(x[r·o+c]·s[c] + t[c]) over the rows of y (len(y) = rows·o),
// act ReLU when relu and the identity otherwise. y may be x.
func ColAffine(y, x []float32, o int, s, t []float32, relu bool) {
	n := len(y)
	needCols("ColAffine", n, o, x)
	needVec("ColAffine", o, s, t)
	colAffine(y, x[:n], o, s[:o], t[:o], relu)
}

// ColAffineGrad writes da[r·o+c] = k[c]·g + (c1[c]·a + c0[c]) over the rows of da, g as in
// ColMaskedSums (masked when s is not nil).
func ColAffineGrad(da, dy, a []float32, o int, s, t, k, c1, c0 []float32) {
	n := len(da)
	needCols("ColAffineGrad", n, o, dy, a)
	needVec("ColAffineGrad", o, k, c1, c0)
	if s != nil {
		needVec("ColAffineGrad", o, s, t)
		s, t = s[:o], t[:o]
	}
	colAffineGrad(da, dy[:n], a[:n], o, s, t, k[:o], c1[:o], c0[:o])
}

// Mask writes g[i] = dy[i] where y[i] > 0 and +0 elsewhere, for i < len(g); g may be dy.
func Mask(g, dy, y []float32) {
	n := len(g)
	need("Mask", n, dy, y)
	mask(g, dy[:n], y[:n])
}

// The plain Go versions, rounding every operation as the assembly does.

func transpose2DGo(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for i := range rows {
		for j, v := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = v
		}
	}
}

func colSumsGo(a []float32, o int, sum, sq []float64) {
	clear(sum)
	clear(sq)
	for r := 0; r < len(a); r += o {
		for c, v := range a[r : r+o] {
			d := float64(v)
			sum[c] += d
			sq[c] += float64(d * d)
		}
	}
}

// masked is g as ColMaskedSums defines it.
func masked(g, a, s, t float32) float32 {
	return keep(g, float32(a*s)+t)
}

func colMaskedSumsGo(dy, a []float32, o int, s, t []float32, sum, sq []float64) {
	clear(sum)
	clear(sq)
	for r := 0; r < len(dy); r += o {
		for c, g := range dy[r : r+o] {
			if s != nil {
				g = masked(g, a[r+c], s[c], t[c])
			}
			d := float64(g)
			sum[c] += d
			sq[c] += float64(d * float64(a[r+c]))
		}
	}
}

func colAffineGo(y, x []float32, o int, s, t []float32, relu bool) {
	for r := 0; r < len(y); r += o {
		for c, v := range x[r : r+o] {
			v = float32(v*s[c]) + t[c]
			if relu {
				v = reluGo(v)
			}
			y[r+c] = v
		}
	}
}

func colAffineGradGo(da, dy, a []float32, o int, s, t, k, c1, c0 []float32) {
	for r := 0; r < len(da); r += o {
		for c, g := range dy[r : r+o] {
			if s != nil {
				g = masked(g, a[r+c], s[c], t[c])
			}
			da[r+c] = float32(k[c]*g) + float32(float32(c1[c]*a[r+c])+c0[c])
		}
	}
}

func maskGo(g, dy, y []float32) {
	for i, v := range dy {
		g[i] = keep(v, y[i])
	}
}
