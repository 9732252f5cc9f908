package models

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func mustNet(t testing.TB, arch string, split int, seed uint64) *Net {
	t.Helper()
	a, err := Lookup(arch)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(a, 10, split, newRNG(seed))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func randomBatch(rng *rand.Rand, n *Net, batch int) ([]float32, []int) {
	x := make([]float32, batch*n.InputDim())
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int, batch)
	for i := range y {
		y[i] = rng.IntN(n.Classes)
	}
	return x, y
}

// TestFLOPsSplitSum checks head+body+tail = the unsplit network at every split, and the
// mnist-cnn total against a count worked by hand.
func TestFLOPsSplitSum(t *testing.T) {
	// By hand (multiply-add = 2, bias/ReLU/pool comparison = 1), per sample:
	// conv5x5 1→16 @28²: 2·12544·25 + 2·12544 = 652288; pool: 3136·3 = 9408;
	// conv5x5 16→32 @14²: 2·6272·400 + 2·6272 = 5030144; pool: 1568·3 = 4704;
	// fc 1568→128 + ReLU: 2·1568·128 + 256 = 401664; fc 128→10: 2·128·10 + 10 = 2570.
	const mnistTotal = 652288 + 9408 + 5030144 + 4704 + 401664 + 2570
	// speech-cnn on 1×32×64: conv3x3 1→16 @32×64: 2·32768·9 + 2·32768 = 655360; pool:
	// 8192·3 = 24576; conv3x3 16→32 @16×32: 2·16384·144 + 2·16384 = 4751360; pool: 4096·3 =
	// 12288; conv3x3 32→64 @8×16: 2·8192·288 + 2·8192 = 4734976; pool: 2048·3 = 6144;
	// fc 2048→128 + ReLU: 2·2048·128 + 256 = 524544; fc 128→10: 2570.
	const speechTotal = 655360 + 24576 + 4751360 + 12288 + 4734976 + 6144 + 524544 + 2570
	// mnist-resnet8 (outputs × (2·C·k² + 3) for a ConvBN, outputs × (2·C·9 + 3 + 2·O·9 + 4)
	// for a residual block, one per value for pooling):
	// stem 1→16 @28²: 12544·(18+3) = 263424; block 16→16 @28²: 12544·(288+3+288+4) = 7313152;
	// block 16→32 @14²: 6272·(288+3+576+4) = 5462912; block 32→64 @7²: 3136·(576+3+1152+4) =
	// 5440960; GAP: 3136; fc 64→10: 2·64·10 + 10 = 1290.
	const resnet8Total = 263424 + 7313152 + 5462912 + 5440960 + 3136 + 1290
	for _, name := range Names() {
		a, _ := Lookup(name)
		var total int64 = -1
		for s := 0; s <= a.MaxSplit(); s++ {
			n := mustNet(t, name, s, 1)
			c := n.FLOPs()
			if c.Head < 0 || c.Body <= 0 || c.Tail <= 0 {
				t.Errorf("%s split %d: cost %+v", name, s, c)
			}
			if total >= 0 && c.Total() != total {
				t.Errorf("%s split %d: head+body+tail = %d, split 0 gave %d", name, s, c.Total(), total)
			}
			total = c.Total()
			if s == 0 && c.Head != 0 {
				t.Errorf("%s split 0: head FLOPs %d, want 0", name, c.Head)
			}
		}
		if name == "mnist-cnn" && total != mnistTotal {
			t.Errorf("mnist-cnn total FLOPs %d, want %d", total, mnistTotal)
		}
		if name == "speech-cnn" && total != speechTotal {
			t.Errorf("speech-cnn total FLOPs %d, want %d", total, speechTotal)
		}
		if name == "mnist-resnet8" && total != resnet8Total {
			t.Errorf("mnist-resnet8 total FLOPs %d, want %d", total, resnet8Total)
		}
	}
}

func TestSplitBounds(t *testing.T) {
	a, _ := Lookup("mnist-cnn")
	for _, s := range []int{-1, a.MaxSplit() + 1} {
		if _, err := New(a, 10, s, newRNG(1)); err == nil || !strings.Contains(err.Error(), "split") {
			t.Errorf("split %d: err %v, want a split error", s, err)
		}
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("unknown arch accepted")
	}
}

