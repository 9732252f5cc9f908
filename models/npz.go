package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gorgonia.org/tensor"
)

// Weights as NumPy .npz archives with PyTorch's names, so that a network trained here can be
// loaded into PyTorch and one trained in PyTorch attacked here. The names are those of the
// state_dict of the description built as nn.Sequential (bench/torch_crosscheck.py does it),
// one module per description layer under "layers":
//
//	layers.{i}.weight, layers.{i}.bias                 conv (O,C,k,k), (O); dense (units,in), (units)
//	layers.{i}.weight, .bias, .running_mean, .running_var   batchnorm: γ, β and the running statistics
//	layers.{i}.conv1.weight, layers.{i}.bn1.weight, …  residual: conv1, bn1, conv2, bn2 and, with a
//	layers.{i}.shortcut.0.weight, layers.{i}.shortcut.1.…   projection, the 1×1 conv and its batch norm
//
// where i is the layer's index in the description. A dense weight is stored as PyTorch's
// nn.Linear holds it, (units, in), the transpose of this package's layout. Each array is a
// little-endian float32 .npy file (format version 1.0) in an uncompressed zip, as numpy.savez
// writes them; numpy.load reads the archive.

// stateEntry is one array of a net's state under its PyTorch name.
type stateEntry struct {
	name      string
	t         *tensor.Dense
	shape     []int // as exported
	transpose bool  // a dense weight: exported as (out, in)
	block     int   // of its layer; −1 for the tail
}

// state lists the net's weights and running statistics under their PyTorch names, in plan
// order.
func (n *Net) state() []stateEntry {
	var out []stateEntry
	for _, p := range n.plan {
		layer := func(j int) string { return fmt.Sprintf("layers.%d.", p.Src[j]) }
		add := func(name string, t *tensor.Dense, shape ...int) {
			out = append(out, stateEntry{name: name, t: t, shape: shape, block: p.block})
		}
		bn := func(prefix string, ps, rs []int) {
			c := n.params[ps[0]].Shape()[0]
			add(prefix+"weight", n.params[ps[0]], c)
			add(prefix+"bias", n.params[ps[1]], c)
			add(prefix+"running_mean", n.stats[rs[0]], c)
			add(prefix+"running_var", n.stats[rs[1]], c)
		}
		switch p.Kind {
		case Conv:
			add(layer(0)+"weight", n.params[p.w], n.params[p.w].Shape()...)
			add(layer(0)+"bias", n.params[p.b], p.Out)
		case Dense:
			s := n.params[p.w].Shape()
			out = append(out, stateEntry{name: layer(0) + "weight", t: n.params[p.w], shape: []int{s[1], s[0]}, transpose: true, block: p.block})
			add(layer(0)+"bias", n.params[p.b], p.Out)
		case ConvAny:
			add(layer(0)+"weight", n.params[p.ps[0]], n.params[p.ps[0]].Shape()...)
			if p.Bias {
				add(layer(0)+"bias", n.params[p.ps[1]], p.Out)
			}
		case ConvBN:
			add(layer(0)+"weight", n.params[p.ps[0]], n.params[p.ps[0]].Shape()...)
			bn(layer(1), p.ps[1:3], p.rs[0:2])
		case BatchNorm:
			bn(layer(0), p.ps[0:2], p.rs[0:2])
		case Residual:
			names := []string{"conv1.", "conv2.", "shortcut.0."}
			bns := []string{"bn1.", "bn2.", "shortcut.1."}
			for j := 0; 3*j < len(p.ps); j++ {
				add(layer(0)+names[j]+"weight", n.params[p.ps[3*j]], n.params[p.ps[3*j]].Shape()...)
				bn(layer(0)+bns[j], p.ps[3*j+1:3*j+3], p.rs[2*j:2*j+2])
			}
		}
	}
	return out
}

// inPart reports whether an entry of block b belongs to part (Whole: every one) at split s.
func inPart(part Part, b, s int) bool {
	switch part {
	case Head:
		return b >= 0 && b < s
	case Body:
		return b >= s
	case Tail:
		return b < 0
	}
	return true
}

// StateNames lists the names WriteNPZ gives the arrays of part, in order.
func (n *Net) StateNames(part Part) []string {
	var names []string
	for _, e := range n.state() {
		if inPart(part, e.block, n.Split) {
			names = append(names, e.name)
		}
	}
	return names
}

// WriteNPZ writes the weights and batch-norm running statistics of part of the net (at its
// split point) as a NumPy .npz archive with PyTorch's names (see the comment above Part). The
// bytes depend on the values alone: the archive's entries carry no time stamps.
func (n *Net) WriteNPZ(w io.Writer, part Part) error {
	zw := zip.NewWriter(w)
	for _, e := range n.state() {
		if !inPart(part, e.block, n.Split) {
			continue
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.name + ".npy", Method: zip.Store})
		if err != nil {
			return fmt.Errorf("models: npz: %w", err)
		}
		data := e.t.Data().([]float32)
		if e.transpose {
			data = transposed(data, e.shape[1], e.shape[0])
		}
		if err := writeNPY(f, e.shape, data); err != nil {
			return fmt.Errorf("models: npz: %s: %w", e.name, err)
		}
	}
	return zw.Close()
}

// transposed returns the r×c row-major matrix m as c×r.
func transposed(m []float32, r, c int) []float32 {
	t := make([]float32, len(m))
	for i := range r {
		for j := range c {
			t[j*r+i] = m[i*c+j]
		}
	}
	return t
}

