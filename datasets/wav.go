package datasets

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Audio is one mono recording: Samples in [−1, 1) at Rate samples per second.
type Audio struct {
	Rate    int
	Samples []float32
}

// Seconds is the duration of the recording.
func (a *Audio) Seconds() float64 { return float64(len(a.Samples)) / float64(a.Rate) }

// WAV format tags (Microsoft, "Multimedia Programming Interface and Data Specifications 1.0",
// 1991, and the WAVE_FORMAT_EXTENSIBLE addendum).
const (
	wavFormatPCM        = 0x0001
	wavFormatFloat      = 0x0003
	wavFormatExtensible = 0xfffe
)

// wavPCMGUID is KSDATAFORMAT_SUBTYPE_PCM, the sub-format GUID of integer PCM in a
// WAVE_FORMAT_EXTENSIBLE fmt chunk, as stored (little-endian fields).
var wavPCMGUID = [16]byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}

// maxWAVChunk bounds a chunk other than data that ReadWAV holds in memory (fmt is 16 to 40
// bytes); larger ones are skipped unread.
const maxWAVChunk = 1 << 10

// ReadWAV reads a RIFF/WAVE file of mono integer PCM from r (8-bit unsigned, or 16-, 24- or
// 32-bit signed little-endian samples), as Speech Commands, the Free Spoken Digit Dataset and
// sox write them. name identifies r in errors, usually the file path. Samples are scaled to
// [−1, 1) by 2^(bits−1) (8-bit samples are first offset by −128).
//
// The reader is strict: each of these is an error naming the file — no RIFF/WAVE header; a
// chunk, or the RIFF chunk, that the file ends inside (truncated); data after the RIFF chunk;
// no fmt chunk before the data chunk, or two of either; a format other than PCM (IEEE float
// included, and WAVE_FORMAT_EXTENSIBLE with another sub-format); more than one channel; a sample
// size other than 8, 16, 24 or 32 bits; a block align or byte rate that disagrees with it; a
// sample rate of 0; a data chunk that is not a whole number of samples; no samples. Chunks other
// than fmt and data (LIST, fact, …) are skipped. After an odd-sized last chunk, a pad byte is
// accepted whether it is missing or present but left out of the RIFF size, as writers differ. A corrupt size field cannot force a large
// allocation: the samples buffer grows only as data arrives.
func ReadWAV(r io.Reader, name string) (*Audio, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("datasets: %s: %s", name, fmt.Sprintf(format, args...))
	}
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fail("truncated: a WAV header needs 12 bytes, file holds %d", n)
		}
		return nil, streamErr(name, "reading the WAV header", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, fail("not a WAV file: starts with %q, want \"RIFF\" and \"WAVE\"", hdr[:])
	}
	riffLeft := int64(binary.LittleEndian.Uint32(hdr[4:8])) - 4 // bytes of chunks the RIFF chunk declares
	if riffLeft < 0 {
		return nil, fail("RIFF chunk size %d, too small to hold the \"WAVE\" tag", riffLeft+4)
	}
	var (
		fmtSeen, dataSeen bool
		bits, align       int
		a                 = &Audio{}
		pos               = int64(12) // file offset, for messages
		lastOdd           bool        // the last chunk had an odd size
	)
	for riffLeft > 0 {
		var ch [8]byte
		n, err := io.ReadFull(r, ch[:])
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fail("truncated: RIFF chunk declares %d more bytes at offset %d, file holds %d", riffLeft, pos, n)
			}
			return nil, streamErr(name, "reading a chunk header", err)
		}
		id, size := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		riffLeft -= 8
		pos += 8
		if size > riffLeft {
			return nil, fail("chunk %q at offset %d declares %d bytes, beyond the %d the RIFF chunk has left", id, pos-8, size, riffLeft)
		}
		switch {
		case id == "fmt ":
			if fmtSeen {
				return nil, fail("second fmt chunk at offset %d", pos-8)
			}
			fmtSeen = true
			if size < 16 || size > maxWAVChunk {
				return nil, fail("fmt chunk of %d bytes, want 16 to %d", size, maxWAVChunk)
			}
			b, got, err := readPrefix(r, size, size)
			if err != nil {
				return nil, streamErr(name, "reading the fmt chunk", err)
			}
			if got < size {
				return nil, fail("truncated: fmt chunk declares %d bytes, file holds %d", size, got)
			}
			if bits, align, err = parseWAVFormat(b, a); err != nil {
				return nil, fail("%v", err)
			}
		case id == "data":
			if dataSeen {
				return nil, fail("second data chunk at offset %d", pos-8)
			}
			if !fmtSeen {
				return nil, fail("data chunk at offset %d before any fmt chunk", pos-8)
			}
			dataSeen = true
			if size%int64(align) != 0 {
				return nil, fail("data chunk of %d bytes, not a whole number of %d-byte samples", size, align)
			}
			if size == 0 {
				return nil, fail("no samples: the data chunk is empty")
			}
			b, got, err := readPrefix(r, size, size)
			if err != nil {
				return nil, streamErr(name, "reading samples", err)
			}
			if got < size {
				return nil, fail("truncated: data chunk declares %d bytes (%d samples), file holds %d", size, size/int64(align), got)
			}
			a.Samples = decodePCM(b, bits)
		default:
			if n, err := io.CopyN(io.Discard, r, size); err != nil {
				if err == io.EOF {
					return nil, fail("truncated: chunk %q at offset %d declares %d bytes, file holds %d", id, pos-8, size, n)
				}
				return nil, streamErr(name, "skipping a chunk", err)
			}
		}
		riffLeft -= size
		pos += size
		lastOdd = size%2 == 1
		if lastOdd && riffLeft > 0 { // RIFF pads odd chunks to an even size
			var pad [1]byte
			if _, err := io.ReadFull(r, pad[:]); err != nil {
				return nil, fail("truncated: pad byte of the chunk ending at offset %d missing", pos)
			}
			riffLeft--
			pos++
		}
	}
	if extra, err := trailing(r); err != nil {
		return nil, streamErr(name, "after the RIFF chunk", err)
	} else if extra > 0 && !(extra == 1 && lastOdd) { // a pad byte the RIFF size left out
		return nil, fail("%d bytes after the RIFF chunk, which ends at offset %d", extra, pos)
	}
	if !dataSeen {
		if !fmtSeen {
			return nil, fail("no fmt chunk and no data chunk")
		}
		return nil, fail("no data chunk")
	}
	return a, nil
}

