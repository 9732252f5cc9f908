package mixing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Sampler draws k×k mixing matrices C.
type Sampler interface {
	// Name returns the sampler's name as accepted by NewSampler.
	Name() string
	// Sample draws a fresh k×k matrix from rng. It panics if k < 1, and the
	// fixed sampler panics if k differs from its matrix's size (callers
	// validate the configuration first, for example with CheckMatrix).
	// Sample does not check invertibility; Guard does.
	Sample(rng *rand.Rand, k int) *mat.Dense
	// Convex reports whether every row the sampler draws is non-negative and sums to 1, as
	// in the paper's example: each upload is then a convex blend of its group, whose scale
	// the row sums fix. Signed rows (gaussian) leave each upload's sign and scale to the
	// draw; at k = 1 a convex sampler draws C = [1].
	Convex() bool
}

// samplerNames lists the names NewSampler accepts, in documentation order.
var samplerNames = []string{"dirichlet", "uniform", "gaussian", "fixed"}

// SamplerNames returns the names NewSampler accepts: "dirichlet", "uniform",
// "gaussian" and "fixed". The result is a fresh slice the caller may modify.
func SamplerNames() []string { return slices.Clone(samplerNames) }

// NewSampler returns the sampler with the given name:
//
//   - "dirichlet": each row of C is an independent draw from the symmetric
//     Dirichlet(alpha, …, alpha) distribution, so rows are non-negative and
//     sum to 1 (convex weights, as in the paper's example). Small alpha gives
//     rows close to a single input; large alpha gives rows close to the
//     uniform blend 1/k (and so a nearly singular C). alpha must be finite
//     and > 0. For k = 1 every draw is exactly [1].
//   - "uniform": each row is uniform on the probability simplex, which is
//     Dirichlet(1); it is drawn by an independent method (spacings of sorted
//     uniforms) and alpha is ignored. For k = 1 every draw is exactly [1].
//   - "gaussian": signed entries, i.i.d. N(0, 1/k): a standard normal scaled
//     by 1/√k so that every row has expected squared norm 1 and an upload
//     keeps the scale of the inputs whatever k is (the scaling changes no
//     condition number). alpha is ignored. For k = 1 a draw is [z] with
//     z ~ N(0, 1): a secret random signed scale, not plain split inference.
//   - "fixed": every draw is a copy of matrix, which must be square, finite
//     and non-singular (for example the paper's [[0.7, 0.3], [0.6, 0.4]]);
//     alpha is ignored. Its size is the only k it can serve; check it against
//     the group size with CheckMatrix. For k = 1 a draw is the given [[a]].
//
// matrix must be empty for every sampler other than "fixed". An unknown name
// or a bad parameter is an error.
func NewSampler(name string, alpha float64, matrix [][]float64) (Sampler, error) {
	if name != "fixed" && len(matrix) != 0 {
		return nil, fmt.Errorf("mixing: sampler %q takes no matrix (only \"fixed\" does)", name)
	}
	switch name {
	case "dirichlet":
		if !(alpha > 0) || math.IsInf(alpha, 1) {
			return nil, fmt.Errorf("mixing: dirichlet alpha %g, need a finite number > 0", alpha)
		}
		return dirichlet{alpha: alpha}, nil
	case "uniform":
		return uniform{}, nil
	case "gaussian":
		return gaussian{}, nil
	case "fixed":
		if len(matrix) == 0 {
			return nil, fmt.Errorf("mixing: sampler \"fixed\" needs a matrix")
		}
		rows, cols, err := matrixShape(matrix)
		if err != nil {
			return nil, err
		}
		if rows != cols {
			return nil, fmt.Errorf("mixing: fixed matrix is %dx%d, need a square matrix", rows, cols)
		}
		// An infinite bound checks finiteness and singularity only; the
		// condition bound is the caller's to apply with CheckMatrix.
		if err := CheckMatrix(matrix, rows, math.Inf(1)); err != nil {
			return nil, err
		}
		c := mat.NewDense(rows, rows, nil)
		for i, row := range matrix {
			c.SetRow(i, row)
		}
		return fixed{c: c}, nil
	default:
		return nil, fmt.Errorf("mixing: unknown sampler %q, need one of %s",
			name, strings.Join(samplerNames, ", "))
	}
}

// checkGroupSize panics if k is not a valid group size.
func checkGroupSize(k int) {
	if k < 1 {
		panic(fmt.Sprintf("mixing: group size %d, need ≥ 1", k))
	}
}

