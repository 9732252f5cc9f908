package models

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The general ops (ops_generic.go) are checked as the fused ones are: the forward pass against
// a naive float64 loop and every gradient against central differences of it (opCase.check).

// genConvRef is a k×k convolution with stride s and padding p, an optional bias (b nil: none)
// and an optional ReLU.
func genConvRef(x, w, b []float64, n, c, h, wd, o, k, s, p int, relu bool) []float64 {
	ho, wo := (h+2*p-k)/s+1, (wd+2*p-k)/s+1
	y := make([]float64, n*o*ho*wo)
	for sm := range n {
		for oc := range o {
			for i := range ho {
				for j := range wo {
					var sum float64
					if b != nil {
						sum = b[oc]
					}
					for ci := range c {
						for u := range k {
							for v := range k {
								ii, jj := s*i+u-p, s*j+v-p
								if ii >= 0 && ii < h && jj >= 0 && jj < wd {
									sum += w[((oc*c+ci)*k+u)*k+v] * x[((sm*c+ci)*h+ii)*wd+jj]
								}
							}
						}
					}
					if relu {
						sum = math.Max(sum, 0)
					}
					y[((sm*o+oc)*ho+i)*wo+j] = sum
				}
			}
		}
	}
	return y
}

// poolRef is a max or average pool (padding ignored by the max, counted by the average).
func poolRef(x []float64, isMax bool, nc, h, wd, k, s, p int) []float64 {
	ho, wo := (h+2*p-k)/s+1, (wd+2*p-k)/s+1
	y := make([]float64, nc*ho*wo)
	for pl := range nc {
		for i := range ho {
			for j := range wo {
				best, sum := math.Inf(-1), 0.0
				for u := range k {
					for v := range k {
						ii, jj := s*i+u-p, s*j+v-p
						if ii >= 0 && ii < h && jj >= 0 && jj < wd {
							val := x[(pl*h+ii)*wd+jj]
							best = math.Max(best, val)
							sum += val
						}
					}
				}
				if isMax {
					y[(pl*ho+i)*wo+j] = best
				} else {
					y[(pl*ho+i)*wo+j] = sum / float64(k*k)
				}
			}
		}
	}
	return y
}

// bnRef is a standalone batch norm of an (n,c,hw) tensor: batch statistics when mean is nil,
// else the given running statistics; then ReLU if relu.
func bnRef(x, gamma, beta, mean, variance []float64, n, c, hw int, relu bool) []float64 {
	if mean == nil {
		mean, variance = batchStatsRef(x, n, c, hw)
	}
	y := normRef(x, gamma, beta, mean, variance, n, c, hw)
	if relu {
		reluRef(y)
	}
	return y
}

func genConvCase(name string, n, c, h, w, o, k, s, p int, bias, relu, needDX bool) opCase {
	xs, ws := []int{n, c, h, w}, []int{o, c, k, k}
	oc := opCase{
		name:   name,
		shapes: [][]int{xs, ws},
		vals:   [][]float32{randVals(61, prod(xs), 1), randVals(62, prod(ws), 0.5)},
		wrt:    []bool{needDX, true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newGenConvOp(in[0].Shape(), o, k, s, p, bias, relu, needDX), in...)
		},
		ref: func(in [][]float64) []float64 {
			var b []float64
			if bias {
				b = in[2]
			}
			return genConvRef(in[0], in[1], b, n, c, h, w, o, k, s, p, relu)
		},
	}
	if bias {
		oc.shapes = append(oc.shapes, []int{o})
		oc.vals = append(oc.vals, randVals(63, o, 0.3))
		oc.wrt = append(oc.wrt, true)
	}
	return oc
}

func TestGenConvOp(t *testing.T) {
	for _, oc := range []opCase{
		genConvCase("3x3 stride 2 pad 1 bias relu", 3, 2, 7, 6, 4, 3, 2, 1, true, true, true),
		genConvCase("2x2 even kernel no bias", 2, 3, 5, 5, 3, 2, 1, 0, false, false, true),
		genConvCase("4x4 stride 3 pad 2 bias", 2, 2, 9, 8, 3, 4, 3, 2, true, false, true),
		genConvCase("5x5 valid (pad 0) relu", 2, 1, 8, 9, 2, 5, 1, 0, true, true, true),
		genConvCase("1x1 stride 2", 2, 4, 5, 4, 3, 1, 2, 0, false, false, true),
		genConvCase("3x3 same stride 1 no bias relu", 2, 2, 5, 6, 3, 3, 1, 1, false, true, true),
		genConvCase("3x3 no dX, 9 samples (8 reduce chunks)", 9, 2, 5, 5, 3, 3, 1, 1, true, true, false),
	} {
		t.Run(oc.name, oc.check)
	}
}

