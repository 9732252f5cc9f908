package wire

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
	"sync"
)

// captureMagic opens every capture file; the version changes with the layout.
const captureMagic = "DATAMIX-CAPTURE v1\n"

// CaptureHeader is the JSON line after a capture file's magic line: what the cloud served.
type CaptureHeader struct {
	Model      string `json:"model"`
	Arch       string `json:"arch"`
	Split      int    `json:"split"`
	InputShape []int  `json:"input_shape"`
	OutputDim  int    `json:"output_dim"`
}

// inputDim is the number of values of one recorded row.
func (h CaptureHeader) inputDim() int { return ModelInfo{InputShape: h.InputShape}.InputDim() }

// CaptureRecord is one request as the cloud received and answered it.
type CaptureRecord struct {
	// Conn numbers the connection it came on, in the order the cloud accepted them.
	Conn uint64
	// Client, Pool, Offset and PoolRows are the request's own fields: the edge's session
	// number, the pool's number in that session, the rows' offset in the pool and its size.
	Client, Pool     uint64
	Offset, PoolRows uint32
	// Rows is the number of rows; Uploads holds them as the body received them (PNG rows
	// decoded), Rows × the input dimension, and Returns the answers, Rows × OutputDim.
	Rows             int
	Uploads, Returns []float32
}

// recordFixed is the size of a record's fixed fields: conn, client, pool (8 bytes each),
// offset, pool rows, rows (4 bytes each).
const recordFixed = 3*8 + 3*4

// maxCaptureRows bounds a record's declared row count before its values are allocated (a
// request carries at most a server's MaxBatch rows).
const maxCaptureRows = 1 << 16

// CaptureWriter writes a capture file: exactly what a cloud received and what it answered,
// request by request, in the order the body ran them. The format (version 1):
//
//	DATAMIX-CAPTURE v1\n
//	{JSON CaptureHeader}\n
//	then per request, little-endian:
//	  conn, client, pool uint64; offset, pool_rows, rows uint32;
//	  rows × input_dim float32 (the uploads), rows × output_dim float32 (the answers);
//	  CRC-32 (IEEE) of the record's bytes before it, uint32.
//
// It is safe for concurrent use.
type CaptureWriter struct {
	mu     sync.Mutex
	w      *bufio.Writer
	c      io.Closer
	header CaptureHeader
	err    error
}

// NewCaptureWriter writes the magic line and the header to w and returns the writer of the
// records. Close flushes and closes w when it is an io.Closer.
func NewCaptureWriter(w io.Writer, h CaptureHeader) (*CaptureWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	bw.WriteString(captureMagic)
	bw.Write(hdr)
	bw.WriteByte('\n')
	cw := &CaptureWriter{w: bw, header: h}
	if c, ok := w.(io.Closer); ok {
		cw.c = c
	}
	return cw, bw.Flush()
}

// Write appends one record.
func (cw *CaptureWriter) Write(r *CaptureRecord) error {
	in, out := cw.header.inputDim(), cw.header.OutputDim
	if len(r.Uploads) != r.Rows*in || len(r.Returns) != r.Rows*out {
		panic(fmt.Sprintf("wire: capture record of %d rows with %d and %d values, want %d and %d", r.Rows, len(r.Uploads), len(r.Returns), r.Rows*in, r.Rows*out))
	}
	b := make([]byte, recordFixed, recordFixed+4*(len(r.Uploads)+len(r.Returns))+4)
	binary.LittleEndian.PutUint64(b[0:], r.Conn)
	binary.LittleEndian.PutUint64(b[8:], r.Client)
	binary.LittleEndian.PutUint64(b[16:], r.Pool)
	binary.LittleEndian.PutUint32(b[24:], r.Offset)
	binary.LittleEndian.PutUint32(b[28:], r.PoolRows)
	binary.LittleEndian.PutUint32(b[32:], uint32(r.Rows))
	for _, v := range [][]float32{r.Uploads, r.Returns} {
		for _, x := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.err != nil {
		return cw.err
	}
	if _, err := cw.w.Write(b); err != nil {
		cw.err = fmt.Errorf("wire: capture: %w", err)
	}
	return cw.err
}

// Flush writes the buffered records out.
func (cw *CaptureWriter) Flush() error {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.err == nil {
		if err := cw.w.Flush(); err != nil {
			cw.err = fmt.Errorf("wire: capture: %w", err)
		}
	}
	return cw.err
}

// Close flushes the records and closes the underlying writer if it is a Closer.
func (cw *CaptureWriter) Close() error {
	err := cw.Flush()
	if cw.c != nil {
		if cerr := cw.c.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("wire: capture: %w", cerr)
		}
	}
	return err
}

