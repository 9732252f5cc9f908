package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The general ops: what a described network needs where the fused ops of ops_conv.go,
// ops_bn.go and ops_res.go do not apply (Description.Build says when they do) — a convolution
// of any kernel, stride and padding, max and average pools, a standalone batch norm, ReLU,
// an addition (a projection shortcut's), dropout. They favour plain loops and explicit
// im2col products over speed, and keep the fused ops' rules: hand-written gradients checked
// against central differences (ops_generic_test.go), buffers reused from step to step, and
// every sum in a fixed order whatever the core count, so training stays bit-for-bit
// reproducible.

// genOp supplies what the general ops share: a description that names every parameter
// (gorgonia merges ops with equal hashes and equal children) and the flags of an op that
// returns a buffer of its own.
type genOp struct{ desc string }

func (o genOp) ReturnsPtr() bool     { return true }
func (o genOp) CallsExtern() bool    { return false }
func (o genOp) OverwritesInput() int { return -1 }
func (o genOp) WriteHash(h hash)     { fmt.Fprint(h, o.desc) }
func (o genOp) Hashcode() uint32     { return hashOf(o) }
func (o genOp) String() string       { return o.desc }

// sameShape checks that the op's only input has the given shape.
func sameShape(op fmt.Stringer, in []G.DimSizer, want tensor.Shape) (tensor.Shape, error) {
	if s, ok := in[0].(tensor.Shape); !ok || !s.Eq(want) {
		return nil, fmt.Errorf("models: %v: input has shape %v, want %v", op, in[0], want)
	}
	return want.Clone(), nil
}

// ---- convolution ----

// genConvOp is a 2-D convolution of NCHW float32 tensors with any kernel k×k, stride s and
// zero padding p, an optional bias per output channel and an optional ReLU; weights (O,C,k,k)
// and bias (O), PyTorch's nn.Conv2d layout:
//
//	y[n,o,i,j] = act(b[o] + Σ_{c,u,v} w[o,c,u,v]·x[n,c,s·i+u−p,s·j+v−p]),  Ho = (H+2p−k)/s + 1
//
// Each sample's patches are copied into an im2col matrix (Ck² × HoWo) and multiplied by the
// weights (gemm.Sgemm); the backward pass forms the same matrix again for dW = g·colsᵀ and
// scatters dcols = wᵀ·g back onto the input (col2im). Samples run in parallel; the weight and
// bias gradients are summed per chunk of samples and the chunks in order.
type genConvOp struct {
	genOp
	n, c, h, w, o, k, s, p, ho, wo int
	bias, relu, needDX             bool
	st                             *genConvState
}

type genConvState struct {
	y            *tensor.Dense
	cols, g, dcs [][]float32 // per worker: im2col matrix, masked output gradient, dcols
	grads        []float32   // dW | db | dX
	partW        [][]float32 // per chunk: dW (O×Ck²) then db (O)
}

func newGenConvOp(x tensor.Shape, o, k, s, p int, bias, relu, needDX bool) *genConvOp {
	op := &genConvOp{n: x[0], c: x[1], h: x[2], w: x[3], o: o, k: k, s: s, p: p, bias: bias, relu: relu, needDX: needDX, st: new(genConvState)}
	op.ho, op.wo = (op.h+2*p-k)/s+1, (op.w+2*p-k)/s+1
	if op.ho < 1 || op.wo < 1 || s < 1 {
		panic(fmt.Sprintf("models: convolution %dx%d/%d pad %d on %v", k, k, s, p, x))
	}
	op.desc = fmt.Sprintf("conv%v(%d,%dx%d/%d,pad %d,bias %v,relu %v,dx %v)", x, o, k, k, s, p, bias, relu, needDX)
	return op
}

func (op *genConvOp) ckk() int        { return op.c * op.k * op.k }
func (op *genConvOp) pix() int        { return op.ho * op.wo }
func (op *genConvOp) inSize() int     { return op.c * op.h * op.w }
func (op *genConvOp) outShape() []int { return []int{op.n, op.o, op.ho, op.wo} }

func (op *genConvOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op *genConvOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(tensorT(4), tensorT(4), tensorT(1), tensorT(4))
	}
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4))
}

