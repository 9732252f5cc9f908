package experiments

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/datamix"
)

// secretsMagic opens every secrets file; the version changes with the layout.
const secretsMagic = "DATAMIX-SECRETS v1\n"

// SecretsHeader is the JSON line of a secrets file: what the recorded inputs were and the
// shapes of the secrets that follow.
type SecretsHeader struct {
	// Note says what the file is for; WriteSecrets sets it.
	Note string `json:"note"`
	// Dataset names the data, and First the index in its test split of the first input:
	// input i of the file is test image First + i.
	Dataset string `json:"dataset"`
	First   int    `json:"first"`
	// N is the number of inputs, Pool the inputs per exchange, K the group size and
	// UploadDim the values of one feature row.
	N, Pool, K, UploadDim int
	// Mixed says whether C's follow (one K×K matrix per group); Shuffled whether the upload
	// positions are a permutation within each pool rather than the identity.
	Mixed, Shuffled bool
}

// secretsNote is the note every secrets file carries.
const secretsNote = "the edge's secrets, for evaluating attacks only: whoever holds this file can undo the mixing of every recorded input"

// maxSecretsValues bounds what a secrets header may ask to allocate (2^28 values, 1 GiB).
const maxSecretsValues = 1 << 28

// WriteSecrets writes an edge's recorded secrets (datamix.Record's Secrets) to w, for
// scoring attacks on the cloud's capture of the same exchange (runexp edge -record, runexp
// attack -secrets). The format (version 1):
//
//	DATAMIX-SECRETS v1\n
//	{JSON SecretsHeader}\n
//	N × UploadDim float32 (each input's head output before any defence, in input order),
//	N uint32 (the upload position of each input's mixture within the recording),
//	when Mixed: N/K matrices of K × K float64 (each group's C, row-major),
//	CRC-32 (IEEE) of everything after the header, uint32; all little-endian.
//
// A deployment must never write one: it exists only so that an experiment can score what an
// attacker reconstructs.
func WriteSecrets(w io.Writer, h SecretsHeader, s *datamix.Secrets) error {
	h.Note = secretsNote
	if len(s.Features) != h.N*h.UploadDim || len(s.Pos) != h.N || (h.Mixed && len(s.C)*h.K != h.N) {
		panic(fmt.Sprintf("experiments: secrets of %d features, %d positions and %d matrices for %d inputs of %d values, k %d",
			len(s.Features), len(s.Pos), len(s.C), h.N, h.UploadDim, h.K))
	}
	bw := bufio.NewWriter(w)
	hdr, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bw.WriteString(secretsMagic)
	bw.Write(hdr)
	bw.WriteByte('\n')
	crc := crc32.NewIEEE()
	out := io.MultiWriter(bw, crc)
	b := make([]byte, 0, 8)
	for _, v := range s.Features {
		out.Write(binary.LittleEndian.AppendUint32(b[:0], math.Float32bits(v)))
	}
	for _, p := range s.Pos {
		out.Write(binary.LittleEndian.AppendUint32(b[:0], uint32(p)))
	}
	if h.Mixed {
		for _, c := range s.C {
			for _, v := range c.RawMatrix().Data {
				out.Write(binary.LittleEndian.AppendUint64(b[:0], math.Float64bits(v)))
			}
		}
	}
	bw.Write(binary.LittleEndian.AppendUint32(b[:0], crc.Sum32()))
	return bw.Flush()
}

// ReadSecrets reads a secrets file written by WriteSecrets. name is used in error messages.
func ReadSecrets(r io.Reader, name string) (SecretsHeader, *datamix.Secrets, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, len(secretsMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != secretsMagic {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: not a DataMix secrets file (bad magic)", name)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: truncated header", name)
	}
	var h SecretsHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: bad header: %v", name, err)
	}
	if h.N < 1 || h.UploadDim < 1 || h.K < 1 || h.Pool < 1 || h.N%h.K != 0 || h.N%h.Pool != 0 || h.First < 0 ||
		int64(h.N)*int64(h.UploadDim) > maxSecretsValues || h.K > 1024 {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: bad header: %d inputs of %d values in pools of %d, k %d, first %d", name, h.N, h.UploadDim, h.Pool, h.K, h.First)
	}
	crc := crc32.NewIEEE()
	in := io.TeeReader(br, crc)
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(in, b); err != nil {
			return nil, fmt.Errorf("experiments: %s: truncated", name)
		}
		return b, nil
	}
	s := &datamix.Secrets{Features: make([]float32, h.N*h.UploadDim), Pos: make([]int, h.N)}
	b, err := read(4 * len(s.Features))
	if err != nil {
		return SecretsHeader{}, nil, err
	}
	for i := range s.Features {
		s.Features[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	if b, err = read(4 * h.N); err != nil {
		return SecretsHeader{}, nil, err
	}
	for i := range s.Pos {
		s.Pos[i] = int(binary.LittleEndian.Uint32(b[4*i:]))
		if s.Pos[i] >= h.N {
			return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: input %d uploaded at %d of %d", name, i, s.Pos[i], h.N)
		}
	}
	if h.Mixed {
		kk := h.K * h.K
		if b, err = read(8 * kk * (h.N / h.K)); err != nil {
			return SecretsHeader{}, nil, err
		}
		for g := range h.N / h.K {
			data := make([]float64, kk)
			for j := range data {
				data[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*(g*kk+j):]))
			}
			s.C = append(s.C, mat.NewDense(h.K, h.K, data))
		}
	}
	sum := crc.Sum32()
	tail := make([]byte, 4)
	if _, err := io.ReadFull(br, tail); err != nil {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: truncated checksum", name)
	}
	if binary.LittleEndian.Uint32(tail) != sum {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: checksum mismatch (corrupt file)", name)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return SecretsHeader{}, nil, fmt.Errorf("experiments: %s: trailing data after checksum", name)
	}
	return h, s, nil
}
