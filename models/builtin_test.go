package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// builtinGolden holds, per built-in architecture and kernel set, the SHA-256 of what a fixed
// recipe computes with it (builtinRun). testdata/builtins.json was written by the Go-defined
// architectures that the YAML descriptions replaced, once with the assembly kernels and once
// with GODEBUG=cpu.avx2=off (the pure-Go kernels, whose float32 sums round differently), so
// the test holds the descriptions to what those networks computed, bit for bit.
var updateBuiltins = flag.String("update-builtins", "", "rewrite the entry of this kernel set (asm or go) in testdata/builtins.json from the current architectures")

const builtinGoldenFile = "testdata/builtins.json"

// builtinDigests is what builtinRun records of one architecture.
type builtinDigests struct {
	Init    string `json:"init"`    // checkpoint bytes after New
	Logits  string `json:"logits"`  // float32 logits of a fixed batch through head, body and tail
	Plain   string `json:"plain"`   // checkpoint bytes after 3 plain training steps
	Mixed   string `json:"mixed"`   // checkpoint bytes after 3 mixed training steps (k = 2) at split 1
	Trained string `json:"trained"` // logits of the batch through the mixed-trained net
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func floatBytes(v []float32) []byte {
	var b bytes.Buffer
	for _, x := range v {
		binary.Write(&b, binary.LittleEndian, math.Float32bits(x))
	}
	return b.Bytes()
}

// builtinRun builds arch at split 1 from a fixed seed and records its initial checkpoint, the
// logits of a fixed batch of 8, and the checkpoints after three plain (split 0) and three
// mixed (split 1, k = 2) Adam steps on that batch.
func builtinRun(t *testing.T, arch string) builtinDigests {
	t.Helper()
	const batch = 8
	var d builtinDigests
	save := func(n *Net) string {
		var b bytes.Buffer
		if err := n.Save(&b); err != nil {
			t.Fatal(err)
		}
		return digest(b.Bytes())
	}
	logits := func(n *Net, x []float32) string {
		return digest(floatBytes(inferLogits(t, n, x, batch)))
	}
	n := mustNet(t, arch, 1, 31)
	x, y := randomBatch(newRNG(32), n, batch)
	d.Init = save(n)
	d.Logits = logits(n, x)
	for _, mixed := range []bool{false, true} {
		split := 0
		if mixed {
			split = 1
		}
		m := mustNet(t, arch, split, 31)
		tr, err := NewTrainer(m, batch, mixed, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		rng := newRNG(33)
		for range 3 {
			var mix, demix []float32
			if mixed {
				mix, demix, _ = blockDiag2(rng, batch)
			}
			if _, _, err := tr.Step(x, y, mix, demix); err != nil {
				t.Fatal(err)
			}
		}
		if mixed {
			d.Mixed = save(m)
			d.Trained = logits(m, x)
		} else {
			d.Plain = save(m)
		}
	}
	return d
}

// TestBuiltinsBitForBit runs builtinRun on every built-in architecture and compares with
// testdata/builtins.json: initial weights, logits and trained checkpoints must be the bytes the
// Go-defined architectures produced with the same kernel set.
func TestBuiltinsBitForBit(t *testing.T) {
	if testing.Short() {
		t.Skip("trains every built-in network")
	}
	golden := map[string]map[string]builtinDigests{} // kernel set → arch → digests
	if b, err := os.ReadFile(builtinGoldenFile); err == nil {
		if err := json.Unmarshal(b, &golden); err != nil {
			t.Fatal(err)
		}
	} else if *updateBuiltins == "" {
		t.Fatal(err)
	}
	got := map[string]builtinDigests{}
	for _, name := range Names() {
		got[name] = builtinRun(t, name)
	}
	if *updateBuiltins != "" {
		golden[*updateBuiltins] = got
		b, err := json.MarshalIndent(golden, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(builtinGoldenFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(builtinGoldenFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	// The digests of one kernel set must all match: which set ran is not visible from here
	// (GODEBUG and the purego tag choose it), and the two sets' float32 results differ.
	var best string
	bestMiss := -1
	for kernels, want := range golden {
		miss := 0
		for name, g := range got {
			if want[name] != g {
				miss++
			}
		}
		if len(want) != len(got) {
			miss += len(got)
		}
		if bestMiss < 0 || miss < bestMiss {
			best, bestMiss = kernels, miss
		}
	}
	if bestMiss != 0 {
		for name, g := range got {
			if w := golden[best][name]; w != g {
				t.Errorf("%s: differs from the %s golden digests:\n got  %+v\n want %+v", name, best, g, w)
			}
		}
	}
}