func TestUploadDims(t *testing.T) {
	cases := []struct {
		arch            string
		split, up, down int
	}{
		{"mnist-cnn", 0, 784, 128}, {"mnist-cnn", 1, 16 * 14 * 14, 128}, {"mnist-cnn", 2, 32 * 7 * 7, 128},
		// The ResNets' tail is GAP + fc: the cloud returns the last block's feature maps.
		{"mnist-resnet8", 0, 784, 64 * 7 * 7}, {"mnist-resnet8", 1, 16 * 28 * 28, 64 * 7 * 7},
		{"mnist-resnet8", 3, 32 * 14 * 14, 64 * 7 * 7}, {"cifar-resnet20", 5, 32 * 16 * 16, 64 * 8 * 8},
	}
	for _, c := range cases {
		n := mustNet(t, c.arch, c.split, 1)
		if n.UploadDim() != c.up || n.DownloadDim() != c.down {
			t.Errorf("%s split %d: up %d down %d, want %d %d", c.arch, c.split, n.UploadDim(), n.DownloadDim(), c.up, c.down)
		}
	}
}

// blockDiag2 builds a batch×batch block-diagonal matrix from 2×2 blocks and their inverses.
func blockDiag2(rng *rand.Rand, batch int) (mix, demix []float32, blocks [][4]float64) {
	mix = make([]float32, batch*batch)
	demix = make([]float32, batch*batch)
	for g := 0; g < batch/2; g++ {
		a := rng.Float64()
		b := rng.Float64()
		c := [4]float64{a, 1 - a, b, 1 - b}
		det := c[0]*c[3] - c[1]*c[2]
		inv := [4]float64{c[3] / det, -c[1] / det, -c[2] / det, c[0] / det}
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				mix[(2*g+i)*batch+2*g+j] = float32(c[2*i+j])
				demix[(2*g+i)*batch+2*g+j] = float32(inv[2*i+j])
			}
		}
		blocks = append(blocks, c)
	}
	return mix, demix, blocks
}

// TestMixedGraphMatchesEdgeCloud checks that the training graph's in-graph mixing computes the
// same logits as running head, body and tail separately with mixing in float64 between them.
// A net with batch norms is compared with inference on batch statistics, which the training
// graph normalises with (the body's: those of the batch of mixtures).
func TestMixedGraphMatchesEdgeCloud(t *testing.T) {
	const batch = 8
	rng := newRNG(7)
	for _, c := range []struct {
		arch  string
		split int
	}{{"mnist-cnn", 0}, {"mnist-cnn", 1}, {"mnist-cnn", 2}, {"mnist-resnet8", 0}, {"mnist-resnet8", 1}, {"mnist-resnet8", 3}} {
		split := c.split
		n := mustNet(t, c.arch, split, 3)
		x, y := randomBatch(rng, n, batch)
		mix, demix, blocks := blockDiag2(rng, batch)
		tr, err := NewTrainer(n, batch, true, 0) // lr 0: Step leaves weights as they are
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Step(x, y, mix, demix); err != nil {
			t.Fatal(err)
		}
		got := append([]float32(nil), tr.logits.Value().Data().([]float32)...)

		f, err := NewInferer(n.WithBNStats(BatchStats), batch)
		if err != nil {
			t.Fatal(err)
		}
		up, down := n.UploadDim(), n.DownloadDim()
		h := make([]float32, batch*up)
		if err := f.Head(h, x); err != nil {
			t.Fatal(err)
		}
		m := make([]float32, len(h))
		for g, c := range blocks {
			for j := 0; j < up; j++ {
				a, b := float64(h[(2*g)*up+j]), float64(h[(2*g+1)*up+j])
				m[(2*g)*up+j] = float32(c[0]*a + c[1]*b)
				m[(2*g+1)*up+j] = float32(c[2]*a + c[3]*b)
			}
		}
		zt := make([]float32, batch*down)
		if err := f.Body(zt, m); err != nil {
			t.Fatal(err)
		}
		z := make([]float32, len(zt))
		for g, c := range blocks {
			det := c[0]*c[3] - c[1]*c[2]
			for j := 0; j < down; j++ {
				a, b := float64(zt[(2*g)*down+j]), float64(zt[(2*g+1)*down+j])
				z[(2*g)*down+j] = float32((c[3]*a - c[1]*b) / det)
				z[(2*g+1)*down+j] = float32((-c[2]*a + c[0]*b) / det)
			}
		}
		want := make([]float32, batch*n.Classes)
		if err := f.Tail(want, z); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			// 1e-3 relative: float32 mixing in the graph vs float64 here, amplified by
			// cond(C) (random 2×2 convex rows, typically < 100) through ~1e3-term sums.
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-3*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%s split %d: logit %d: graph %v, edge/cloud %v", c.arch, split, i, got[i], want[i])
			}
		}
	}
}

