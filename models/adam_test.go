package models

import (
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// valueGrad is a weight and its gradient as gorgonia's solvers take them.
type valueGrad struct{ w, g *tensor.Dense }

func (v valueGrad) Value() G.Value         { return v.w }
func (v valueGrad) Grad() (G.Value, error) { return v.g, nil }

// TestAdamMatchesGorgonia checks that adam performs gorgonia's AdamSolver update bit for bit.
func TestAdamMatchesGorgonia(t *testing.T) {
	sizes := []int{3, 40000, 17} // 40000 > adamChunk: several goroutines
	const lr, steps = 3e-3, 6
	var ours adam
	ours.lr = lr
	ref := G.NewAdamSolver(G.WithLearnRate(lr))
	var ws, refW [][]float32
	for i, n := range sizes {
		w := randVals(uint64(20+i), n, 1)
		ws = append(ws, w)
		refW = append(refW, append([]float32(nil), w...))
	}
	for step := range steps {
		var gs [][]float32
		var model []G.ValueGrad
		for i, n := range sizes {
			g := randVals(uint64(100*step+i), n, math.Pow(10, float64(i-step))) // varied scales
			gs = append(gs, g)
			model = append(model, valueGrad{
				w: tensor.New(tensor.WithShape(n), tensor.WithBacking(refW[i])),
				g: tensor.New(tensor.WithShape(n), tensor.WithBacking(append([]float32(nil), g...))),
			})
		}
		ours.step(ws, gs)
		if err := ref.Step(model); err != nil {
			t.Fatal(err)
		}
		for i := range ws {
			for j := range ws[i] {
				if math.Float32bits(ws[i][j]) != math.Float32bits(refW[i][j]) {
					t.Fatalf("step %d: w%d[%d] = %v, gorgonia %v", step, i, j, ws[i][j], refW[i][j])
				}
			}
		}
	}
}

// TestTrainerReproducible checks that training is bit-for-bit repeatable for a seed and does
// not depend on the number of cores, with and without mixing, for a plain CNN and a residual
// network (whose batch norms' running statistics are compared too).
func TestTrainerReproducible(t *testing.T) {
	const batch, steps = 16, 3
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range []struct {
		arch  string
		mixed bool
	}{{"mnist-cnn", false}, {"mnist-cnn", true}, {"mnist-resnet8", false}, {"mnist-resnet8", true}} {
		mixed := c.mixed
		var ref []float32
		for _, procs := range []int{1, 2, 1, 3} {
			runtime.GOMAXPROCS(procs)
			n := mustNet(t, c.arch, 1, 4)
			tr, err := NewTrainer(n, batch, mixed, 1e-3)
			if err != nil {
				t.Fatal(err)
			}
			rng := newRNG(5)
			for range steps {
				x, y := randomBatch(rng, n, batch)
				var mix, demix []float32
				if mixed {
					mix, demix, _ = blockDiag2(rng, batch)
				}
				if _, _, err := tr.Step(x, y, mix, demix); err != nil {
					t.Fatal(err)
				}
			}
			var got []float32
			for _, p := range append(n.params[:len(n.params):len(n.params)], n.stats...) {
				got = append(got, p.Data().([]float32)...)
			}
			if ref == nil {
				ref = got
				continue
			}
			for i := range ref {
				if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%s mixed=%v GOMAXPROCS %d: value %d = %v, first run %v", c.arch, mixed, procs, i, got[i], ref[i])
				}
			}
		}
	}
}