// ReadCapture reads a capture file written by CaptureWriter. name is used in error messages
// (e.g. the path). A file cut short — a cloud killed while writing — is an error naming the
// record where it ends.
func ReadCapture(r io.Reader, name string) (CaptureHeader, []CaptureRecord, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic := make([]byte, len(captureMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != captureMagic {
		return CaptureHeader{}, nil, fmt.Errorf("wire: %s: not a DataMix capture (bad magic)", name)
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return CaptureHeader{}, nil, fmt.Errorf("wire: %s: truncated header", name)
	}
	var h CaptureHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return CaptureHeader{}, nil, fmt.Errorf("wire: %s: bad header: %v", name, err)
	}
	in, out := h.inputDim(), h.OutputDim
	if len(h.InputShape) == 0 || in < 1 || out < 1 || in > 1<<24 || out > 1<<24 {
		return CaptureHeader{}, nil, fmt.Errorf("wire: %s: bad header: input shape %v, output %d", name, h.InputShape, out)
	}
	var recs []CaptureRecord
	for i := 0; ; i++ {
		fixed := make([]byte, recordFixed)
		if _, err := io.ReadFull(br, fixed); errors.Is(err, io.EOF) {
			return h, recs, nil
		} else if err != nil {
			return h, nil, fmt.Errorf("wire: %s: truncated in record %d", name, i)
		}
		rec := CaptureRecord{
			Conn: binary.LittleEndian.Uint64(fixed[0:]), Client: binary.LittleEndian.Uint64(fixed[8:]),
			Pool: binary.LittleEndian.Uint64(fixed[16:]), Offset: binary.LittleEndian.Uint32(fixed[24:]),
			PoolRows: binary.LittleEndian.Uint32(fixed[28:]), Rows: int(binary.LittleEndian.Uint32(fixed[32:])),
		}
		if rec.Rows < 1 || rec.Rows > maxCaptureRows {
			return h, nil, fmt.Errorf("wire: %s: record %d has %d rows, need 1 … %d", name, i, rec.Rows, maxCaptureRows)
		}
		body := make([]byte, 4*rec.Rows*(in+out)+4)
		if _, err := io.ReadFull(br, body); err != nil {
			return h, nil, fmt.Errorf("wire: %s: truncated in record %d", name, i)
		}
		crc := crc32.NewIEEE()
		crc.Write(fixed)
		crc.Write(body[:len(body)-4])
		if crc.Sum32() != binary.LittleEndian.Uint32(body[len(body)-4:]) {
			return h, nil, fmt.Errorf("wire: %s: record %d: checksum mismatch (corrupt file)", name, i)
		}
		rec.Uploads = make([]float32, rec.Rows*in)
		rec.Returns = make([]float32, rec.Rows*out)
		decodeFloats(rec.Uploads, body)
		decodeFloats(rec.Returns, body[4*len(rec.Uploads):])
		recs = append(recs, rec)
	}
}

// View is the cloud's view of a capture, pool by pool: what datamix.Observed holds.
type View struct {
	// N is the number of rows, Pool the rows per pool (the edges' shuffling pool).
	N, Pool int
	// Uploads and Returns hold the rows, N × the input dimension and N × OutputDim, pool
	// after pool, each pool's rows in the order of their offsets: the order the edge
	// uploaded them in.
	Uploads, Returns []float32
	// Dropped counts the pools left out because some of their rows never reached the body
	// (a request that failed, or a client that left).
	Dropped int
}

// Pools assembles the records of a capture into whole pools: the rows of each (client, pool)
// in the order the pools first reached the body, each pool's rows by offset. A row recorded
// twice (a request retried after its answer was lost) counts once. Pools of different sizes
// are an error; incomplete pools are left out and counted.
func Pools(h CaptureHeader, recs []CaptureRecord) (View, error) {
	type key struct{ client, pool uint64 }
	in, out := h.inputDim(), h.OutputDim
	var order []key
	pools := map[key][]*CaptureRecord{}
	for i := range recs {
		r := &recs[i]
		k := key{r.Client, r.Pool}
		if _, ok := pools[k]; !ok {
			order = append(order, k)
		}
		pools[k] = append(pools[k], r)
	}
	var v View
	for _, k := range order {
		rs := pools[k]
		size := int(rs[0].PoolRows)
		if size == 0 {
			return View{}, fmt.Errorf("wire: capture: client %d pool %d has no pool size", k.client, k.pool)
		}
		if v.Pool == 0 {
			v.Pool = size
		} else if size != v.Pool {
			return View{}, fmt.Errorf("wire: capture: pools of %d and %d rows; a view holds pools of one size", v.Pool, size)
		}
		up := make([]float32, size*in)
		ret := make([]float32, size*out)
		have := make([]bool, size)
		for _, r := range rs {
			if int(r.PoolRows) != size || int(r.Offset)+r.Rows > size {
				return View{}, fmt.Errorf("wire: capture: client %d pool %d: rows %d at offset %d of a pool of %d", k.client, k.pool, r.Rows, r.Offset, r.PoolRows)
			}
			copy(up[int(r.Offset)*in:], r.Uploads)
			copy(ret[int(r.Offset)*out:], r.Returns)
			for j := range r.Rows {
				have[int(r.Offset)+j] = true
			}
		}
		if slices.Contains(have, false) {
			v.Dropped++
			continue
		}
		v.Uploads = append(v.Uploads, up...)
		v.Returns = append(v.Returns, ret...)
		v.N += size
	}
	return v, nil
}
