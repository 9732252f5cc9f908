package models

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// Part is one of the three parts a split network is cut into: the edge head (blocks
// [0,Split)), the cloud body (blocks [Split,len(Blocks))) and the edge tail (the classifier).
// A deployment gives each side only its parts: the cloud the body file, the edge the head and
// tail files (SavePart, LoadPart).
type Part int

// The parts of a split network, in the order an input passes through them, and Whole, the
// whole network where a part may be named (WriteNPZ).
const (
	Head Part = iota
	Body
	Tail
	Whole Part = -1
)

// Parts lists the three parts in order.
var Parts = []Part{Head, Body, Tail}

var partNames = [...]string{"head", "body", "tail"}

// String is the part's name: head, body or tail.
func (p Part) String() string {
	if p == Whole {
		return "all"
	}
	if p < 0 || int(p) >= len(partNames) {
		return fmt.Sprintf("Part(%d)", int(p))
	}
	return partNames[p]
}

// ParsePart reads a part's name.
func ParsePart(s string) (Part, error) {
	for i, n := range partNames {
		if n == s {
			return Part(i), nil
		}
	}
	return 0, fmt.Errorf("models: part %q, want head, body or tail", s)
}

// partOf is the part that layer p of a net split at split belongs to.
func partOf(p layerPlan, split int) Part {
	switch {
	case p.block < 0:
		return Tail
	case p.block < split:
		return Head
	}
	return Body
}

// partTensors lists the indices in n.params and n.stats of part's weights and running
// statistics, in the order of the whole network's.
func (n *Net) partTensors(part Part) (params, stats []int) {
	for _, p := range n.plan {
		if partOf(p, n.Split) != part {
			continue
		}
		if p.w >= 0 {
			params = append(params, p.w)
		}
		if p.b >= 0 {
			params = append(params, p.b)
		}
		params = append(params, p.ps...)
		stats = append(stats, p.rs...)
	}
	slices.Sort(params)
	slices.Sort(stats)
	return params, stats
}

