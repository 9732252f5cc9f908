package models

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgoniaLoss builds the network as the package built it before the custom ops, from
// gorgonia's own operators (Conv2d, BroadcastAdd, Rectify, MaxPool2D, Mul and a log-softmax
// from basic ops), over copies of n's weights, and returns the logits, the mean cross-entropy
// against one-hot y and the weight nodes.
func gorgoniaLoss(t *testing.T, n *Net, x []float32, labels []int) (logits, cost *G.Node, ws []*G.Node, g *G.ExprGraph) {
	t.Helper()
	batch := len(labels)
	g = G.NewGraph()
	for i, p := range n.params {
		v := p.Clone().(*tensor.Dense)
		ws = append(ws, G.NewTensor(g, tensor.Float32, v.Dims(), G.WithShape(v.Shape()...), G.WithName(n.names[i]), G.WithValue(v)))
	}
	xs := append([]int{batch}, n.Arch.C, n.Arch.H, n.Arch.W)
	h := G.NewTensor(g, tensor.Float32, 4, G.WithShape(xs...), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(xs...), tensor.WithBacking(append([]float32(nil), x...)))))
	for _, p := range n.plan {
		want := append([]int{batch}, p.in...)
		if p.Kind == Dense {
			want = []int{batch, prod(p.in)}
		}
		if !h.Shape().Eq(tensor.Shape(want)) {
			h = G.Must(G.Reshape(h, want))
		}
		switch p.Kind {
		case Conv:
			pad := p.Kernel / 2
			h = G.Must(G.Conv2d(h, ws[p.w], tensor.Shape{p.Kernel, p.Kernel}, []int{pad, pad}, []int{1, 1}, []int{1, 1}))
			h = G.Must(G.BroadcastAdd(h, ws[p.b], nil, []byte{0, 2, 3}))
			h = G.Must(G.Rectify(h))
		case MaxPool:
			h = G.Must(G.MaxPool2D(h, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
		case Dense:
			h = G.Must(G.Mul(h, ws[p.w]))
			h = G.Must(G.BroadcastAdd(h, ws[p.b], nil, []byte{0}))
			if p.ReLU {
				h = G.Must(G.Rectify(h))
			}
		}
	}
	logits = h
	m := G.Must(G.Max(logits, 1))
	shifted := G.Must(G.BroadcastSub(logits, m, nil, []byte{1}))
	lse := G.Must(G.Log(G.Must(G.Sum(G.Must(G.Exp(shifted)), 1))))
	logp := G.Must(G.BroadcastSub(shifted, lse, nil, []byte{1}))
	oneHot := make([]float32, batch*n.Classes)
	for i, l := range labels {
		oneHot[i*n.Classes+l] = 1
	}
	y := G.NewTensor(g, tensor.Float32, 2, G.WithShape(batch, n.Classes), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(batch, n.Classes), tensor.WithBacking(oneHot))))
	cost = G.Must(G.Mul(G.Must(G.Sum(G.Must(G.HadamardProd(y, logp)))), G.NewConstant(float32(-1/float64(batch)))))
	return logits, cost, ws, g
}

// TestTrainerMatchesGorgoniaGraph checks the whole network end to end against the plain
// gorgonia graph it replaced: logits, loss and every weight gradient of one step, for every
// architecture without batch norms at its deepest split (those with batch norms never had a
// gorgonia graph; reference_bn_test.go checks them against float64 loops).
func TestTrainerMatchesGorgoniaGraph(t *testing.T) {
	const batch = 6
	for _, name := range Names() {
		a, _ := Lookup(name)
		n := mustNet(t, name, a.MaxSplit(), 21)
		if n.HasBN() {
			continue
		}
		x, labels := randomBatch(newRNG(22), n, batch)

		logits, cost, ws, g := gorgoniaLoss(t, n, x, labels)
		grads, err := G.Grad(cost, ws...)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}

		tr, err := NewTrainer(n, batch, false, 0) // lr 0: the step leaves the weights as they are
		if err != nil {
			t.Fatal(err)
		}
		loss, _, err := tr.Step(x, labels, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		close := func(what string, got, want []float32) {
			t.Helper()
			var scale float64
			for _, v := range want {
				scale = max(scale, math.Abs(float64(v)))
			}
			for i := range want {
				// 1e-4 of the tensor's largest value: float32 sums of up to ~10⁵ terms
				// (conv weight gradients over batch × pixels) in a different order.
				if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*scale+1e-7 {
					t.Fatalf("%s: %s[%d] = %v, gorgonia graph %v (scale %v)", name, what, i, got[i], want[i], scale)
				}
			}
		}
		close("logits", f32(tr.logits.Value()), f32(logits.Value()))
		close("loss", []float32{float32(loss)}, []float32{cost.Value().Data().(float32)})
		for i := range grads {
			close("grad "+n.names[i], f32(tr.grads[i].Value()), f32(grads[i].Value()))
		}
	}
}
