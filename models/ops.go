package models

import (
	"fmt"
	stdhash "hash"
	"hash/fnv"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what the custom gorgonia ops (ops_conv.go, ops_dense.go, ops_loss.go) share:
// the type signatures, the view op that hands out parts of a packed gradient, and the
// deterministic parallel loop.
//
// Why custom ops: gorgonia's own Conv2d, MaxPool2D and Mul spend most of a training step in
// im2col/col2im with generic iterators, materialised transposes, per-op allocation and
// gonum's unblocked pure-Go sgemm (bench/README.md has the profile). The ops here fuse
// conv+bias+ReLU(+2×2 max-pool) and dense+bias(+ReLU), compute every gradient of a layer in one
// backward op, reuse their buffers from step to step, never form a patch matrix and multiply
// with internal/gemm's AVX2/FMA kernels.
//
// Buffers: an op owns its output and scratch buffers and returns the same tensors every step,
// so a graph built from these ops must not run on two goroutines at once (already true of a
// gorgonia TapeMachine) and a value read from a node is only valid until the next run.

// tensorT is the gorgonia type of a float tensor with the given number of dimensions; all
// ops here are over one element type a (float32 in practice).
func tensorT(dims int) G.TensorType { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

// hashOf hashes an op by its description, gorgonia's convention (ops with equal hashes and equal
// children are merged into one node, so the description must include every parameter).
func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	fmt.Fprint(h, op.String())
	return h.Sum32()
}

// f32 returns the float32 backing of a value, panicking on another dtype (the nets are float32
// end to end; a float64 tensor here is a bug in graph construction).
func f32(v G.Value) []float32 {
	d, ok := v.Data().([]float32)
	if !ok {
		panic(fmt.Sprintf("models: op input is %v, want float32", v.Dtype()))
	}
	return d
}

// newF32 makes a float32 tensor of the given shape.
func newF32(shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, prod(shape))))
}

// partOp hands out a part of a packed value as a tensor of its own shape, without copying: a
// backward op computes all of a layer's gradients into one buffer, and one partOp node per
// input gives gorgonia a gradient node of the input's shape.
type hash = stdhash.Hash

type partOp struct {
	name   string // for String: which gradient this is
	off    int
	shape  tensor.Shape
	inDims int
}

func (op *partOp) Arity() int           { return 1 }
func (op *partOp) Type() hm.Type        { return hm.NewFnType(tensorT(op.inDims), tensorT(len(op.shape))) }
func (op *partOp) ReturnsPtr() bool     { return true }
func (op *partOp) CallsExtern() bool    { return false }
func (op *partOp) OverwritesInput() int { return -1 }
func (op *partOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *partOp) Hashcode() uint32     { return hashOf(op) }
func (op *partOp) String() string       { return fmt.Sprintf("part(%s@%d%v)", op.name, op.off, op.shape) }

func (op *partOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

func (op *partOp) Do(vals ...G.Value) (G.Value, error) {
	d := f32(vals[0])
	n := op.shape.TotalSize()
	return tensor.New(tensor.WithShape(op.shape...), tensor.WithBacking(d[op.off:op.off+n:op.off+n])), nil
}

// part applies a partOp to the packed node.
func part(packed *G.Node, name string, off int, shape tensor.Shape) (*G.Node, error) {
	return G.ApplyOp(&partOp{name: name, off: off, shape: shape.Clone(), inDims: packed.Dims()}, packed)
}

// unpackGrads hands out the packed output dW | db | dX of a layer's backward node as nodes
// shaped like the forward inputs (x, w, b); dX is nil when the input needs no gradient.
func unpackGrads(bwd *G.Node, in G.Nodes, needDX bool) (G.Nodes, error) {
	x, w, b := in[0].Shape(), in[1].Shape(), in[2].Shape()
	dw, err := part(bwd, "dW", 0, w)
	if err != nil {
		return nil, err
	}
	db, err := part(bwd, "db", w.TotalSize(), b)
	if err != nil {
		return nil, err
	}
	var dx *G.Node
	if needDX {
		if dx, err = part(bwd, "dX", w.TotalSize()+b.TotalSize(), x); err != nil {
			return nil, err
		}
	}
	return G.Nodes{dx, dw, db}, nil
}

// workers is the number of goroutines an op uses.
func workers() int { return runtime.GOMAXPROCS(0) }

// perWorker grows w to one element per worker: the scratch space each worker of parallel
// owns. Call it before the workers start; they only index it (w[wk]).
func perWorker[T any](w []T) []T {
	if n := workers(); len(w) < n {
		w = append(w, make([]T, n-len(w))...)
	}
	return w
}

// reduceChunks is the fixed number of chunks a batch is cut into when per-sample results are
// summed (weight and bias gradients). Each chunk sums its samples in order into its own
// buffer and the chunks are then added in chunk order, so the sum's rounding does not depend on
// the number of cores or on scheduling. 8 keeps two to eight cores busy.
const reduceChunks = 8

// chunkRange is the half-open range of chunk i of n items cut into parts contiguous chunks.
func chunkRange(n, parts, i int) (lo, hi int) { return n * i / parts, n * (i + 1) / parts }

// parallel calls fn(worker, i) for every i in [0,n) on up to workers() goroutines; worker is in
// [0,workers()) and no two calls with the same worker run at once, so fn may use per-worker
// scratch. Which worker runs which i is not fixed: fn's result must not depend on worker.
func parallel(n int, fn func(worker, i int)) {
	w := min(workers(), n)
	if w <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for wk := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(wk, i)
			}
		}()
	}
	wg.Wait()
}

// scratch returns (*buf)[:n], reallocating when too small; contents are unspecified.
func scratch(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
