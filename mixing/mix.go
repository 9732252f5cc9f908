package mixing

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Mix computes the uploads of one group, dst = C·H: h is the group's k×d
// feature block (row-major) and c is the k×k mixing matrix, so row i of dst
// is Σ_l C[i][l]·h[l]. Sums are accumulated in float64 and rounded to float32
// once. dst may be h itself (the product is formed one column at a time);
// any other overlap between dst and h gives undefined results. Mix panics if
// c is not square, if d < 1, or if len(h) or len(dst) is not k·d.
func Mix(dst []float32, c *mat.Dense, h []float32, d int) {
	checkBlock("Mix", dst, c, h, d)
	apply(dst, c, h, d)
}

// Demix recovers one group from the cloud's replies, dst = C⁻¹·Z̃: z is the
// k×d' block returned for the group's uploads (in upload order, that is after
// Unshuffle) and cInv is C⁻¹ from Guard.Draw. It computes like Mix and
// panics under the same conditions.
func Demix(dst []float32, cInv *mat.Dense, z []float32, d int) {
	checkBlock("Demix", dst, cInv, z, d)
	apply(dst, cInv, z, d)
}

// checkBlock panics unless c is k×k and src, dst are k×d.
func checkBlock(fn string, dst []float32, c *mat.Dense, src []float32, d int) {
	k, cols := c.Dims()
	if k != cols {
		panic(fmt.Sprintf("mixing: %s with a %dx%d matrix, need a square one", fn, k, cols))
	}
	if d < 1 {
		panic(fmt.Sprintf("mixing: %s with feature length %d, need ≥ 1", fn, d))
	}
	if len(src) != k*d || len(dst) != k*d {
		panic(fmt.Sprintf("mixing: %s of a %dx%d block: len(src) = %d, len(dst) = %d, need %d",
			fn, k, d, len(src), len(dst), k*d))
	}
}

// apply sets dst = a·src for a k×k matrix a and k×d blocks, column by column.
// Each column of src is read into float64 before any of dst's column is
// written, which is what makes dst == src safe.
func apply(dst []float32, a *mat.Dense, src []float32, d int) {
	k, _ := a.Dims()
	// Stack buffers cover k ≤ 16, the largest group size the harness uses.
	var coefBuf [16 * 16]float64
	var colBuf [16]float64
	coef, col := coefBuf[:0], colBuf[:0]
	if k > len(colBuf) {
		coef, col = make([]float64, 0, k*k), make([]float64, 0, k)
	}
	for i := range k {
		coef = append(coef, a.RawRowView(i)...)
	}
	col = col[:k]
	switch k {
	case 1:
		c := coef[0]
		for j, v := range src {
			dst[j] = float32(c * float64(v))
		}
	case 2:
		// The paper's group size, and the benchmarked one: unrolled.
		c00, c01, c10, c11 := coef[0], coef[1], coef[2], coef[3]
		s0, s1 := src[:d], src[d:2*d]
		d0, d1 := dst[:d], dst[d:2*d]
		for j := range d0 {
			x0, x1 := float64(s0[j]), float64(s1[j])
			d0[j] = float32(c00*x0 + c01*x1)
			d1[j] = float32(c10*x0 + c11*x1)
		}
	default:
		for j := range d {
			for l := range col {
				col[l] = float64(src[l*d+j])
			}
			for i := range k {
				row := coef[i*k : (i+1)*k]
				var s float64
				for l, c := range row {
					s += c * col[l]
				}
				dst[i*d+j] = float32(s)
			}
		}
	}
}

// MixBatch mixes a batch of consecutive groups: group j occupies the next
// r_j rows of h, where cs[j] is r_j×r_j, and is mixed with cs[j] exactly as
// Mix would. With the output of DrawGroups every group has k rows and group
// j is rows [j·k, (j+1)·k). dst may be h itself. MixBatch panics if d < 1, if
// a matrix is not square, or if len(h) or len(dst) is not (Σ r_j)·d.
func MixBatch(dst []float32, cs []*mat.Dense, h []float32, d int) {
	batch("MixBatch", dst, cs, h, d)
}

// DemixBatch de-mixes a batch of consecutive groups with their inverse
// matrices cInvs (from DrawGroups), group by group as Demix would. It panics
// under the same conditions as MixBatch.
func DemixBatch(dst []float32, cInvs []*mat.Dense, z []float32, d int) {
	batch("DemixBatch", dst, cInvs, z, d)
}

func batch(fn string, dst []float32, ms []*mat.Dense, src []float32, d int) {
	if d < 1 {
		panic(fmt.Sprintf("mixing: %s with feature length %d, need ≥ 1", fn, d))
	}
	n := blockRows(fn, ms)
	if len(src) != n*d || len(dst) != n*d {
		panic(fmt.Sprintf("mixing: %s of %d groups (%d rows) of length %d: len(src) = %d, len(dst) = %d, need %d",
			fn, len(ms), n, d, len(src), len(dst), n*d))
	}
	off := 0
	for _, m := range ms {
		k, _ := m.Dims()
		apply(dst[off:off+k*d], m, src[off:off+k*d], d)
		off += k * d
	}
}

// blockRows returns the total size of square matrices ms, panicking if one
// is not square.
func blockRows(fn string, ms []*mat.Dense) int {
	n := 0
	for j, m := range ms {
		r, c := m.Dims()
		if r != c {
			panic(fmt.Sprintf("mixing: %s: matrix %d is %dx%d, need a square one", fn, j, r, c))
		}
		n += r
	}
	return n
}

// BlockDiag writes the block-diagonal matrix diag(blocks[0], blocks[1], …)
// into dst as an n×n row-major float32 matrix, where n is the sum of the
// blocks' sizes: block j sits on the diagonal starting at row and column
// Σ_{i<j} size(blocks[i]), and every entry outside the blocks is 0. It is the
// whole batch's mixing (or, given the inverses, de-mixing) as one matrix,
// so that MixBatch(h) == BlockDiag(cs)·h and mixing can be a matrix product
// inside a training graph. BlockDiag panics if a block is not square or if
// len(dst) is not n·n.
func BlockDiag(dst []float32, blocks []*mat.Dense) {
	n := blockRows("BlockDiag", blocks)
	if len(dst) != n*n {
		panic(fmt.Sprintf("mixing: BlockDiag of %d blocks (size %d): len(dst) = %d, need %d", len(blocks), n, len(dst), n*n))
	}
	clear(dst)
	off := 0
	for _, b := range blocks {
		k, _ := b.Dims()
		for i := range k {
			row := dst[(off+i)*n+off : (off+i)*n+off+k]
			for j, v := range b.RawRowView(i) {
				row[j] = float32(v)
			}
		}
		off += k
	}
}
