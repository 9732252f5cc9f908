package models

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// The batch-normalised networks are checked end to end against a float64 reference built from
// the naive loops of ops_bn_test.go: logits, loss and every weight gradient of a training step
// (central differences), plain and mixed, on a small network with every kind of layer; the
// logits of every registered ResNet; and checkpoints with running statistics.

// refForward runs blocks [from,to) of n (to = len(Blocks)+1 includes the tail) in float64 on a
// batch x, with training-mode batch norms (batch statistics), from the weights ps.
func refForward(n *Net, ps [][]float64, x []float64, batch, from, to int) []float64 {
	for _, p := range n.plan {
		blk := p.block
		if blk < 0 {
			blk = len(n.Arch.Blocks)
		}
		if blk < from || blk >= to {
			continue
		}
		switch p.Kind {
		case ConvBN:
			x = convBNRef(x, ps[p.ps[0]], ps[p.ps[1]], ps[p.ps[2]], nil, nil, batch, p.in[0], p.in[1], p.in[2], p.Out, p.Kernel, p.stride(), p.ReLU)
		case Residual:
			if p.Shortcut == ShortcutProjection {
				c, h, w, s := p.in[0], p.in[1], p.in[2], p.stride()
				ho, wo := (h-1)/s+1, (w-1)/s+1
				hh := convBNRef(x, ps[p.ps[0]], ps[p.ps[1]], ps[p.ps[2]], nil, nil, batch, c, h, w, p.Out, p.Kernel, s, true)
				y := convBNRef(hh, ps[p.ps[3]], ps[p.ps[4]], ps[p.ps[5]], nil, nil, batch, p.Out, ho, wo, p.Out, p.Kernel, 1, false)
				sc := convBNRef(x, ps[p.ps[6]], ps[p.ps[7]], ps[p.ps[8]], nil, nil, batch, c, h, w, p.Out, 1, s, false)
				for i := range y {
					y[i] += sc[i]
				}
				x = reluRef(y)
				continue
			}
			in := [][]float64{x}
			for _, i := range p.ps {
				in = append(in, ps[i])
			}
			x = resBlockRef(in, nil, batch, p.in[0], p.in[1], p.in[2], p.Out, p.stride())
		case Conv:
			x = genConvRef(x, ps[p.w], ps[p.b], batch, p.in[0], p.in[1], p.in[2], p.Out, p.Kernel, 1, p.Kernel/2, p.ReLU)
		case ConvAny:
			var b []float64
			if p.Bias {
				b = ps[p.ps[1]]
			}
			x = genConvRef(x, ps[p.ps[0]], b, batch, p.in[0], p.in[1], p.in[2], p.Out, p.Kernel, p.stride(), p.Pad, p.ReLU)
		case MaxPool, AvgPool:
			x = poolRef(x, p.Kind == MaxPool, batch*p.in[0], p.in[1], p.in[2], p.Kernel, p.stride(), p.Pad)
		case BatchNorm:
			hw := prod(p.in) / p.in[0]
			x = bnRef(x, ps[p.ps[0]], ps[p.ps[1]], nil, nil, batch, p.in[0], hw, p.ReLU)
		case ReLU:
			x = reluRef(append([]float64(nil), x...))
		case GAP:
			x = gapRef(x, batch*p.in[0], p.in[1]*p.in[2])
		case Dense:
			x = denseRef(x, ps[p.w], ps[p.b], batch, prod(p.in), p.Out, p.ReLU)
		default:
			panic(fmt.Sprintf("refForward: layer kind %d", p.Kind))
		}
	}
	return x
}

// mixRef computes M = C·H for a batch×batch C and a batch×d H.
func mixRef(c, h []float64, batch int) []float64 {
	d := len(h) / batch
	m := make([]float64, len(h))
	for i := range batch {
		for j := range batch {
			if cij := c[i*batch+j]; cij != 0 {
				for q := range d {
					m[i*d+q] += cij * h[j*d+q]
				}
			}
		}
	}
	return m
}

// refLogits is the network in float64: tail(C⁻¹·body(C·head(x))) when mix is not nil, the
// plain network otherwise.
func refLogits(n *Net, ps [][]float64, x []float64, batch int, mix, demix []float64) []float64 {
	nb := len(n.Arch.Blocks)
	if mix == nil {
		return refForward(n, ps, x, batch, 0, nb+1)
	}
	h := mixRef(mix, refForward(n, ps, x, batch, 0, n.Split), batch)
	z := mixRef(demix, refForward(n, ps, h, batch, n.Split, nb), batch)
	return refForward(n, ps, z, batch, nb, nb+1)
}

// smallBNArch has a layer of every batch-normalised kind at a size whose float64 reference
// is fast enough to differentiate every weight numerically.
var smallBNArch = mustArch(`
input: [2, 6, 6]
layers:
  - {kind: conv, channels: 4, kernel: 3, padding: 1, bias: false}
  - {kind: batchnorm}
  - {kind: relu}
  - {kind: residual, channels: 4}
  - {kind: residual, channels: 8, stride: 2, shortcut: pad}
  - {kind: gap}
  - {kind: dense}
`)