// parseWAVFormat checks a fmt chunk and sets a.Rate; it returns the bits per sample and the
// block align (bytes per sample frame).
func parseWAVFormat(b []byte, a *Audio) (bits, align int, err error) {
	le := binary.LittleEndian
	format := le.Uint16(b[0:2])
	channels := int(le.Uint16(b[2:4]))
	rate := le.Uint32(b[4:8])
	byteRate := le.Uint32(b[8:12])
	align = int(le.Uint16(b[12:14]))
	bits = int(le.Uint16(b[14:16]))
	switch format {
	case wavFormatPCM:
	case wavFormatExtensible:
		if len(b) < 40 {
			return 0, 0, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, want 40", len(b))
		}
		if !bytes.Equal(b[24:40], wavPCMGUID[:]) {
			return 0, 0, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE with sub-format %x, want integer PCM", b[24:40])
		}
	case wavFormatFloat:
		return 0, 0, fmt.Errorf("format 3 (IEEE float), want integer PCM (1); convert with sox in.wav -b 16 -e signed-integer out.wav")
	default:
		return 0, 0, fmt.Errorf("format 0x%04x, want integer PCM (1)", format)
	}
	if channels != 1 {
		return 0, 0, fmt.Errorf("%d channels, want mono (1); convert with sox in.wav -c 1 out.wav", channels)
	}
	if bits != 8 && bits != 16 && bits != 24 && bits != 32 {
		return 0, 0, fmt.Errorf("%d bits per sample, want 8, 16, 24 or 32", bits)
	}
	if align != bits/8 {
		return 0, 0, fmt.Errorf("block align %d bytes, want %d for mono %d-bit samples", align, bits/8, bits)
	}
	if rate == 0 || rate > 1<<20 {
		return 0, 0, fmt.Errorf("sample rate %d Hz, want 1 to %d", rate, 1<<20)
	}
	if byteRate != rate*uint32(align) {
		return 0, 0, fmt.Errorf("byte rate %d, want %d (sample rate %d × %d bytes)", byteRate, rate*uint32(align), rate, align)
	}
	a.Rate = int(rate)
	return bits, align, nil
}

// decodePCM converts little-endian mono PCM samples to float32 in [−1, 1).
func decodePCM(b []byte, bits int) []float32 {
	n := len(b) / (bits / 8)
	out := make([]float32, n)
	switch bits {
	case 8: // unsigned, 128 is zero
		for i := range out {
			out[i] = float32(int(b[i])-128) / 128
		}
	case 16:
		for i := range out {
			out[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) / (1 << 15)
		}
	case 24:
		for i := range out {
			v := int32(uint32(b[3*i])<<8|uint32(b[3*i+1])<<16|uint32(b[3*i+2])<<24) >> 8
			out[i] = float32(float64(v) / (1 << 23))
		}
	case 32:
		for i := range out {
			out[i] = float32(float64(int32(binary.LittleEndian.Uint32(b[4*i:]))) / (1 << 31))
		}
	}
	return out
}

// ReadWAVFile reads the WAV file at path (see ReadWAV); errors name the path.
func ReadWAVFile(path string) (*Audio, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	return ReadWAV(bufio.NewReaderSize(f, 64<<10), path)
}