// npyMagic opens every .npy file (NumPy's format description, "NEP 1").
const npyMagic = "\x93NUMPY"

// writeNPY writes one float32 array in .npy format version 1.0: the magic, the version, the
// header length, a Python dict literal padded with spaces to a multiple of 64 bytes in all
// and ended by a newline, then the values, little-endian, in C order.
func writeNPY(w io.Writer, shape []int, data []float32) error {
	dims := make([]string, len(shape))
	for i, v := range shape {
		dims[i] = strconv.Itoa(v)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple + ", }"
	total := len(npyMagic) + 2 + 2 + len(hdr) + 1
	hdr += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	buf := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	b.Write(buf)
	_, err := w.Write(b.Bytes())
	return err
}

// maxNPYHeader bounds an .npy header; NumPy's are a few hundred bytes.
const maxNPYHeader = 1 << 16

// npyShape and npyDescr match the fields of an .npy header dict.
var (
	npyDescr   = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// readNPY reads an .npy file of float32 or float64 values (little-endian, C order) of at most
// limit values, returning its shape and values as float32.
func readNPY(r io.Reader, limit int) ([]int, []float32, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil || string(pre[:6]) != npyMagic {
		return nil, nil, errors.New("not an .npy array (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var n uint16
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, nil, errors.New("truncated header")
		}
		hlen = int(n)
	case 2, 3:
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, nil, errors.New("truncated header")
		}
		hlen = int(n)
	default:
		return nil, nil, fmt.Errorf("format version %d.%d, need 1.0, 2.0 or 3.0", pre[6], pre[7])
	}
	if hlen > maxNPYHeader {
		return nil, nil, fmt.Errorf("header of %d bytes, at most %d", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, errors.New("truncated header")
	}
	d, f, s := npyDescr.FindSubmatch(hdr), npyFortran.FindSubmatch(hdr), npyShape.FindSubmatch(hdr)
	if d == nil || f == nil || s == nil {
		return nil, nil, fmt.Errorf("header %q lacks descr, fortran_order or shape", bytes.TrimSpace(hdr))
	}
	if string(f[1]) == "True" {
		return nil, nil, errors.New("in Fortran order, need C order (numpy.ascontiguousarray before saving)")
	}
	size := map[string]int{"<f4": 4, "<f8": 8}[string(d[1])]
	if size == 0 {
		return nil, nil, fmt.Errorf("values of type %s, need little-endian float32 (<f4) or float64 (<f8)", d[1])
	}
	var shape []int
	count := 1
	for _, part := range strings.Split(string(s[1]), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil || v < 0 || (v > 0 && count > limit/v) {
			return nil, nil, fmt.Errorf("shape (%s): not a shape of at most %d values", s[1], limit)
		}
		shape = append(shape, v)
		count *= v
	}
	raw := make([]byte, count*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, nil, fmt.Errorf("truncated: the header declares %d values", count)
	}
	out := make([]float32, count)
	for i := range out {
		if size == 4 {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		} else {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	}
	return shape, out, nil
}

// ReadNPZ sets the net's weights and batch-norm running statistics from a NumPy .npz archive
// with PyTorch's names (WriteNPZ's, or numpy.savez of the state_dict of the network
// bench/torch_crosscheck.py builds from the same description): float32 or float64 arrays in C
// order. Every array of the whole network must be there with its shape; an array the network
// lacks is an error, except PyTorch's num_batches_tracked counters, which are skipped. name
// names the archive in errors. Nothing is changed unless every array is read.
func (n *Net) ReadNPZ(r io.ReaderAt, size int64, name string) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("models: %s: not an .npz archive: %v", name, err)
	}
	want := map[string]stateEntry{}
	var order []string
	for _, e := range n.state() {
		want[e.name] = e
		order = append(order, e.name)
	}
	values := map[string][]float32{}
	for _, f := range zr.File {
		key, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return fmt.Errorf("models: %s: entry %q is not an .npy array", name, f.Name)
		}
		if strings.HasSuffix(key, ".num_batches_tracked") {
			continue
		}
		e, ok := want[key]
		if !ok {
			return fmt.Errorf("models: %s: %s: %s has no such weight (its arrays are %s … %s)", name, key, n.Arch.Name, order[0], order[len(order)-1])
		}
		if _, dup := values[key]; dup {
			return fmt.Errorf("models: %s: %s given twice", name, key)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("models: %s: %s: %v", name, key, err)
		}
		shape, data, err := readNPY(rc, e.t.Shape().TotalSize())
		rc.Close()
		if err != nil {
			return fmt.Errorf("models: %s: %s: %v", name, key, err)
		}
		if !slices.Equal(shape, e.shape) {
			return fmt.Errorf("models: %s: %s has shape %v, %s needs %v", name, key, shape, n.Arch.Name, e.shape)
		}
		values[key] = data
	}
	var missing []string
	for _, k := range order {
		if _, ok := values[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("models: %s: %d of %s's %d arrays missing, first %s", name, len(missing), n.Arch.Name, len(order), missing[0])
	}
	for _, k := range order {
		e, data := want[k], values[k]
		if e.transpose {
			data = transposed(data, e.shape[0], e.shape[1])
		}
		copy(e.t.Data().([]float32), data)
	}
	return nil
}
