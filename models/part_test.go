package models

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestPartFiles: a network saved as three part files runs, from its body file alone, the same
// body as the whole network, bit for bit; from its head and tail files the same head and
// tail; the body-only network holds no head or tail weight (all zero); every part file
// carries the whole network's fingerprint; and Load and LoadPart each refuse the other's files.
func TestPartFiles(t *testing.T) {
	for _, tc := range []struct {
		arch  string
		split int
	}{{"mnist-cnn", 0}, {"mnist-cnn", 1}, {"mnist-resnet8", 1}, {"mnist-resnet8", 2}} {
		t.Run(fmt.Sprintf("%s/split%d", tc.arch, tc.split), func(t *testing.T) {
			arch, _ := Lookup(tc.arch)
			net, err := New(arch, 10, tc.split, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range net.stats { // running statistics that are not the initial ones
				for j, d := 0, s.Data().([]float32); j < len(d); j++ {
					d[j] = float32(i+j%7) / 8
				}
			}
			files := map[Part]*bytes.Buffer{}
			for _, p := range Parts {
				files[p] = new(bytes.Buffer)
				if err := net.SavePart(files[p], p); err != nil {
					t.Fatal(err)
				}
			}
			const batch = 3
			src := rand.New(rand.NewPCG(3, 4))
			x := make([]float32, batch*net.InputDim())
			for i := range x {
				x[i] = src.Float32()
			}
			whole, _ := NewInferer(net, batch)
			h := make([]float32, batch*net.UploadDim())
			z := make([]float32, batch*net.DownloadDim())
			y := make([]float32, batch*net.Classes)
			if err := whole.Head(h, x); err != nil {
				t.Fatal(err)
			}
			if err := whole.Body(z, h); err != nil {
				t.Fatal(err)
			}
			if err := whole.Tail(y, z); err != nil {
				t.Fatal(err)
			}

			body, info, err := LoadPart(bytes.NewReader(files[Body].Bytes()), "body.ckpt", nil)
			if err != nil {
				t.Fatal(err)
			}
			if info.Part != Body || info.Fingerprint != net.Fingerprint() {
				t.Errorf("body file: %+v, want part body and fingerprint %s", info, net.Fingerprint())
			}
			params, stats := body.partTensors(Body)
			for i, p := range body.params {
				if !slices.Contains(params, i) && slices.ContainsFunc(p.Data().([]float32), func(v float32) bool { return v != 0 }) {
					t.Errorf("the body-only network holds weight %s of another part", body.names[i])
				}
			}
			for i, s := range body.stats {
				if !slices.Contains(stats, i) && slices.ContainsFunc(s.Data().([]float32), func(v float32) bool { return v != 0 }) {
					t.Errorf("the body-only network holds running statistics %s of another part", body.statsNames[i])
				}
			}
			cloud, err := NewPartInferer(body, batch, Body)
			if err != nil {
				t.Fatal(err)
			}
			z2 := make([]float32, len(z))
			if err := cloud.Body(z2, h); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(z, z2) {
				t.Error("the body loaded from its file alone computes other values than the whole network's")
			}

			edge, info, err := LoadPart(bytes.NewReader(files[Head].Bytes()), "head.ckpt", nil)
			if err != nil {
				t.Fatal(err)
			}
			if info.Part != Head || info.Fingerprint != net.Fingerprint() {
				t.Errorf("head file: %+v", info)
			}
			if _, info, err = LoadPart(bytes.NewReader(files[Tail].Bytes()), "tail.ckpt", edge); err != nil {
				t.Fatal(err)
			} else if info.Part != Tail || info.Fingerprint != net.Fingerprint() {
				t.Errorf("tail file: %+v", info)
			}
			ef, err := NewPartInferer(edge, batch, Head, Tail)
			if err != nil {
				t.Fatal(err)
			}
			h2, y2 := make([]float32, len(h)), make([]float32, len(y))
			if err := ef.Head(h2, x); err != nil {
				t.Fatal(err)
			}
			if err := ef.Tail(y2, z); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(h, h2) || !slices.Equal(y, y2) {
				t.Error("head and tail loaded from their files compute other values than the whole network's")
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Error("an edge inferer ran the body it was built without")
					}
				}()
				ef.Body(z2, h)
			}()

			if _, err := Load(bytes.NewReader(files[Body].Bytes()), "body.ckpt"); err == nil || !strings.Contains(err.Error(), "LoadPart") {
				t.Errorf("Load of a part file: %v, want a refusal naming LoadPart", err)
			}
			var full bytes.Buffer
			if err := net.Save(&full); err != nil {
				t.Fatal(err)
			}
			if _, _, err := LoadPart(&full, "model.ckpt", nil); err == nil || !strings.Contains(err.Error(), "whole-network") {
				t.Errorf("LoadPart of a whole checkpoint: %v, want a refusal", err)
			}
		})
	}
}

// TestLoadPartMismatch: a part file of another network shape is refused when loaded into a
// network, and a corrupt one fails its checksum.
func TestLoadPartMismatch(t *testing.T) {
	arch, _ := Lookup("mnist-cnn")
	a, _ := New(arch, 10, 1, rand.New(rand.NewPCG(1, 2)))
	b, _ := New(arch, 10, 2, rand.New(rand.NewPCG(1, 2)))
	var tail bytes.Buffer
	if err := b.SavePart(&tail, Tail); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadPart(bytes.NewReader(tail.Bytes()), "tail.ckpt", a); err == nil || !strings.Contains(err.Error(), "split 2") {
		t.Errorf("loading a split-2 tail into a split-1 network: %v, want a refusal naming the split", err)
	}
	corrupt := bytes.Clone(tail.Bytes())
	corrupt[len(corrupt)-10] ^= 1
	if _, _, err := LoadPart(bytes.NewReader(corrupt), "tail.ckpt", nil); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a corrupt part file: %v, want a checksum error", err)
	}
}