func poolCase(name string, isMax bool, n, c, h, w, k, s, p int) opCase {
	xs := []int{n, c, h, w}
	return opCase{
		name:   name,
		shapes: [][]int{xs},
		vals:   [][]float32{randVals(71, prod(xs), 1)}, // distinct values: no ties in a max
		wrt:    []bool{true},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newPoolOp(in[0].Shape(), isMax, k, s, p, true), in[0])
		},
		ref: func(in [][]float64) []float64 { return poolRef(in[0], isMax, n*c, h, w, k, s, p) },
	}
}

func TestPoolOp(t *testing.T) {
	for _, oc := range []opCase{
		poolCase("max 3x3/2 pad 1", true, 2, 3, 7, 6, 3, 2, 1),
		poolCase("max 2x2/1 overlapping", true, 2, 2, 5, 4, 2, 1, 0),
		poolCase("max 3x3/3 odd size", true, 2, 2, 8, 7, 3, 3, 0),
		poolCase("max 2x2/2", true, 3, 2, 6, 6, 2, 2, 0),
		poolCase("avg 2x2/2", false, 2, 3, 6, 5, 2, 2, 0),
		poolCase("avg 3x3/2 pad 1 (padding counted)", false, 2, 2, 7, 7, 3, 2, 1),
		poolCase("avg 3x3/1 pad 1", false, 1, 2, 4, 5, 3, 1, 1),
	} {
		t.Run(oc.name, oc.check)
	}
}

func bnOpCase(name string, shape []int, relu bool, mode bnMode, needDX bool) opCase {
	n, c, hw := shape[0], shape[1], 1
	if len(shape) == 4 {
		hw = shape[2] * shape[3]
	}
	mean, variance := freshStats(c)
	var m64, v64 []float64
	if mode == bnRunning {
		mean, variance = runningStats(72, c)
		m64, v64 = to64(mean), to64(variance)
	}
	w := mode == bnTrain
	return opCase{
		name:   name,
		shapes: [][]int{shape, {c}, {c}},
		vals:   [][]float32{randVals(73, prod(shape), 1), randVals(74, c, 1), randVals(75, c, 0.5)},
		wrt:    []bool{needDX, w, w},
		build: func(in []*G.Node) (*G.Node, error) {
			return G.ApplyOp(newBNOp(in[0].Shape(), relu, mode, needDX, mean, variance), in...)
		},
		ref: func(in [][]float64) []float64 { return bnRef(in[0], in[1], in[2], m64, v64, n, c, hw, relu) },
	}
}

func TestBNOp(t *testing.T) {
	for _, oc := range []opCase{
		bnOpCase("2d per channel", []int{3, 4, 3, 2}, false, bnTrain, true),
		bnOpCase("2d per channel relu", []int{3, 2, 4, 3}, true, bnTrain, true),
		bnOpCase("1d per feature", []int{5, 6}, false, bnTrain, true),
		bnOpCase("1d per feature relu no dX", []int{6, 4}, true, bnTrain, false),
		bnOpCase("running statistics, input gradient", []int{2, 3, 2, 2}, true, bnRunning, true),
	} {
		t.Run(oc.name, oc.check)
	}
}

