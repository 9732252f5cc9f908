package models

import (
	"archive/zip"
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// trainedNet returns a net of arch at split 1 after a few training steps, so that its batch
// norms' running statistics are not the initial ones.
func trainedNet(t *testing.T, arch Arch, classes int) *Net {
	t.Helper()
	n, err := New(arch, classes, 1, newRNG(101))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(n, 4, false, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	rng := newRNG(102)
	for range 2 {
		x, y := randomBatch(rng, n, 4)
		if _, _, err := tr.Step(x, y, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestNPZRoundTrip writes every built-in and the general test networks as .npz and reads them
// into fresh nets: the logits are the same bit for bit, and the three parts' archives hold
// between them exactly the whole network's arrays.
func TestNPZRoundTrip(t *testing.T) {
	archs := []Arch{generalArch, dropoutArch}
	for _, name := range Names() {
		a, _ := Lookup(name)
		archs = append(archs, a)
	}
	for _, a := range archs {
		n := trainedNet(t, a, 5)
		var buf bytes.Buffer
		if err := n.WriteNPZ(&buf, Whole); err != nil {
			t.Fatal(err)
		}
		m, err := New(a, 5, 1, newRNG(103)) // other weights
		if err != nil {
			t.Fatal(err)
		}
		if err := m.ReadNPZ(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "all.npz"); err != nil {
			t.Fatal(err)
		}
		x, _ := randomBatch(newRNG(104), n, 4)
		want, got := inferLogits(t, n, x, 4), inferLogits(t, m, x, 4)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("%s: logit %d = %v after the round trip, %v before", a.Name, i, got[i], want[i])
			}
		}
		var parts []string
		for _, p := range []Part{Head, Body, Tail} {
			var pb bytes.Buffer
			if err := n.WriteNPZ(&pb, p); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(pb.Bytes()), int64(pb.Len()))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				parts = append(parts, strings.TrimSuffix(f.Name, ".npy"))
			}
			if len(n.StateNames(p)) != len(zr.File) {
				t.Errorf("%s %v: %d arrays, StateNames lists %d", a.Name, p, len(zr.File), len(n.StateNames(p)))
			}
		}
		if all := n.StateNames(Whole); !slices.Equal(parts, all) {
			t.Errorf("%s: head, body and tail hold %v, the whole net %v", a.Name, parts, all)
		}
	}
	got := mustNet(t, "mnist-resnet8", 1, 1).StateNames(Head)
	want := []string{"layers.0.weight", "layers.1.weight", "layers.1.bias", "layers.1.running_mean", "layers.1.running_var"}
	if !slices.Equal(got, want) {
		t.Errorf("mnist-resnet8's head: %v, want %v", got, want)
	}
	if got := mustNet(t, "mnist-cnn", 1, 1).StateNames(Tail); !slices.Equal(got, []string{"layers.9.weight", "layers.9.bias"}) {
		t.Errorf("mnist-cnn's tail: %v", got)
	}
}

// TestNPZErrors checks that an archive that does not fit the network is refused with one line
// naming the archive and the array, and leaves the weights as they were.
func TestNPZErrors(t *testing.T) {
	n := mustNet(t, "mnist-cnn", 1, 1)
	var good bytes.Buffer
	if err := n.WriteNPZ(&good, Whole); err != nil {
		t.Fatal(err)
	}
	rebuild := func(edit func(name string, data []byte) (string, []byte)) []byte {
		zr, _ := zip.NewReader(bytes.NewReader(good.Bytes()), int64(good.Len()))
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr.File {
			rc, _ := f.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			name, data := edit(f.Name, b.Bytes())
			if name == "" {
				continue
			}
			w, _ := zw.Create(name)
			w.Write(data)
		}
		zw.Close()
		return out.Bytes()
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("hello"), "models: w.npz: not an .npz archive: zip: not a valid zip file"},
		{"missing array", rebuild(func(name string, d []byte) (string, []byte) {
			if name == "layers.3.bias.npy" {
				return "", nil
			}
			return name, d
		}), "models: w.npz: 1 of mnist-cnn's 8 arrays missing, first layers.3.bias"},
		{"extra array", rebuild(func(name string, d []byte) (string, []byte) {
			if name == "layers.3.bias.npy" {
				return "layers.4.bias.npy", d
			}
			return name, d
		}), "models: w.npz: layers.4.bias: mnist-cnn has no such weight (its arrays are layers.0.weight … layers.9.bias)"},
		{"wrong shape", rebuild(func(name string, d []byte) (string, []byte) {
			if name == "layers.9.weight.npy" {
				return name, bytes.Replace(d, []byte("(10, 128)"), []byte("(128, 10)"), 1)
			}
			return name, d
		}), "models: w.npz: layers.9.weight has shape [128 10], mnist-cnn needs [10 128]"},
		{"Fortran order", rebuild(func(name string, d []byte) (string, []byte) {
			return name, bytes.Replace(d, []byte("'fortran_order': False"), []byte("'fortran_order': True "), 1)
		}), "models: w.npz: layers.0.weight: in Fortran order, need C order (numpy.ascontiguousarray before saving)"},
		{"integer values", rebuild(func(name string, d []byte) (string, []byte) {
			return name, bytes.Replace(d, []byte("'<f4'"), []byte("'<i4'"), 1)
		}), "models: w.npz: layers.0.weight: values of type <i4, need little-endian float32 (<f4) or float64 (<f8)"},
		{"truncated", rebuild(func(name string, d []byte) (string, []byte) {
			return name, d[:len(d)-4]
		}), "models: w.npz: layers.0.weight: truncated: the header declares 400 values"},
	} {
		m := mustNet(t, "mnist-cnn", 1, 2)
		before := slices.Clone(m.params[0].Data().([]float32))
		err := m.ReadNPZ(bytes.NewReader(tc.data), int64(len(tc.data)), "w.npz")
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
		if !slices.Equal(before, m.params[0].Data().([]float32)) {
			t.Errorf("%s: the weights changed", tc.name)
		}
	}
}