func (op *genConvOp) DiffWRT(int) []bool {
	if op.bias {
		return []bool{op.needDX, true, true}
	}
	return []bool{op.needDX, true}
}

func (op *genConvOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	want := []tensor.Shape{{op.n, op.c, op.h, op.w}, {op.o, op.c, op.k, op.k}, {op.o}}
	if err := checkShapes(op, in, want); err != nil {
		return nil, err
	}
	return tensor.Shape(op.outShape()), nil
}

// im2col writes sample xs's patches into cols, row (c,u,v), column (i,j).
func (op *genConvOp) im2col(cols, xs []float32) {
	P := op.pix()
	for c := range op.c {
		for u := range op.k {
			for v := range op.k {
				row := cols[((c*op.k+u)*op.k+v)*P:][:P]
				for i := range op.ho {
					y := i*op.s + u - op.p
					dst := row[i*op.wo : (i+1)*op.wo]
					if y < 0 || y >= op.h {
						clear(dst)
						continue
					}
					src := xs[(c*op.h+y)*op.w : (c*op.h+y+1)*op.w]
					for j := range dst {
						if x := j*op.s + v - op.p; x >= 0 && x < op.w {
							dst[j] = src[x]
						} else {
							dst[j] = 0
						}
					}
				}
			}
		}
	}
}

// col2im adds the patch gradients dcols back onto the sample's input gradient dxs (zeroed first).
func (op *genConvOp) col2im(dxs, dcols []float32) {
	clear(dxs)
	P := op.pix()
	for c := range op.c {
		for u := range op.k {
			for v := range op.k {
				row := dcols[((c*op.k+u)*op.k+v)*P:][:P]
				for i := range op.ho {
					y := i*op.s + u - op.p
					if y < 0 || y >= op.h {
						continue
					}
					dst := dxs[(c*op.h+y)*op.w : (c*op.h+y+1)*op.w]
					for j, g := range row[i*op.wo : (i+1)*op.wo] {
						if x := j*op.s + v - op.p; x >= 0 && x < op.w {
							dst[x] += g
						}
					}
				}
			}
		}
	}
}

func (op *genConvOp) Do(vals ...G.Value) (G.Value, error) {
	st := op.st
	if st.y == nil {
		st.y = newF32(op.outShape()...)
	}
	x, wt, y := f32(vals[0]), f32(vals[1]), f32(st.y)
	var b []float32
	if op.bias {
		b = f32(vals[2])
	}
	P, ckk, in, out := op.pix(), op.ckk(), op.inSize(), op.o*op.pix()
	st.cols = perWorker(st.cols)
	parallel(op.n, func(wk, s int) {
		cols := scratch(&st.cols[wk], ckk*P)
		op.im2col(cols, x[s*in:(s+1)*in])
		ys := y[s*out : (s+1)*out]
		gemm.Sgemm(false, false, op.o, P, ckk, 1, wt, ckk, cols, P, 0, ys, P)
		for o := range op.o {
			plane := ys[o*P : (o+1)*P]
			for j, v := range plane {
				if op.bias {
					v += b[o]
				}
				if op.relu && v < 0 {
					v = 0
				}
				plane[j] = v
			}
		}
	})
	return st.y, nil
}

func (op *genConvOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	bwd, err := G.ApplyOp(&genConvBwdOp{genOp{"grad:" + op.desc}, op}, in[0], in[1], out, grad)
	if err != nil {
		return nil, err
	}
	return unpackParts(bwd, in, op.DiffWRT(0), []string{"dX", "dW", "db"}, 1)
}

// genConvBwdOp computes a genConvOp's gradients from (x, w, y, dy) into dW | db | dX.
type genConvBwdOp struct {
	genOp
	f *genConvOp
}

func (op *genConvBwdOp) Arity() int { return 4 }
func (op *genConvBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4), tensorT(4), tensorT(1))
}

func (op *genConvBwdOp) size() int {
	f := op.f
	n := f.o * f.ckk()
	if f.bias {
		n += f.o
	}
	if f.needDX {
		n += f.n * f.inSize()
	}
	return n
}

func (op *genConvBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}

