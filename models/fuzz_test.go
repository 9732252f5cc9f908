package models

import (
	"bytes"
	"testing"
)

// FuzzLoad feeds checkpoint loading arbitrary bytes: it must never panic or allocate what the
// input does not justify, and whatever it accepts must save back to the same weights, and
// load again to the same network.
func FuzzLoad(f *testing.F) {
	a, err := Lookup("mnist-cnn")
	if err != nil {
		f.Fatal(err)
	}
	for _, split := range []int{0, 2} {
		n, err := New(a, 10, split, newRNG(1))
		if err != nil {
			f.Fatal(err)
		}
		var buf bytes.Buffer
		if err := n.Save(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:len(buf.Bytes())/2])
	}
	if n, err := New(dropoutArch, 3, 1, newRNG(1)); err == nil { // a described architecture
		var buf bytes.Buffer
		if err := n.Save(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	} else {
		f.Fatal(err)
	}
	f.Add([]byte(checkpointMagic + `{"arch":"x","classes":10,"split":0,"params":[],"description":{"input":[1,8,8],"layers":[{"kind":"conv","channels":65536,"kernel":64},{"kind":"flatten"},{"kind":"dense"}]}}` + "\n"))
	f.Add([]byte(checkpointMagic + `{"arch":"mnist-cnn","classes":10,"split":1,"params":[]}` + "\n"))
	f.Add([]byte(checkpointMagic + `{"arch":"cifar-cnn","classes":100,"split":3,"params":[{"name":"l0.w","shape":[32,3,3,3]}]}` + "\n"))
	f.Add([]byte(checkpointMagic + `{"arch":"mnist-cnn","classes":2147483647,"split":0,"params":[]}` + "\n"))
	f.Add([]byte(checkpointMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		n, err := Load(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := n.Save(&out); err != nil {
			t.Fatalf("save of a loaded checkpoint: %v", err)
		}
		// The weights and checksum (everything after the header line) are the input's.
		if !bytes.Equal(afterHeader(out.Bytes()), afterHeader(in)) {
			t.Fatalf("the saved weights differ from the loaded ones")
		}
		m, err := Load(bytes.NewReader(out.Bytes()), "resaved")
		if err != nil {
			t.Fatalf("a saved checkpoint does not load: %v", err)
		}
		var again bytes.Buffer
		m.Save(&again)
		if !bytes.Equal(again.Bytes(), out.Bytes()) || m.Arch.Name != n.Arch.Name || m.Classes != n.Classes || m.Split != n.Split {
			t.Fatalf("load and save are not stable")
		}
	})
}

// afterHeader returns what follows the magic line and the header line.
func afterHeader(b []byte) []byte {
	for range 2 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	return b
}
