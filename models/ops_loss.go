package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// xentOp is the mean softmax cross-entropy of (N,K) logits z against (N,K) targets t (one-hot
// rows in training):
//
//	L = −(1/N) Σ_i Σ_c t[i,c]·(z[i,c] − lse_i),  lse_i = m_i + log Σ_c exp(z[i,c] − m_i),
//
// with m_i the row maximum, so large logits do not overflow (gorgonia's SoftMax takes one
// maximum over the whole tensor; measured with gorgonia v0.9.18). Sums are in float64; the result is
// a float32 scalar. One op replaces the ten-node log-softmax graph and its gradient nodes.
type xentOp struct{ n, k int }

func (op xentOp) Arity() int           { return 2 }
func (op xentOp) Type() hm.Type        { return hm.NewFnType(tensorT(2), tensorT(2), hm.TypeVariable('a')) }
func (op xentOp) ReturnsPtr() bool     { return false }
func (op xentOp) CallsExtern() bool    { return false }
func (op xentOp) OverwritesInput() int { return -1 }
func (op xentOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op xentOp) Hashcode() uint32     { return hashOf(op) }
func (op xentOp) DiffWRT(int) []bool   { return []bool{true, false} }
func (op xentOp) String() string       { return fmt.Sprintf("softmaxXent(%d×%d)", op.n, op.k) }

func (op xentOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(tensor.Shape{op.n, op.k}) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v", op, i, d)
		}
	}
	return tensor.ScalarShape(), nil
}

// logSumExp returns the stable log Σ exp(z) of one row.
func logSumExp(z []float32) float64 {
	m := float64(z[0])
	for _, v := range z[1:] {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func (op xentOp) Do(vals ...G.Value) (G.Value, error) {
	z, t := f32(vals[0]), f32(vals[1])
	var loss float64
	for i := range op.n {
		zr, tr := z[i*op.k:(i+1)*op.k], t[i*op.k:(i+1)*op.k]
		lse := logSumExp(zr)
		for c, tc := range tr {
			if tc != 0 {
				loss -= float64(tc) * (float64(zr[c]) - lse)
			}
		}
	}
	return G.NewF32(float32(loss / float64(op.n))), nil
}

func (op xentOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dz, err := G.ApplyOp(&xentGradOp{n: op.n, k: op.k}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dz, nil}, nil
}

// xentGradOp is the gradient of xentOp with respect to the logits, scaled by the incoming
// scalar gradient g: dz[i,c] = g/N · (softmax(z_i)[c]·Σ_c' t[i,c'] − t[i,c]).
type xentGradOp struct {
	n, k int
	dz   *tensor.Dense
}

func (op *xentGradOp) Arity() int { return 3 }
func (op *xentGradOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), hm.TypeVariable('a'), tensorT(2))
}
func (op *xentGradOp) ReturnsPtr() bool     { return true }
func (op *xentGradOp) CallsExtern() bool    { return false }
func (op *xentGradOp) OverwritesInput() int { return -1 }
func (op *xentGradOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *xentGradOp) Hashcode() uint32     { return hashOf(op) }
func (op *xentGradOp) String() string       { return fmt.Sprintf("grad:softmaxXent(%d×%d)", op.n, op.k) }

func (op *xentGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.n, op.k}, nil
}

func (op *xentGradOp) Do(vals ...G.Value) (G.Value, error) {
	if op.dz == nil {
		op.dz = newF32(op.n, op.k)
	}
	z, t, dz := f32(vals[0]), f32(vals[1]), f32(op.dz)
	g, ok := vals[2].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("models: %v: incoming gradient is %T, want a float32 scalar", op, vals[2].Data())
	}
	scale := float64(g) / float64(op.n)
	for i := range op.n {
		zr, tr, dr := z[i*op.k:(i+1)*op.k], t[i*op.k:(i+1)*op.k], dz[i*op.k:(i+1)*op.k]
		lse := logSumExp(zr)
		var tsum float64
		for _, tc := range tr {
			tsum += float64(tc)
		}
		for c := range dr {
			p := math.Exp(float64(zr[c]) - lse)
			dr[c] = float32(scale * (p*tsum - float64(tr[c])))
		}
	}
	return op.dz, nil
}