// Fingerprint identifies the network's weights: the first 16 hex digits of the SHA-256 of its
// architecture, classes, split, weights and running statistics. The three part files of one
// network carry it, so that an edge and a cloud can check that they serve the same network.
func (n *Net) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%d\n", n.Arch.Name, n.Classes, n.Split)
	buf := make([]byte, 4)
	for _, p := range append(n.params[:len(n.params):len(n.params)], n.stats...) {
		for _, v := range p.Data().([]float32) {
			binary.LittleEndian.PutUint32(buf, math.Float32bits(v))
			h.Write(buf)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// PartInfo is what a part file says about itself besides its weights.
type PartInfo struct {
	Part Part
	// Fingerprint is the whole network's (Net.Fingerprint), the same in its three part files.
	Fingerprint string
}

// SavePart writes one part of the net: the checkpoint format of Save, whose header names the
// part ("part": "body") and the whole network's fingerprint ("net"), holding only that part's
// weights and running statistics. A head at split 0 has none: its file is a header and an
// empty checksum. Load refuses a part file; LoadPart reads it.
func (n *Net) SavePart(w io.Writer, part Part) error {
	if part < Head || part > Tail {
		panic(fmt.Sprintf("models: %v is not a part", part))
	}
	params, stats := n.partTensors(part)
	h := n.header()
	h.Part, h.Net = part.String(), n.Fingerprint()
	var tensors []*tensor.Dense
	for _, i := range params {
		h.Params = append(h.Params, ckptParam{Name: n.names[i], Shape: []int(n.params[i].Shape())})
		tensors = append(tensors, n.params[i])
	}
	for _, i := range stats {
		h.Stats = append(h.Stats, ckptParam{Name: n.statsNames[i], Shape: []int(n.stats[i].Shape())})
		tensors = append(tensors, n.stats[i])
	}
	return writeCheckpoint(w, h, tensors)
}

// writeCheckpoint writes the magic line, the header and the tensors' values with their
// checksum (the layout Save documents).
func writeCheckpoint(w io.Writer, h ckptHeader, tensors []*tensor.Dense) error {
	bw := bufio.NewWriter(w)
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bw.WriteString(checkpointMagic)
	bw.Write(hdr)
	bw.WriteByte('\n')
	crc := crc32.NewIEEE()
	out := io.MultiWriter(bw, crc)
	buf := make([]byte, 4)
	for _, t := range tensors {
		for _, v := range t.Data().([]float32) {
			binary.LittleEndian.PutUint32(buf, math.Float32bits(v))
			out.Write(buf)
		}
	}
	binary.LittleEndian.PutUint32(buf, crc.Sum32())
	bw.Write(buf)
	return bw.Flush()
}

// LoadPart reads a part file written by SavePart into n, or into a new network with zero
// weights when n is nil, and returns the network and what the file is. Only that part's
// weights are read: a network loaded from its body file alone holds no head or tail weights
// (they are zero), and must be run only through the body (NewPartInferer). Into a non-nil n,
// the file must be of n's architecture, classes and split; filling one network from the
// head and the tail files of one network, the caller checks that their fingerprints agree.
// name is used in error messages (e.g. the path).
func LoadPart(r io.Reader, name string, n *Net) (*Net, PartInfo, error) {
	br := bufio.NewReader(r)
	h, err := readHeader(br, name)
	if err != nil {
		return nil, PartInfo{}, err
	}
	if h.Part == "" {
		return nil, PartInfo{}, fmt.Errorf("models: %s: a whole-network checkpoint, not a part file; load it with Load", name)
	}
	part, err := ParsePart(h.Part)
	if err != nil {
		return nil, PartInfo{}, fmt.Errorf("models: %s: bad header: %w", name, err)
	}
	if n == nil {
		if n, err = allocFromHeader(h, name); err != nil {
			return nil, PartInfo{}, err
		}
	} else if n.Arch.Name != h.Arch || n.Classes != h.Classes || n.Split != h.Split {
		return nil, PartInfo{}, fmt.Errorf("models: %s: the %s of %s (%d classes, split %d), not of %s (%d classes, split %d)",
			name, part, h.Arch, h.Classes, h.Split, n.Arch.Name, n.Classes, n.Split)
	}
	params, stats := n.partTensors(part)
	if len(h.Params) != len(params) {
		return nil, PartInfo{}, fmt.Errorf("models: %s: %d weight tensors, the %s of %s at split %d has %d", name, len(h.Params), part, h.Arch, h.Split, len(params))
	}
	if len(h.Stats) != len(stats) {
		return nil, PartInfo{}, fmt.Errorf("models: %s: %d running-statistics tensors, the %s of %s at split %d has %d", name, len(h.Stats), part, h.Arch, h.Split, len(stats))
	}
	var into []*tensor.Dense
	for _, i := range params {
		into = append(into, n.params[i])
	}
	for _, i := range stats {
		into = append(into, n.stats[i])
	}
	if err := readTensors(br, name, h, into); err != nil {
		return nil, PartInfo{}, err
	}
	return n, PartInfo{Part: part, Fingerprint: h.Net}, nil
}

// readHeader reads the magic line and the JSON header of a checkpoint.
func readHeader(br *bufio.Reader, name string) (ckptHeader, error) {
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != checkpointMagic {
		return ckptHeader{}, fmt.Errorf("models: %s: not a DataMix checkpoint (bad magic)", name)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return ckptHeader{}, fmt.Errorf("models: %s: truncated header", name)
	}
	var h ckptHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return ckptHeader{}, fmt.Errorf("models: %s: bad header: %v", name, err)
	}
	return h, nil
}

// allocFromHeader allocates the zero network a header describes.
func allocFromHeader(h ckptHeader, name string) (*Net, error) {
	arch, err := checkpointArch(h)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", name, err)
	}
	if h.Classes > maxCheckpointClasses { // the weights are allocated before they are read
		return nil, fmt.Errorf("models: %s: bad header: %d classes, a checkpoint may have at most %d", name, h.Classes, maxCheckpointClasses)
	}
	n, err := alloc(arch, h.Classes, h.Split)
	if err != nil {
		return nil, fmt.Errorf("models: %s: bad header: %w", name, err)
	}
	return n, nil
}

// readTensors reads the values of the tensors the header lists (weights, then running
// statistics) into into, in order, checks the checksum and that nothing follows it.
func readTensors(br *bufio.Reader, name string, h ckptHeader, into []*tensor.Dense) error {
	crc := crc32.NewIEEE()
	in := io.TeeReader(br, crc)
	buf := make([]byte, 4)
	listed := append(h.Params[:len(h.Params):len(h.Params)], h.Stats...)
	for i, p := range listed {
		what := "weight"
		if i >= len(h.Params) {
			what = "running statistics"
		}
		t := into[i]
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
	}
	sum := crc.Sum32()
	if _, err := io.ReadFull(br, buf); err != nil {
		return fmt.Errorf("models: %s: truncated checksum", name)
	}
	if binary.LittleEndian.Uint32(buf) != sum {
		return fmt.Errorf("models: %s: checksum mismatch (corrupt file)", name)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("models: %s: trailing data after checksum", name)
	}
	return nil
}