// mustArch builds the architecture a description in YAML gives, named "test"; it panics on
// a fault (the descriptions of tests are written to be valid).
func mustArch(text string) Arch {
	d, err := ParseDescription("test.yaml", []byte(text))
	if err != nil {
		panic(err)
	}
	a, err := d.Build("test", 0, 0, 0)
	if err != nil {
		panic(err)
	}
	return a
}

// TestBNNetMatchesReference checks a training step of a small batch-normalised network, plain
// and mixed at split 1: logits and loss against the float64 reference, and the gradient of
// every weight tensor against central differences.
func TestBNNetMatchesReference(t *testing.T) {
	const batch, classes = 4, 3
	for _, mixed := range []bool{false, true} {
		t.Run(fmt.Sprint("mixed=", mixed), func(t *testing.T) {
			n, err := New(smallBNArch, classes, 1, newRNG(81))
			if err != nil {
				t.Fatal(err)
			}
			checkStepAgainstReference(t, n, batch, mixed, newRNG(82))
		})
	}
}

// checkStepAgainstReference runs one training step of n (lr 0) on a random batch, mixed at
// n's split or not, and checks logits and loss against the float64 reference and the gradient
// of every weight tensor against central differences.
func checkStepAgainstReference(t *testing.T, n *Net, batch int, mixed bool, rng *rand.Rand) {
	t.Helper()
	classes := n.Classes
	x, labels := randomBatch(rng, n, batch)
	var mix, demix []float32
	var mix64, demix64 []float64
	if mixed {
		mix, demix, _ = blockDiag2(rng, batch)
		mix64, demix64 = to64(mix), to64(demix)
	}
	tr, err := NewTrainer(n, batch, mixed, 0) // lr 0: the weights stay as they are
	if err != nil {
		t.Fatal(err)
	}
	loss, _, err := tr.Step(x, labels, mix, demix)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([][]float64, len(n.params))
	for i, p := range n.params {
		ps[i] = to64(p.Data().([]float32))
	}
	oneHot := make([]float64, batch*classes)
	for i, l := range labels {
		oneHot[i*classes+l] = 1
	}
	x64 := to64(x)
	lossOf := func() float64 {
		return xentRef(refLogits(n, ps, x64, batch, mix64, demix64), oneHot, batch, classes)[0]
	}
	want := refLogits(n, ps, x64, batch, mix64, demix64)
	got := f32(tr.logits.Value())
	for i := range want {
		// 1e-4·(1+|z|): float32 round-off through six normalised layers, amplified by
		// cond(C) when mixed.
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("logit %d = %v, reference %v", i, got[i], want[i])
		}
	}
	if l := lossOf(); math.Abs(loss-l) > 1e-5*(1+l) {
		t.Fatalf("loss %v, reference %v", loss, l)
	}
	// Central differences as in opCase.check (step 1e-6 in float64), at up to 40
	// entries of each tensor spread over it (every entry of the small ones).
	const h = 1e-6
	for i, g := range tr.grads {
		grad := f32(g.Value())
		step := max(1, len(ps[i])/40)
		for j := 0; j < len(ps[i]); j += step {
			orig := ps[i][j]
			ps[i][j] = orig + h
			lp := lossOf()
			ps[i][j] = orig - h
			lm := lossOf()
			ps[i][j] = orig
			num := (lp - lm) / (2 * h)
			// 2e-4·(1+|g|)… of the largest gradient: float32 round-off through the
			// network (and cond(C)), relative to the loss scale of ≈ 1.
			if d := math.Abs(float64(grad[j]) - num); d > 2e-4*(1+math.Abs(num)) {
				t.Fatalf("d loss / d %s[%d] = %v, central difference %v", n.names[i], j, grad[j], num)
			}
		}
	}
}

// generalArch has a layer of every kind the general ops run (ops_generic.go), beside fused
// ones: a strided convolution without bias, a conv with bias followed by a batch norm, an even
// kernel, overlapping and padded pools, a projection shortcut, a batch norm over features.
var generalArch = mustArch(`
input: [2, 9, 8]
layers:
  - {kind: conv, channels: 4, kernel: 3, stride: 2, padding: 1, bias: false}
  - {kind: relu}
  - {kind: conv, channels: 4, kernel: 3, padding: 1}
  - {kind: batchnorm}
  - {kind: relu}
  - {kind: maxpool, kernel: 3, stride: 1, padding: 1}
  - {kind: conv, channels: 5, kernel: 2}
  - {kind: avgpool, kernel: 2, stride: 1}
  - {kind: residual, channels: 6, stride: 2, shortcut: projection}
  - {kind: flatten}
  - {kind: batchnorm}
  - {kind: dense, units: 7}
  - {kind: relu}
  - {kind: dense}
`)