func (op *genConvBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f, st := op.f, op.f.st
	x, wt, y, dy := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3])
	if len(st.grads) != op.size() {
		st.grads = make([]float32, op.size())
	}
	P, ckk, in, out := f.pix(), f.ckk(), f.inSize(), f.o*f.pix()
	nw := f.o * ckk
	nb := 0
	if f.bias {
		nb = f.o
	}
	dW, db, dX := st.grads[:nw], st.grads[nw:nw+nb], st.grads[nw+nb:]
	chunks := min(reduceChunks, f.n)
	for len(st.partW) < chunks {
		st.partW = append(st.partW, make([]float32, nw+f.o))
	}
	st.g = perWorker(st.g)
	st.cols = perWorker(st.cols)
	st.dcs = perWorker(st.dcs)
	parallel(chunks, func(wk, ch int) {
		part := st.partW[ch]
		clear(part)
		pw, pb := part[:nw], part[nw:]
		lo, hi := chunkRange(f.n, chunks, ch)
		for s := lo; s < hi; s++ {
			g := scratch(&st.g[wk], out)
			ys, dys := y[s*out:(s+1)*out], dy[s*out:(s+1)*out]
			for j, v := range dys {
				if f.relu && ys[j] <= 0 {
					v = 0
				}
				g[j] = v
			}
			cols := scratch(&st.cols[wk], ckk*P)
			f.im2col(cols, x[s*in:(s+1)*in])
			gemm.Sgemm(false, true, f.o, ckk, P, 1, g, P, cols, P, 1, pw, ckk)
			for o := range f.o {
				var sum float32
				for _, v := range g[o*P : (o+1)*P] {
					sum += v
				}
				pb[o] += sum
			}
			if f.needDX {
				dcols := scratch(&st.dcs[wk], ckk*P)
				gemm.Sgemm(true, false, ckk, P, f.o, 1, wt, ckk, g, P, 0, dcols, P)
				f.col2im(dX[s*in:(s+1)*in], dcols)
			}
		}
	})
	for i := range dW {
		v := st.partW[0][i]
		for ch := 1; ch < chunks; ch++ {
			v += st.partW[ch][i]
		}
		dW[i] = v
	}
	for o := range db {
		v := st.partW[0][nw+o]
		for ch := 1; ch < chunks; ch++ {
			v += st.partW[ch][nw+o]
		}
		db[o] = v
	}
	return tensor.New(tensor.WithShape(len(st.grads)), tensor.WithBacking(st.grads)), nil
}

// ---- pooling ----

// poolOp is a max or average pool of NCHW tensors over k×k windows with stride s and padding p
// (p ≤ k/2), PyTorch's nn.MaxPool2d and nn.AvgPool2d (floor mode; the max ignores the padding,
// the average counts it: count_include_pad): Ho = (H+2p−k)/s + 1. The max's backward pass routes
// each gradient to the first maximum of its window (recorded in the forward pass); the
// average's spreads it evenly over the window.
type poolOp struct {
	genOp
	max                 bool
	n, c, h, w, k, s, p int
	ho, wo              int
	needDX              bool
	y, dx               *tensor.Dense
	arg                 []int32 // max: per output, the input index of its window's maximum
}

func newPoolOp(x tensor.Shape, isMax bool, k, s, p int, needDX bool) *poolOp {
	op := &poolOp{max: isMax, n: x[0], c: x[1], h: x[2], w: x[3], k: k, s: s, p: p, needDX: needDX}
	op.ho, op.wo = (op.h+2*p-k)/s+1, (op.w+2*p-k)/s+1
	if op.ho < 1 || op.wo < 1 || s < 1 || 2*p > k {
		panic(fmt.Sprintf("models: pool %dx%d/%d pad %d on %v", k, k, s, p, x))
	}
	kind := "avgpool"
	if isMax {
		kind = "maxpool"
	}
	op.desc = fmt.Sprintf("%s%v(%dx%d/%d,pad %d,dx %v)", kind, x, k, k, s, p, needDX)
	return op
}

func (op *poolOp) Arity() int         { return 1 }
func (op *poolOp) Type() hm.Type      { return hm.NewFnType(tensorT(4), tensorT(4)) }
func (op *poolOp) DiffWRT(int) []bool { return []bool{op.needDX} }
func (op *poolOp) outShape() []int    { return []int{op.n, op.c, op.ho, op.wo} }

