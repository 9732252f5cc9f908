package datasets

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// gzipMagic is the first two bytes of every gzip stream (RFC 1952 §2.3.1, ID1 ID2).
var gzipMagic = [2]byte{0x1f, 0x8b}

// bufSize is the read buffer of Open; 256 KiB keeps per-call overhead negligible for files of
// tens of megabytes.
const bufSize = 256 << 10

// Open opens the file at path for reading. If the file starts with the gzip magic bytes 0x1f 0x8b
// it is decompressed transparently, whatever its name; otherwise it is read as is. Errors start
// with "datasets: " and name the path. Closing the result closes the file.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("datasets: %s: no such file: %w", path, err)
		}
		return nil, fmt.Errorf("datasets: %w", err)
	}
	br := bufio.NewReaderSize(f, bufSize)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("datasets: %s: %w", path, err)
	}
	if len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("datasets: %s: bad gzip header: %w", path, err)
		}
		return &gzipFile{zr: zr, f: f}, nil
	}
	return &rawFile{r: br, f: f}, nil
}

// rawFile is an uncompressed file read through a buffer.
type rawFile struct {
	r *bufio.Reader
	f *os.File
}

func (r *rawFile) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r *rawFile) Close() error               { return r.f.Close() }

// gzipFile is a gzip-compressed file, decompressed on the fly.
type gzipFile struct {
	zr *gzip.Reader
	f  *os.File
}

func (g *gzipFile) Read(p []byte) (int, error) { return g.zr.Read(p) }

func (g *gzipFile) Close() error {
	err := g.zr.Close()
	if ferr := g.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// readPrefix reads want bytes from r, keeping the first keep of them (keep ≤ want) and discarding
// the rest. The buffer grows only as data actually arrives, so a corrupt size in a header cannot
// force a large allocation. It returns the kept bytes and the number of bytes read in all; got <
// want means the input ended early (err is then nil). Other read errors are returned as is.
func readPrefix(r io.Reader, want, keep int64) (kept []byte, got int64, err error) {
	const minChunk = 64 << 10
	buf := make([]byte, 0, min(keep, minChunk))
	for int64(len(buf)) < keep {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(keep, max(2*int64(cap(buf)), minChunk)))
			copy(nb, buf)
			buf = nb
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr != nil {
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				return buf, int64(len(buf)), nil
			}
			return buf, int64(len(buf)), rerr
		}
	}
	got = int64(len(buf))
	if want > keep {
		n, cerr := io.CopyN(io.Discard, r, want-keep)
		got += n
		if cerr != nil && cerr != io.EOF && cerr != io.ErrUnexpectedEOF {
			return buf, got, cerr
		}
	}
	return buf, got, nil
}

// trailing counts the bytes left in r. A read error (a gzip stream cut short included) is returned
// as is.
func trailing(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }

// streamErr wraps a read error met at the given stage. A decompressor reports a stream cut short as
// io.ErrUnexpectedEOF even where the decompressed data happens to be complete (say, inside the
// gzip trailer), so that error is called a truncation.
func streamErr(name, stage string, err error) error {
	if err == io.ErrUnexpectedEOF {
		return fmt.Errorf("datasets: %s: truncated: compressed stream ends early (%s): %w", name, stage, err)
	}
	return fmt.Errorf("datasets: %s: %s: %w", name, stage, err)
}