// TestGeneralNetMatchesReference checks a training step of generalArch, plain and mixed at
// every split, as TestBNNetMatchesReference does the batch-normalised network: logits and
// loss against the float64 reference, every weight's gradient against central differences.
func TestGeneralNetMatchesReference(t *testing.T) {
	const batch, classes = 4, 3
	for _, kind := range []LayerKind{ConvAny, BatchNorm, MaxPool, AvgPool, Residual} {
		found := false
		for _, blk := range generalArch.Blocks {
			for _, l := range blk {
				found = found || l.Kind == kind
			}
		}
		if !found {
			t.Fatalf("generalArch has no %v layer", kind)
		}
	}
	for split := 0; split <= generalArch.MaxSplit(); split++ {
		for _, mixed := range []bool{false, true} {
			t.Run(fmt.Sprintf("split %d mixed=%v", split, mixed), func(t *testing.T) {
				n, err := New(generalArch, classes, split, newRNG(88))
				if err != nil {
					t.Fatal(err)
				}
				checkStepAgainstReference(t, n, batch, mixed, newRNG(89))
			})
		}
	}
}

// TestResNetsMatchReference checks the logits of every registered batch-normalised network
// (training mode) against the float64 reference on a batch of 2.
func TestResNetsMatchReference(t *testing.T) {
	const batch = 2
	for _, name := range Names() {
		n := mustNet(t, name, 1, 83)
		if !n.HasBN() {
			continue
		}
		x, labels := randomBatch(newRNG(84), n, batch)
		tr, err := NewTrainer(n, batch, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.Step(x, labels, nil, nil); err != nil {
			t.Fatal(err)
		}
		ps := make([][]float64, len(n.params))
		for i, p := range n.params {
			ps[i] = to64(p.Data().([]float32))
		}
		want := refLogits(n, ps, to64(x), batch, nil, nil)
		got := f32(tr.logits.Value())
		for i := range want {
			// 1e-4·(1+|z|): float32 round-off through up to 20 layers.
			if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
				t.Fatalf("%s: logit %d = %v, reference %v", name, i, got[i], want[i])
			}
		}
	}
}

// TestBNCheckpoint checks that a trained network's running statistics survive a checkpoint
// bit for bit, that a checkpoint missing or corrupting them is refused, and that networks
// without batch norms still write the layout they always did (the SHA-256 of a fresh
// mnist-cnn's and cifar-cnn's checkpoint as written before batch norms existed).
func TestBNCheckpoint(t *testing.T) {
	const batch = 4
	n := mustNet(t, "mnist-resnet8", 1, 85)
	tr, err := NewTrainer(n, batch, false, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	rng := newRNG(86)
	for range 3 {
		x, y := randomBatch(rng, n, batch)
		if _, _, err := tr.Step(x, y, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if v := n.statsData(1); v[0] == 1 {
		t.Fatal("running variance unchanged by training")
	}
	var buf bytes.Buffer
	if err := n.Save(&buf); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	m, err := Load(bytes.NewReader(raw), "mem")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := randomBatch(newRNG(87), n, batch)
	a, b := inferLogits(t, n, x, batch), inferLogits(t, m, x, batch)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("logit %d: %v before save, %v after load", i, a[i], b[i])
		}
	}
	// A checkpoint whose header lists no running statistics (as an mnist-cnn one does).
	hdrEnd := bytes.IndexByte(raw[len(checkpointMagic):], '\n') + len(checkpointMagic)
	hdr := string(raw[len(checkpointMagic):hdrEnd])
	noStats := append([]byte(checkpointMagic+hdr[:strings.Index(hdr, `,"stats"`)]+"}"), raw[hdrEnd:]...)
	bad := map[string][]byte{
		"no stats":         noStats,
		"stats truncated":  raw[:len(raw)-8],
		"stats corrupted":  flip(raw, len(raw)-10),
		"stats trailing 0": append(append([]byte(nil), raw...), 0),
	}
	for name, data := range bad {
		if _, err := Load(bytes.NewReader(data), "ckpt.bin"); err == nil || !strings.Contains(err.Error(), "ckpt.bin") {
			t.Errorf("%s: err %v, want an error naming the file", name, err)
		}
	}
	for name, want := range map[string]string{
		"mnist-cnn": "0a5cb96e9d4c4d6c5698e6a8a31d6a1ce32413e00a7ec25b40487724f5a5ccd5",
		"cifar-cnn": "b0e33c93a3ceebd8eb30cd7c785566af8c1752f8233a8bf7fda07afcffba485c",
	} {
		var buf bytes.Buffer
		if err := mustNet(t, name, 1, 9).Save(&buf); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(buf.Bytes())); got != want {
			t.Errorf("%s: checkpoint SHA-256 %s, the layout before batch norms gave %s", name, got, want)
		}
	}
}

// inferLogits runs head, body and tail of n on x with an Inferer.
func inferLogits(t *testing.T, n *Net, x []float32, batch int) []float32 {
	t.Helper()
	f, err := NewInferer(n, batch)
	if err != nil {
		t.Fatal(err)
	}
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
	return out
}