// dirichlet draws rows from the symmetric Dirichlet(alpha) distribution.
type dirichlet struct{ alpha float64 }

func (dirichlet) Name() string { return "dirichlet" }
func (dirichlet) Convex() bool { return true }

// Sample normalises k independent Gamma(alpha, 1) variates per row, the
// standard construction of a Dirichlet vector (Devroye, "Non-Uniform Random
// Variate Generation", 1986, ch. XI). The Gamma variates come from gonum's
// distuv.Gamma (Marsaglia and Tsang, "A Simple Method for Generating Gamma
// Variables", ACM TOMS 26(3):363–372, 2000), which takes a math/rand/v2
// source. For alpha < 1 the row is built in log space from Marsaglia and
// Tsang's boost Gamma(alpha) = Gamma(alpha+1)·U^(1/alpha): for small alpha
// the variates themselves underflow to 0 (with alpha = 0.01 about one in
// 1,700 does), and a row of zeros could not be normalised. Subtracting the
// row's largest log before exponentiating keeps the normalisation exact.
func (s dirichlet) Sample(rng *rand.Rand, k int) *mat.Dense {
	checkGroupSize(k)
	shape, boost := s.alpha, s.alpha < 1
	if boost {
		shape++
	}
	g := distuv.Gamma{Alpha: shape, Beta: 1, Src: rng}
	c := mat.NewDense(k, k, nil)
	logs := make([]float64, k)
	for i := range k {
		top := math.Inf(-1)
		for j := range logs {
			l := math.Log(g.Rand())
			if boost {
				// 1 - Float64() lies in (0, 1], so the log is finite.
				l += math.Log(1-rng.Float64()) / s.alpha
			}
			logs[j] = l
			top = max(top, l)
		}
		row := c.RawRowView(i)
		var sum float64
		for j, l := range logs {
			row[j] = math.Exp(l - top)
			sum += row[j]
		}
		// sum ≥ 1: the largest entry is exp(0) = 1.
		for j := range row {
			row[j] /= sum
		}
	}
	return c
}

// uniform draws rows uniform on the probability simplex.
type uniform struct{}

func (uniform) Name() string { return "uniform" }
func (uniform) Convex() bool { return true }

// Sample takes, for each row, the k spacings of k-1 sorted U(0,1) points:
// they are uniform on the simplex (Devroye 1986, ch. V), i.e. Dirichlet(1),
// without going through Gamma variates.
func (uniform) Sample(rng *rand.Rand, k int) *mat.Dense {
	checkGroupSize(k)
	c := mat.NewDense(k, k, nil)
	pts := make([]float64, k-1)
	for i := range k {
		for j := range pts {
			pts[j] = rng.Float64()
		}
		slices.Sort(pts)
		row := c.RawRowView(i)
		prev := 0.0
		for j, p := range pts {
			row[j] = p - prev
			prev = p
		}
		row[k-1] = 1 - prev
	}
	return c
}

// gaussian draws i.i.d. N(0, 1/k) entries.
type gaussian struct{}

func (gaussian) Name() string { return "gaussian" }
func (gaussian) Convex() bool { return false }

func (gaussian) Sample(rng *rand.Rand, k int) *mat.Dense {
	checkGroupSize(k)
	scale := 1 / math.Sqrt(float64(k))
	data := make([]float64, k*k)
	for i := range data {
		data[i] = rng.NormFloat64() * scale
	}
	return mat.NewDense(k, k, data)
}

// fixed returns copies of one matrix.
type fixed struct{ c *mat.Dense }

func (fixed) Name() string { return "fixed" }

func (f fixed) Convex() bool {
	r, _ := f.c.Dims()
	for i := range r {
		var sum float64
		for _, v := range f.c.RawRowView(i) {
			if v < 0 {
				return false
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 { // 1e-9: a row written with a few decimals, as a user does
			return false
		}
	}
	return true
}

// Sample returns a copy of the matrix (so a caller may modify it) and ignores
// rng.
func (s fixed) Sample(_ *rand.Rand, k int) *mat.Dense {
	checkGroupSize(k)
	if n, _ := s.c.Dims(); n != k {
		panic(fmt.Sprintf("mixing: fixed matrix is %dx%d, asked for group size %d", n, n, k))
	}
	return mat.DenseCopyOf(s.c)
}