func (op *poolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if _, err := sameShape(op, in, tensor.Shape{op.n, op.c, op.h, op.w}); err != nil {
		return nil, err
	}
	return tensor.Shape(op.outShape()), nil
}

// window returns the input rows [y0,y1) and columns [x0,x1) of output (i,j), clipped to the image.
func (op *poolOp) window(i, j int) (y0, y1, x0, x1 int) {
	y0, x0 = i*op.s-op.p, j*op.s-op.p
	return max(y0, 0), min(y0+op.k, op.h), max(x0, 0), min(x0+op.k, op.w)
}

func (op *poolOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.outShape()...)
		if op.max && op.needDX {
			op.arg = make([]int32, prod(op.outShape()))
		}
	}
	x, y := f32(vals[0]), f32(op.y)
	hw, ohw := op.h*op.w, op.ho*op.wo
	inv := 1 / float32(op.k*op.k)
	parallel(op.n*op.c, func(_, pl int) {
		xs, ys := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
		for i := range op.ho {
			for j := range op.wo {
				y0, y1, x0, x1 := op.window(i, j)
				if op.max {
					best, at := float32(math.Inf(-1)), -1
					for r := y0; r < y1; r++ {
						for q := x0; q < x1; q++ {
							if v := xs[r*op.w+q]; v > best || at < 0 {
								best, at = v, r*op.w+q
							}
						}
					}
					ys[i*op.wo+j] = best
					if op.arg != nil {
						op.arg[pl*ohw+i*op.wo+j] = int32(at)
					}
					continue
				}
				var sum float32
				for r := y0; r < y1; r++ {
					for _, v := range xs[r*op.w+x0 : r*op.w+x1] {
						sum += v
					}
				}
				ys[i*op.wo+j] = sum * inv
			}
		}
	})
	return op.y, nil
}

func (op *poolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&poolBwdOp{genOp{"grad:" + op.desc}, op}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// poolBwdOp is the gradient of a poolOp, from (y, dy) (y orders it after the forward pass,
// whose window maxima it reads).
type poolBwdOp struct {
	genOp
	f *poolOp
}

func (op *poolBwdOp) Arity() int    { return 2 }
func (op *poolBwdOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4)) }
func (op *poolBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	f := op.f
	return tensor.Shape{f.n, f.c, f.h, f.w}, nil
}

func (op *poolBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.f
	if f.dx == nil {
		f.dx = newF32(f.n, f.c, f.h, f.w)
	}
	dy, dx := f32(vals[1]), f32(f.dx)
	hw, ohw := f.h*f.w, f.ho*f.wo
	inv := 1 / float32(f.k*f.k)
	parallel(f.n*f.c, func(_, pl int) {
		dxs, dys := dx[pl*hw:(pl+1)*hw], dy[pl*ohw:(pl+1)*ohw]
		clear(dxs)
		for i := range f.ho {
			for j := range f.wo {
				g := dys[i*f.wo+j]
				if f.max {
					dxs[f.arg[pl*ohw+i*f.wo+j]] += g
					continue
				}
				y0, y1, x0, x1 := f.window(i, j)
				for r := y0; r < y1; r++ {
					for q := x0; q < x1; q++ {
						dxs[r*f.w+q] += g * inv
					}
				}
			}
		}
	})
	return f.dx, nil
}

// ---- batch normalisation ----

// bnOp is a standalone batch norm (bn.go's rules: PyTorch's BatchNorm2d and BatchNorm1d) of
// an (N,C,H,W) tensor per channel, or of an (N,D) one per feature, optionally followed by
// ReLU: y = act(γ·(x−μ)/√(σ²+ε) + β), with μ and σ² the batch's mean and biased variance
// (training, and inference with batch statistics) or the running estimates. Inputs x, γ, β
// (C); each channel's sums run in one fixed order (sample by sample, in float64).
type bnOp struct {
	genOp
	n, c, hw        int
	shape           tensor.Shape
	relu            bool
	mode            bnMode
	needDX          bool
	runMean, runVar []float32

	y              *tensor.Dense
	mean, variance []float64
	invStd         []float64
	grads          []float32 // dγ | dβ | dX
}