func TestTrainingLearns(t *testing.T) {
	// A learnable toy task: the label is which quarter of the image holds a bright square.
	const batch = 16
	rng := newRNG(11)
	n := mustNet(t, "mnist-cnn", 1, 5)
	tr, err := NewTrainer(n, batch, false, 3e-3)
	if err != nil {
		t.Fatal(err)
	}
	gen := func() ([]float32, []int) {
		x := make([]float32, batch*784)
		y := make([]int, batch)
		for i := range y {
			y[i] = rng.IntN(4)
			r0, c0 := (y[i]/2)*14+3, (y[i]%2)*14+3
			for r := r0; r < r0+8; r++ {
				for c := c0; c < c0+8; c++ {
					x[i*784+r*28+c] = 1
				}
			}
		}
		return x, y
	}
	var first, last float64
	for step := 0; step < 30; step++ {
		x, y := gen()
		loss, _, err := tr.Step(x, y, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = loss
		}
		last = loss
	}
	// ln 10 ≈ 2.3 at start; 30 Adam steps on a trivially separable task get far below half of it.
	if !(last < first/2) {
		t.Errorf("loss %v → %v: training did not learn", first, last)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	const batch = 4
	n := mustNet(t, "mnist-cnn", 1, 9)
	var buf bytes.Buffer
	if err := n.Save(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	m, err := Load(bytes.NewReader(raw), "mem")
	if err != nil {
		t.Fatal(err)
	}
	if m.Split != 1 || m.Classes != 10 || m.Arch.Name != "mnist-cnn" {
		t.Fatalf("loaded %s split %d classes %d", m.Arch.Name, m.Split, m.Classes)
	}
	x, _ := randomBatch(newRNG(2), n, batch)
	logits := func(n *Net) []float32 { return inferLogits(t, n, x, batch) }
	a, b := logits(n), logits(m)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("logit %d: %v before save, %v after load", i, a[i], b[i])
		}
	}
	bad := map[string][]byte{
		"truncated":  raw[:len(raw)-10],
		"bad magic":  append([]byte("XX"), raw[2:]...),
		"flipped":    flip(raw, len(raw)-100),
		"trailing":   append(append([]byte(nil), raw...), 0),
		"empty file": nil,
	}
	for name, data := range bad {
		if _, err := Load(bytes.NewReader(data), "ckpt.bin"); err == nil || !strings.Contains(err.Error(), "ckpt.bin") {
			t.Errorf("%s: err %v, want an error naming the file", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

func benchStep(b *testing.B, arch string, mixed bool) {
	const batch = 64
	n := mustNet(b, arch, 1, 1)
	tr, err := NewTrainer(n, batch, mixed, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	rng := newRNG(1)
	x, y := randomBatch(rng, n, batch)
	var mix, demix []float32
	if mixed {
		mix, demix, _ = blockDiag2(rng, batch)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if _, _, err := tr.Step(x, y, mix, demix); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, batch, cpu0)
}

// BenchmarkTrainStep is one training step at batch 64 (split 1 when mixed): of the default
// architecture, and of the residual networks on MNIST and CIFAR-10 shapes.
func BenchmarkTrainStep(b *testing.B) {
	b.Run("baseline", func(b *testing.B) { benchStep(b, "mnist-cnn", false) })
	b.Run("datamix-k2", func(b *testing.B) { benchStep(b, "mnist-cnn", true) })
	for _, arch := range []string{"mnist-resnet8", "cifar-resnet20"} {
		b.Run(arch, func(b *testing.B) { benchStep(b, arch, false) })
		b.Run(arch+"-k2", func(b *testing.B) { benchStep(b, arch, true) })
	}
}

// BenchmarkCells is two training cells at once, as a sweep with -jobs 2 runs them: each
// goroutine trains its own net (baseline, batch 64); samples/s is their total.
func BenchmarkCells(b *testing.B) {
	const batch, cells = 64, 2
	var trs [cells]*Trainer
	var xs [cells][]float32
	var ys [cells][]int
	for c := range cells {
		n := mustNet(b, "mnist-cnn", 1, uint64(c))
		tr, err := NewTrainer(n, batch, false, 1e-3)
		if err != nil {
			b.Fatal(err)
		}
		trs[c] = tr
		xs[c], ys[c] = randomBatch(newRNG(uint64(c)), n, batch)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	for c := range cells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N; i++ {
				if _, _, err := trs[c].Step(xs[c], ys[c], nil, nil); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	reportRates(b, cells*batch, cpu0)
}

// BenchmarkInfer is evaluation: the forward pass of the whole network (head, body and tail, no
// mixing) at batch 500 (the evaluation batch of the harness), of the default architecture and
// of the residual networks (with running statistics), and of mnist-resnet8 at batch 64.
func BenchmarkInfer(b *testing.B) {
	b.Run("batch500", func(b *testing.B) { benchInfer(b, "mnist-cnn", 500) })
	for _, arch := range []string{"mnist-resnet8", "cifar-resnet20"} {
		b.Run(arch+"-batch500", func(b *testing.B) { benchInfer(b, arch, 500) })
	}
	b.Run("mnist-resnet8-batch64", func(b *testing.B) { benchInfer(b, "mnist-resnet8", 64) })
}

func benchInfer(b *testing.B, arch string, batch int) {
	n := mustNet(b, arch, 1, 1)
	f, err := NewInferer(n, batch)
	if err != nil {
		b.Fatal(err)
	}
	x, _ := randomBatch(newRNG(1), n, batch)
	h := make([]float32, batch*n.UploadDim())
	z := make([]float32, batch*n.DownloadDim())
	out := make([]float32, batch*n.Classes)
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if err := f.Head(h, x); err != nil {
			b.Fatal(err)
		}
		if err := f.Body(z, h); err != nil {
			b.Fatal(err)
		}
		if err := f.Tail(out, z); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, batch, cpu0)
}

// reportRates reports samples/s (wall clock) and cpu-ms/op (process CPU time, all threads).
func reportRates(b *testing.B, batch int, cpu0 time.Duration) {
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
}

// TestEveryArchTrains runs a few mixed and unmixed training steps and an inference pass of
// every architecture at every split where the upload's shape changes (and the first and last
// split): shapes fit and the loss stays finite.
func TestEveryArchTrains(t *testing.T) {
	const batch = 4
	for _, name := range Names() {
		a, _ := Lookup(name)
		for split := 0; split <= a.MaxSplit(); split++ {
			n := mustNet(t, name, split, 1)
			if split > 1 && split < a.MaxSplit() && slices.Equal(n.blockIn(split), n.blockIn(split-1)) {
				continue // the same shapes as the split before
			}
			rng := newRNG(2)
			for _, mixed := range []bool{false, true} {
				tr, err := NewTrainer(n, batch, mixed, 1e-3)
				if err != nil {
					t.Fatalf("%s split %d: %v", name, split, err)
				}
				for range 2 {
					x, y := randomBatch(rng, n, batch)
					var mix, demix []float32
					if mixed {
						mix, demix, _ = blockDiag2(rng, batch)
					}
					// A fresh network's cross-entropy is near ln(classes) ≈ 2.3; 20 catches an
					// explosion, and the comparison fails for NaN and ±Inf.
					if loss, _, err := tr.Step(x, y, mix, demix); err != nil || !(loss > 0 && loss < 20) {
						t.Fatalf("%s split %d mixed %v: loss %v, err %v", name, split, mixed, loss, err)
					}
				}
			}
			f, err := NewInferer(n, batch)
			if err != nil {
				t.Fatal(err)
			}
			x, _ := randomBatch(rng, n, batch)
			h := make([]float32, batch*n.UploadDim())
			z := make([]float32, batch*n.DownloadDim())
			out := make([]float32, batch*n.Classes)
			if err := f.Head(h, x); err != nil {
				t.Fatal(err)
			}
			if err := f.Body(z, h); err != nil {
				t.Fatal(err)
			}
			if err := f.Tail(out, z); err != nil {
				t.Fatal(err)
			}
		}
	}
}
