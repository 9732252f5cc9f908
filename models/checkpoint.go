package models

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// checkpointMagic opens every checkpoint file; the version changes with the layout. Networks
// with batch norms add their running statistics after the weights, listed under "stats" in
// the header; without, the file is as it always was, so every earlier checkpoint still loads.
const checkpointMagic = "DATAMIX-CHECKPOINT v1\n"

type ckptHeader struct {
	Arch    string      `json:"arch"`
	Classes int         `json:"classes"`
	Split   int         `json:"split"`
	Params  []ckptParam `json:"params"`
	Stats   []ckptParam `json:"stats,omitempty"`
	// Description is the network's description, input shape included, for an architecture
	// that is not built in (a built-in one is named by Arch alone, as it always was).
	Description *Description `json:"description,omitempty"`
	// Part and Net are set in a part file only (SavePart): which part it holds, and the
	// whole network's fingerprint.
	Part string `json:"part,omitempty"`
	Net  string `json:"net,omitempty"`
}

type ckptParam struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// header is the start of the header of the net's checkpoints: its architecture (by name, or
// with its description when it is not built in), classes and split.
func (n *Net) header() ckptHeader {
	h := ckptHeader{Arch: n.Arch.Name, Classes: n.Classes, Split: n.Split}
	if !n.Arch.builtin {
		h.Description = n.Arch.Desc.clone()
		h.Description.Input = []int{n.Arch.C, n.Arch.H, n.Arch.W}
	}
	return h
}

// Save writes the net's architecture name, class count, split, weights and batch norms'
// running statistics: a text magic line, a JSON header line, the weights and then the running
// statistics as little-endian float32 in header order, and a CRC-32 of those values.
func (n *Net) Save(w io.Writer) error {
	h := n.header()
	for i, p := range n.params {
		h.Params = append(h.Params, ckptParam{Name: n.names[i], Shape: []int(p.Shape())})
	}
	for i, p := range n.stats {
		h.Stats = append(h.Stats, ckptParam{Name: n.statsNames[i], Shape: []int(p.Shape())})
	}
	return writeCheckpoint(w, h, append(n.params[:len(n.params):len(n.params)], n.stats...))
}

// checkpointArch is the architecture a checkpoint header names: its description when it has
// one, else the built-in architecture of that name.
func checkpointArch(h ckptHeader) (Arch, error) {
	if h.Description == nil {
		return Lookup(h.Arch)
	}
	if len(h.Description.Input) != 3 {
		return Arch{}, fmt.Errorf("bad header: the description has no input shape")
	}
	return h.Description.Build(h.Arch, 0, 0, 0)
}

// maxCheckpointClasses bounds the class count a checkpoint header may declare: Load allocates
// the weights before reading them, and a corrupt count must not ask for terabytes (65,536
// classes make a classifier of at most 64 MiB; the datasets have at most 100).
const maxCheckpointClasses = 1 << 16

// Load reads a checkpoint written by Save. name is used in error messages (e.g. the path).
func Load(r io.Reader, name string) (*Net, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != checkpointMagic {
		return nil, fmt.Errorf("models: %s: not a DataMix checkpoint (bad magic)", name)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("models: %s: truncated header", name)
	}
	var h ckptHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("models: %s: bad header: %v", name, err)
	}
	if h.Part != "" {
		return nil, fmt.Errorf("models: %s: holds only the %s of a network (a part file); load it with LoadPart", name, h.Part)
	}
	n, err := allocFromHeader(h, name)
	if err != nil {
		return nil, err
	}
	if len(h.Params) != len(n.params) {
		return nil, fmt.Errorf("models: %s: %d weight tensors, %s has %d", name, len(h.Params), h.Arch, len(n.params))
	}
	if len(h.Stats) != len(n.stats) {
		return nil, fmt.Errorf("models: %s: %d running-statistics tensors, %s has %d", name, len(h.Stats), h.Arch, len(n.stats))
	}
	crc := crc32.NewIEEE()
	in := io.TeeReader(br, crc)
	buf := make([]byte, 4)
	read := func(what string, p ckptParam, t *tensor.Dense) error {
		if want := []int(t.Shape()); !slices.Equal(p.Shape, want) {
			return fmt.Errorf("models: %s: %s %s has shape %v, want %v", name, what, p.Name, p.Shape, want)
		}
		data := t.Data().([]float32)
		for j := range data {
			if _, err := io.ReadFull(in, buf); err != nil {
				return fmt.Errorf("models: %s: truncated in %s %s", name, what, p.Name)
			}
			data[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf))
		}
		return nil
	}
	for i, p := range h.Params {
		if err := read("weight", p, n.params[i]); err != nil {
			return nil, err
		}
	}
	for i, p := range h.Stats {
		if err := read("running statistics", p, n.stats[i]); err != nil {
			return nil, err
		}
	}
	sum := crc.Sum32()
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("models: %s: truncated checksum", name)
	}
	if binary.LittleEndian.Uint32(buf) != sum {
		return nil, fmt.Errorf("models: %s: checksum mismatch (corrupt file)", name)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("models: %s: trailing data after checksum", name)
	}
	return n, nil
}