func newBNOp(x tensor.Shape, relu bool, mode bnMode, needDX bool, runMean, runVar []float32) *bnOp {
	hw := 1
	if len(x) == 4 {
		hw = x[2] * x[3]
	}
	op := &bnOp{n: x[0], c: x[1], hw: hw, shape: x.Clone(), relu: relu, mode: mode, needDX: needDX, runMean: runMean, runVar: runVar,
		mean: make([]float64, x[1]), variance: make([]float64, x[1]), invStd: make([]float64, x[1])}
	op.desc = fmt.Sprintf("batchnorm%v(relu %v,%v,dx %v)", x, relu, mode, needDX)
	return op
}

func (op *bnOp) Arity() int { return 3 }
func (op *bnOp) Type() hm.Type {
	d := len(op.shape)
	return hm.NewFnType(tensorT(d), tensorT(1), tensorT(1), tensorT(d))
}
func (op *bnOp) DiffWRT(int) []bool {
	w := op.mode == bnTrain
	return []bool{op.needDX, w, w}
}

func (op *bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if err := checkShapes(op, in, []tensor.Shape{op.shape, {op.c}, {op.c}}); err != nil {
		return nil, err
	}
	return op.shape.Clone(), nil
}

// at is the index of value (sample s, channel c, position i).
func (op *bnOp) at(s, c, i int) int { return (s*op.c+c)*op.hw + i }

func (op *bnOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.shape...)
	}
	x, gamma, beta, y := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(op.y)
	m := float64(op.n * op.hw)
	parallel(op.c, func(_, c int) {
		mean, inv := float64(op.runMean[c]), 1/math.Sqrt(float64(op.runVar[c])+bnEps)
		if op.mode != bnRunning {
			var s1, s2 float64
			for s := range op.n {
				for _, v := range x[op.at(s, c, 0):op.at(s, c, op.hw)] {
					s1 += float64(v)
					s2 += float64(v) * float64(v)
				}
			}
			mean = s1 / m
			v := max(s2/m-mean*mean, 0)
			op.mean[c], op.variance[c] = mean, v
			inv = 1 / math.Sqrt(v+bnEps)
		}
		op.invStd[c] = inv
		sc := float64(gamma[c]) * inv
		sh := float64(beta[c]) - mean*sc
		for s := range op.n {
			for i := op.at(s, c, 0); i < op.at(s, c, op.hw); i++ {
				v := float32(float64(x[i])*sc + sh)
				if op.relu && v < 0 {
					v = 0
				}
				y[i] = v
			}
		}
	})
	return op.y, nil
}

// commit moves the running estimates towards the last training batch's statistics, as
// bnConv.commit does.
func (op *bnOp) commit() {
	m := float64(op.n * op.hw)
	unbias := m / max(m-1, 1)
	for c := range op.c {
		op.runMean[c] = float32((1-bnMomentum)*float64(op.runMean[c]) + bnMomentum*op.mean[c])
		op.runVar[c] = float32((1-bnMomentum)*float64(op.runVar[c]) + bnMomentum*op.variance[c]*unbias)
	}
}

func (op *bnOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.mode == bnBatch || op.mode == bnRunning && !op.needDX {
		return nil, fmt.Errorf("models: %v: only training graphs, and the input of inference graphs with running statistics, are differentiated", op)
	}
	bwd, err := G.ApplyOp(&bnBwdOp{genOp{"grad:" + op.desc}, op}, in[0], in[1], out, grad)
	if err != nil {
		return nil, err
	}
	return unpackParts(bwd, in, op.DiffWRT(0), []string{"dX", "dγ", "dβ"}, 1)
}

// bnBwdOp computes a bnOp's gradients from (x, γ, y, dy) into dγ | dβ | dX (training) or dX
// alone (running statistics): with g = dy masked by the ReLU and x̂ = (x−μ)/σ,
// dβ = Σg, dγ = Σ g·x̂, dx = γ/σ·(g − Σg/M − x̂·Σ(g·x̂)/M) (M values per channel), or γ/σ·g with
// running statistics.
type bnBwdOp struct {
	genOp
	f *bnOp
}

func (op *bnBwdOp) Arity() int { return 4 }
func (op *bnBwdOp) Type() hm.Type {
	d := len(op.f.shape)
	return hm.NewFnType(tensorT(d), tensorT(1), tensorT(d), tensorT(d), tensorT(1))
}

