package models

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

// Checks of the attacker's ops (ops_image.go) and of the convolution's other activations, with
// the harness of ops_test.go: forward against a naive float64 loop, gradients against central
// differences of it.

// convActRef is convRef without pooling and with activation f instead of ReLU.
func convActRef(x, w, b []float64, n, c, h, wd, o, k int, f activation) []float64 {
	pad := k / 2
	y := make([]float64, n*o*h*wd)
	for s := range n {
		for oc := range o {
			for i := range h {
				for j := range wd {
					sum := b[oc]
					for ci := range c {
						for u := range k {
							for v := range k {
								ii, jj := i+u-pad, j+v-pad
								if ii >= 0 && ii < h && jj >= 0 && jj < wd {
									sum += w[((oc*c+ci)*k+u)*k+v] * x[((s*c+ci)*h+ii)*wd+jj]
								}
							}
						}
					}
					switch f {
					case actSigmoid:
						sum = 1 / (1 + math.Exp(-sum))
					case actReLU:
						sum = math.Max(sum, 0)
					}
					y[((s*o+oc)*h+i)*wd+j] = sum
				}
			}
		}
	}
	return y
}

func TestConvActivations(t *testing.T) {
	for _, f := range []activation{actSigmoid, actNone} {
		const n, c, h, w, o, k = 3, 2, 5, 6, 3, 3
		xs, ws, bs := []int{n, c, h, w}, []int{o, c, k, k}, []int{1, o, 1, 1}
		oc := opCase{
			name:   fmt.Sprint("conv3 ", f),
			shapes: [][]int{xs, ws, bs},
			vals:   [][]float32{randVals(21, prod(xs), 1), randVals(22, prod(ws), 0.5), randVals(23, o, 0.3)},
			wrt:    []bool{true, true, true},
			build: func(in []*G.Node) (*G.Node, error) {
				return G.ApplyOp(newConvActOp(in[0].Shape(), o, k, false, f, true), in[0], in[1], in[2])
			},
			ref: func(in [][]float64) []float64 { return convActRef(in[0], in[1], in[2], n, c, h, w, o, k, f) },
		}
		t.Run(oc.name, oc.check)
	}
}

func TestUpsampleOp(t *testing.T) {
	for _, s := range []int{2, 3} {
		const n, c, h, w = 2, 3, 3, 4
		oc := opCase{
			name:   fmt.Sprint("upsample ×", s),
			shapes: [][]int{{n, c, h, w}},
			vals:   [][]float32{randVals(24, n*c*h*w, 1)},
			wrt:    []bool{true},
			build:  func(in []*G.Node) (*G.Node, error) { return G.ApplyOp(newUpsampleOp(in[0].Shape(), s), in[0]) },
			ref: func(in [][]float64) []float64 {
				y := make([]float64, n*c*h*s*w*s)
				for m := range n * c {
					for i := range h * s {
						for j := range w * s {
							y[(m*h*s+i)*w*s+j] = in[0][(m*h+i/s)*w+j/s]
						}
					}
				}
				return y
			},
		}
		t.Run(oc.name, oc.check)
	}
}

func TestSqErrOp(t *testing.T) {
	const n, d = 4, 7
	const scale = 1.0 / (n * d)
	oc := opCase{
		name:   "squared error",
		shapes: [][]int{{n, d}, {n, d}},
		vals:   [][]float32{randVals(25, n*d, 1), randVals(26, n*d, 1)},
		wrt:    []bool{true, false},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(sqErrOp{shape: in[0].Shape().Clone(), scale: scale}, in[0], in[1])
		},
		ref: func(in [][]float64) []float64 {
			var s float64
			for i, v := range in[0] {
				s += (v - in[1][i]) * (v - in[1][i])
			}
			return []float64{scale * s}
		},
	}
	oc.check(t)
}

func TestTVOp(t *testing.T) {
	const n, c, h, w = 2, 2, 4, 5
	const scale, eps = 0.3, 0.05
	x := randVals(27, n*c*h*w, 0.5)
	x[7] = x[8] // a flat spot: the smoothing keeps the gradient defined there
	oc := opCase{
		name:   "total variation",
		shapes: [][]int{{n, c, h, w}},
		vals:   [][]float32{x},
		wrt:    []bool{true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(tvOp{n: n, c: c, h: h, w: w, scale: scale, eps: eps}, in[0])
		},
		ref: func(in [][]float64) []float64 {
			at := func(m, i, j int) float64 { return in[0][(m*h+i)*w+j] }
			var s float64
			for m := range n * c {
				for i := range h {
					for j := range w {
						var a, b float64
						if j+1 < w {
							a = at(m, i, j+1) - at(m, i, j)
						}
						if i+1 < h {
							b = at(m, i+1, j) - at(m, i, j)
						}
						s += math.Sqrt(a*a + b*b + eps*eps)
					}
				}
			}
			return []float64{scale * s}
		},
	}
	oc.check(t)
}