// TestBNOpCommit checks the running-statistics update of a standalone batch norm against
// PyTorch's rule: r ← 0.9·r + 0.1·batch, the variance unbiased.
func TestBNOpCommit(t *testing.T) {
	const n, c = 5, 3
	x := randVals(76, n*c, 1)
	mean, variance := runningStats(77, c)
	m0, v0 := to64(mean), to64(variance)
	op := newBNOp(tensor.Shape{n, c}, false, bnTrain, false, mean, variance)
	gamma, beta := tensor.New(tensor.WithBacking(randVals(78, c, 1))), tensor.New(tensor.WithBacking(randVals(79, c, 1)))
	if _, err := op.Do(tensor.New(tensor.WithShape(n, c), tensor.WithBacking(x)), gamma, beta); err != nil {
		t.Fatal(err)
	}
	op.commit()
	bm, bv := batchStatsRef(to64(x), n, c, 1)
	for i := range c {
		wantM := 0.9*m0[i] + 0.1*bm[i]
		wantV := 0.9*v0[i] + 0.1*bv[i]*n/(n-1)
		// 1e-6: float32 storage of values of order 1.
		if math.Abs(float64(mean[i])-wantM) > 1e-6 || math.Abs(float64(variance[i])-wantV) > 1e-6 {
			t.Fatalf("channel %d: running (%v, %v), want (%v, %v)", i, mean[i], variance[i], wantM, wantV)
		}
	}
}

func TestReLUAndAddOps(t *testing.T) {
	relu := opCase{
		name:   "relu",
		shapes: [][]int{{3, 2, 4, 3}},
		vals:   [][]float32{randVals(81, 72, 1)},
		wrt:    []bool{true},
		build:  func(in []*G.Node) (*G.Node, error) { return G.ApplyOp(newReLUOp(in[0].Shape(), true), in[0]) },
		ref:    func(in [][]float64) []float64 { return reluRef(append([]float64(nil), in[0]...)) },
	}
	add := opCase{
		name:   "add relu",
		shapes: [][]int{{2, 3, 2, 2}, {2, 3, 2, 2}},
		vals:   [][]float32{randVals(82, 24, 1), randVals(83, 24, 1)},
		wrt:    []bool{true, true},
		build:  func(in []*G.Node) (*G.Node, error) { return G.ApplyOp(newAddOp(in[0].Shape(), true), in...) },
		ref: func(in [][]float64) []float64 {
			y := make([]float64, len(in[0]))
			for i := range y {
				y[i] = math.Max(in[0][i]+in[1][i], 0)
			}
			return y
		},
	}
	for _, oc := range []opCase{relu, add} {
		t.Run(oc.name, oc.check)
	}
}

// TestDropoutOp checks dropout's forward pass (each value zeroed or scaled by 1/(1−rate), the
// zeroed share near rate) and that its gradient goes through the same mask; and that two ops of
// one seed and stream draw the same masks, and of another stream different ones.
func TestDropoutOp(t *testing.T) {
	const n, d, rate = 64, 256, 0.3
	x := randVals(91, n*d, 1)
	run := func(stream uint64) (y, dx []float32) {
		g := G.NewGraph()
		xn := G.NewTensor(g, tensor.Float32, 2, G.WithShape(n, d), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(n, d), tensor.WithBacking(append([]float32(nil), x...)))))
		out, err := G.ApplyOp(newDropoutOp(xn.Shape(), rate, 5, stream, true), xn)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(out))
		grads, err := G.Grad(loss, xn)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), f32(out.Value())...), append([]float32(nil), f32(grads[0].Value())...)
	}
	y, dx := run(1)
	keep := float32(1 / (1 - rate))
	zeros := 0
	for i := range y {
		switch {
		case y[i] == 0 && dx[i] == 0:
			zeros++
		case y[i] == x[i]*keep && dx[i] == keep:
		default:
			t.Fatalf("value %d: x %v, y %v, dy/dx %v: want zeroed or scaled by %v with the same gradient", i, x[i], y[i], dx[i], keep)
		}
	}
	// The zeroed share of 16,384 Bernoulli(0.3) draws has s.d. 0.0036; 0.02 is 5.6 s.d.
	// (false failure ≈ 2e-8).
	if share := float64(zeros) / float64(len(y)); math.Abs(share-rate) > 0.02 {
		t.Errorf("%.4f of the values zeroed, want about %v", share, rate)
	}
	y2, _ := run(1)
	y3, _ := run(2)
	same, other := true, true
	for i := range y {
		same = same && y2[i] == y[i]
		other = other && y3[i] == y[i]
	}
	if !same || other {
		t.Errorf("same stream gives the same masks: %v (want true); another stream the same: %v (want false)", same, other)
	}
}