func (op *bnBwdOp) size() int {
	f := op.f
	n := 0
	if f.mode == bnTrain {
		n = 2 * f.c
	}
	if f.needDX {
		n += f.shape.TotalSize()
	}
	return n
}

func (op *bnBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}

func (op *bnBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.f
	x, gamma, y, dy := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3])
	if len(f.grads) != op.size() {
		f.grads = make([]float32, op.size())
	}
	train := f.mode == bnTrain
	var dGamma, dBeta, dX []float32
	if train {
		dGamma, dBeta, dX = f.grads[:f.c], f.grads[f.c:2*f.c], f.grads[2*f.c:]
	} else {
		dX = f.grads
	}
	m := float64(f.n * f.hw)
	parallel(f.c, func(_, c int) {
		g := func(i int) float64 {
			if f.relu && y[i] <= 0 {
				return 0
			}
			return float64(dy[i])
		}
		mean, inv := f.mean[c], f.invStd[c]
		if !train {
			mean = float64(f.runMean[c])
		}
		var sg, sgx float64
		if train {
			for s := range f.n {
				for i := f.at(s, c, 0); i < f.at(s, c, f.hw); i++ {
					gi := g(i)
					sg += gi
					sgx += gi * (float64(x[i]) - mean) * inv
				}
			}
			dBeta[c], dGamma[c] = float32(sg), float32(sgx)
		}
		if !f.needDX {
			return
		}
		k := float64(gamma[c]) * inv
		for s := range f.n {
			for i := f.at(s, c, 0); i < f.at(s, c, f.hw); i++ {
				v := g(i)
				if train {
					v -= sg/m + (float64(x[i])-mean)*inv*sgx/m
				}
				dX[i] = float32(k * v)
			}
		}
	})
	return tensor.New(tensor.WithShape(len(f.grads)), tensor.WithBacking(f.grads)), nil
}

// ---- elementwise ----

// reluOp is max(x, 0) on a tensor of any shape; its gradient passes dy where y > 0.
type reluOp struct {
	genOp
	shape  tensor.Shape
	needDX bool
	y, dx  *tensor.Dense
}

func newReLUOp(x tensor.Shape, needDX bool) *reluOp {
	return &reluOp{genOp: genOp{fmt.Sprintf("relu%v(dx %v)", x, needDX)}, shape: x.Clone(), needDX: needDX}
}

func (op *reluOp) Arity() int         { return 1 }
func (op *reluOp) Type() hm.Type      { return hm.NewFnType(tensorT(len(op.shape)), tensorT(len(op.shape))) }
func (op *reluOp) DiffWRT(int) []bool { return []bool{op.needDX} }
func (op *reluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(op, in, op.shape)
}

func (op *reluOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.shape...)
	}
	x, y := f32(vals[0]), f32(op.y)
	for i, v := range x {
		y[i] = max(v, 0)
	}
	return op.y, nil
}

func (op *reluOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&maskBwdOp{genOp: genOp{"grad:" + op.desc}, shape: op.shape, mask: func(y []float32, i int) float32 {
		if y[i] > 0 {
			return 1
		}
		return 0
	}}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// maskBwdOp is the gradient of an elementwise op from (y, dy): dx[i] = dy[i]·mask(y, i).
type maskBwdOp struct {
	genOp
	shape tensor.Shape
	mask  func(y []float32, i int) float32
	dx    *tensor.Dense
}

func (op *maskBwdOp) Arity() int { return 2 }
func (op *maskBwdOp) Type() hm.Type {
	d := len(op.shape)
	return hm.NewFnType(tensorT(d), tensorT(d), tensorT(d))
}
func (op *maskBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

func (op *maskBwdOp) Do(vals ...G.Value) (G.Value, error) {
	if op.dx == nil {
		op.dx = newF32(op.shape...)
	}
	y, dy, dx := f32(vals[0]), f32(vals[1]), f32(op.dx)
	for i, g := range dy {
		dx[i] = g * op.mask(y, i)
	}
	return op.dx, nil
}

// addOp is a + b of two tensors of one shape, optionally followed by ReLU (a residual block's
// output with a projection shortcut); both gradients are dy masked by the ReLU.
type addOp struct {
	genOp
	shape tensor.Shape
	relu  bool
	y     *tensor.Dense
	grads []float32 // da | db
}

func newAddOp(x tensor.Shape, relu bool) *addOp {
	return &addOp{genOp: genOp{fmt.Sprintf("add%v(relu %v)", x, relu)}, shape: x.Clone(), relu: relu}
}

func (op *addOp) Arity() int { return 2 }
func (op *addOp) Type() hm.Type {
	d := len(op.shape)
	return hm.NewFnType(tensorT(d), tensorT(d), tensorT(d))
}
func (op *addOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *addOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if err := checkShapes(op, in, []tensor.Shape{op.shape, op.shape}); err != nil {
		return nil, err
	}
	return op.shape.Clone(), nil
}

func (op *addOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.shape...)
	}
	a, b, y := f32(vals[0]), f32(vals[1]), f32(op.y)
	for i := range y {
		v := a[i] + b[i]
		if op.relu && v < 0 {
			v = 0
		}
		y[i] = v
	}
	return op.y, nil
}

func (op *addOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	bwd, err := G.ApplyOp(&addBwdOp{genOp{"grad:" + op.desc}, op}, out, grad)
	if err != nil {
		return nil, err
	}
	return unpackParts(bwd, in, []bool{true, true}, []string{"da", "db"}, 0)
}

// addBwdOp writes an addOp's two gradients, dy masked by the ReLU, as da | db.
type addBwdOp struct {
	genOp
	f *addOp
}

func (op *addBwdOp) Arity() int { return 2 }
func (op *addBwdOp) Type() hm.Type {
	d := len(op.f.shape)
	return hm.NewFnType(tensorT(d), tensorT(d), tensorT(1))
}
func (op *addBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{2 * op.f.shape.TotalSize()}, nil
}

func (op *addBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.f
	y, dy := f32(vals[0]), f32(vals[1])
	n := len(dy)
	if len(f.grads) != 2*n {
		f.grads = make([]float32, 2*n)
	}
	for i, g := range dy {
		if f.relu && y[i] <= 0 {
			g = 0
		}
		f.grads[i], f.grads[n+i] = g, g
	}
	return tensor.New(tensor.WithShape(2*n), tensor.WithBacking(f.grads)), nil
}

// dropoutOp is dropout in a training graph (Srivastava et al., JMLR 2014, with PyTorch's
// inverted scaling): each value is kept with probability 1−rate and scaled by 1/(1−rate), or
// zeroed; the gradient passes through the same mask. The masks come from a PCG generator
// seeded with the net's dropout seed and the layer's stream, one draw per value per step, so
// training stays reproducible. Inference graphs leave dropout out.
type dropoutOp struct {
	genOp
	shape  tensor.Shape
	rate   float64
	needDX bool
	rng    *rand.Rand
	mask   []float32
	y      *tensor.Dense
}

func newDropoutOp(x tensor.Shape, rate float64, seed, stream uint64, needDX bool) *dropoutOp {
	return &dropoutOp{genOp: genOp{fmt.Sprintf("dropout%v(%g,stream %d,dx %v)", x, rate, stream, needDX)},
		shape: x.Clone(), rate: rate, needDX: needDX, rng: rand.New(rand.NewPCG(seed, stream))}
}

func (op *dropoutOp) Arity() int { return 1 }
func (op *dropoutOp) Type() hm.Type {
	return hm.NewFnType(tensorT(len(op.shape)), tensorT(len(op.shape)))
}
func (op *dropoutOp) DiffWRT(int) []bool { return []bool{op.needDX} }
func (op *dropoutOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return sameShape(op, in, op.shape)
}

func (op *dropoutOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.shape...)
		op.mask = make([]float32, op.shape.TotalSize())
	}
	x, y := f32(vals[0]), f32(op.y)
	keep := float32(1 / (1 - op.rate))
	for i, v := range x {
		m := keep
		if op.rng.Float64() < op.rate {
			m = 0
		}
		op.mask[i] = m
		y[i] = v * m
	}
	return op.y, nil
}

func (op *dropoutOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&maskBwdOp{genOp: genOp{"grad:" + op.desc}, shape: op.shape,
		mask: func(_ []float32, i int) float32 { return op.mask[i] }}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
