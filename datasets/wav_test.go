package datasets

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/internal/speechtest"
)

// TestReadWAVRoundTrip writes a ramp at every sample size and reads it back: within half a
// quantisation step of the value written (rounding), with the rate and length kept.
func TestReadWAVRoundTrip(t *testing.T) {
	in := make([]float64, 101)
	for i := range in {
		in[i] = -1 + 1.98*float64(i)/100 // −1 … 0.98
	}
	for _, bits := range []int{8, 16, 24, 32} {
		b := speechtest.RIFF(speechtest.FmtChunk(speechtest.PCMFormat(11025, bits)), speechtest.Chunk{ID: "data", Data: speechtest.PCM(in, bits)})
		a, err := ReadWAV(bytes.NewReader(b), "ramp.wav")
		if err != nil {
			t.Fatalf("%d bits: %v", bits, err)
		}
		if a.Rate != 11025 || len(a.Samples) != len(in) {
			t.Fatalf("%d bits: rate %d, %d samples, want 11025 and %d", bits, a.Rate, len(a.Samples), len(in))
		}
		step := math.Ldexp(1, 1-bits)
		for i, v := range a.Samples {
			// Half a step of rounding, plus float32's relative 2⁻²⁴ for 24 and 32 bits.
			if d := math.Abs(float64(v) - in[i]); d > step/2+1e-7 {
				t.Fatalf("%d bits: sample %d = %v, wrote %v (step %g)", bits, i, v, in[i], step)
			}
			if v < -1 || v >= 1 {
				t.Fatalf("%d bits: sample %d = %v outside [−1, 1)", bits, i, v)
			}
		}
	}
}

// TestReadWAVAccepts: the variants real writers produce — WAVE_FORMAT_EXTENSIBLE with integer
// PCM, extra chunks before and after the data, an odd data chunk with and without its pad byte.
func TestReadWAVAccepts(t *testing.T) {
	pcm := speechtest.PCMFormat(8000, 16)
	data := speechtest.Chunk{ID: "data", Data: speechtest.PCM([]float64{0, 0.5, -0.5}, 16)}
	ext := pcm
	ext.Tag = 0xfffe
	ext.Extra = append([]byte{22, 0, 16, 0, 4, 0, 0, 0}, wavPCMGUID[:]...)
	list := speechtest.Chunk{ID: "LIST", Data: []byte("INFOISFT\x05\x00\x00\x00Lavf\x00\x00")}
	odd8 := speechtest.PCMFormat(8000, 8)
	oddData := speechtest.Chunk{ID: "data", Data: []byte{128, 255, 0}}
	noPad := speechtest.RIFF(speechtest.FmtChunk(odd8), oddData)
	noPad = noPad[:len(noPad)-1] // the pad byte and its count in the RIFF size left out
	binary.LittleEndian.PutUint32(noPad[4:], uint32(len(noPad)-8))
	padUncounted := append(bytes.Clone(noPad), 0) // pad byte present, RIFF size without it
	for _, c := range []struct {
		name string
		b    []byte
		n    int
	}{
		{"plain", speechtest.RIFF(speechtest.FmtChunk(pcm), data), 3},
		{"extensible", speechtest.RIFF(speechtest.FmtChunk(ext), data), 3},
		{"extra chunks", speechtest.RIFF(list, speechtest.FmtChunk(pcm), speechtest.Chunk{ID: "fact", Data: []byte{3, 0, 0, 0}}, data, list), 3},
		{"odd data, padded", speechtest.RIFF(speechtest.FmtChunk(odd8), oddData), 3},
		{"odd data, no pad byte", noPad, 3},
		{"odd data, pad byte not counted", padUncounted, 3},
	} {
		a, err := ReadWAV(bytes.NewReader(c.b), c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(a.Samples) != c.n {
			t.Errorf("%s: %d samples, want %d", c.name, len(a.Samples), c.n)
		}
	}
}

// TestReadWAVErrors: every malformed file is one error naming it and what is wrong.
func TestReadWAVErrors(t *testing.T) {
	pcm := speechtest.PCMFormat(8000, 16)
	fmtc := speechtest.FmtChunk(pcm)
	data := speechtest.Chunk{ID: "data", Data: speechtest.PCM([]float64{0, 0.5, -0.5, 0.25}, 16)}
	good := speechtest.RIFF(fmtc, data)
	with := func(edit func(*speechtest.Format)) speechtest.Chunk {
		f := pcm
		edit(&f)
		return speechtest.FmtChunk(f)
	}
	bigRIFF := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bigRIFF[4:], uint32(len(good)-8+100))
	bigData := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bigData[len(good)-len(data.Data)-4:], 1000)
	for _, c := range []struct {
		name, want string
		b          []byte
	}{
		{"empty", "truncated: a WAV header needs 12 bytes, file holds 0", nil},
		{"not riff", `not a WAV file: starts with "ID3`, append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00\x00\x00"), good...)},
		{"truncated data", "truncated: data chunk declares 8 bytes (4 samples), file holds 5", good[:len(good)-3]},
		{"riff longer than file", "truncated: RIFF chunk declares 100 more bytes", bigRIFF},
		{"chunk beyond riff", `chunk "data" at offset 36 declares 1000 bytes, beyond the 8`, bigData},
		{"trailing", "2 bytes after the RIFF chunk", append(bytes.Clone(good), 1, 2)},
		{"stereo", "2 channels, want mono", speechtest.RIFF(with(func(f *speechtest.Format) { f.Channels = 2; f.BlockAlign = 4; f.ByteRate = 32000 }), data)},
		{"float", "format 3 (IEEE float), want integer PCM", speechtest.RIFF(with(func(f *speechtest.Format) { f.Tag = 3; f.Bits = 32; f.BlockAlign = 4 }), data)},
		{"a-law", "format 0x0006, want integer PCM", speechtest.RIFF(with(func(f *speechtest.Format) { f.Tag = 6 }), data)},
		{"extensible float", "WAVE_FORMAT_EXTENSIBLE with sub-format 03000000", speechtest.RIFF(with(func(f *speechtest.Format) {
			f.Tag = 0xfffe
			f.Extra = append([]byte{22, 0, 16, 0, 4, 0, 0, 0, 3}, wavPCMGUID[1:]...)
		}), data)},
		{"12 bits", "12 bits per sample, want 8, 16, 24 or 32", speechtest.RIFF(with(func(f *speechtest.Format) { f.Bits = 12 }), data)},
		{"block align", "block align 4 bytes, want 2 for mono 16-bit samples", speechtest.RIFF(with(func(f *speechtest.Format) { f.BlockAlign = 4 }), data)},
		{"byte rate", "byte rate 8000, want 16000", speechtest.RIFF(with(func(f *speechtest.Format) { f.ByteRate = 8000 }), data)},
		{"rate 0", "sample rate 0 Hz", speechtest.RIFF(with(func(f *speechtest.Format) { f.Rate = 0; f.ByteRate = 0 }), data)},
		{"short fmt", "fmt chunk of 14 bytes, want 16 to 1024", speechtest.RIFF(speechtest.Chunk{ID: "fmt ", Data: fmtc.Data[:14]}, data)},
		{"no fmt", "data chunk at offset 12 before any fmt chunk", speechtest.RIFF(data)},
		{"no data", "no data chunk", speechtest.RIFF(fmtc)},
		{"nothing", "no fmt chunk and no data chunk", speechtest.RIFF()},
		{"two fmt", "second fmt chunk at offset 36", speechtest.RIFF(fmtc, fmtc, data)},
		{"two data", "second data chunk", speechtest.RIFF(fmtc, data, data)},
		{"empty data", "no samples: the data chunk is empty", speechtest.RIFF(fmtc, speechtest.Chunk{ID: "data"})},
		{"half sample", "data chunk of 3 bytes, not a whole number of 2-byte samples", speechtest.RIFF(fmtc, speechtest.Chunk{ID: "data", Data: []byte{1, 2, 3}})},
	} {
		a, err := ReadWAV(bytes.NewReader(c.b), "x.wav")
		if err == nil {
			t.Errorf("%s: read %d samples, want an error", c.name, len(a.Samples))
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "datasets: x.wav: ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want one line starting datasets: x.wav: and containing %q", c.name, msg, c.want)
		}
	}
}

// TestReadWAVFile names the path, also when the file is missing.
func TestReadWAVFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.wav")
	if err := os.WriteFile(p, speechtest.WAV(8000, []float64{0.5}), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, err := ReadWAVFile(p); err != nil || a.Rate != 8000 || len(a.Samples) != 1 || a.Samples[0] != 0.5 {
		t.Fatalf("ReadWAVFile = %+v, %v", a, err)
	}
	if _, err := ReadWAVFile(filepath.Join(dir, "b.wav")); err == nil || !strings.Contains(err.Error(), "b.wav") {
		t.Errorf("missing file: err %v, want one naming b.wav", err)
	}
}

// FuzzReadWAV: no input panics or allocates beyond its size, and an accepted file holds
// exactly the samples its data chunk declares, all in [−1, 1). The seed corpus in
// testdata/fuzz/FuzzReadWAV holds real espeak-ng/sox output and edge cases.
func FuzzReadWAV(f *testing.F) {
	f.Add(speechtest.WAV(8000, []float64{0, 0.5, -1}))
	f.Add(speechtest.RIFF(speechtest.FmtChunk(speechtest.PCMFormat(16000, 24)), speechtest.Chunk{ID: "data", Data: speechtest.PCM([]float64{0.1, -0.1}, 24)}))
	f.Add(speechtest.RIFF(speechtest.FmtChunk(speechtest.PCMFormat(8000, 8)), speechtest.Chunk{ID: "data", Data: []byte{1, 2, 3}}))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ReadWAV(bytes.NewReader(in), "fuzz")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of several lines: %q", err)
			}
			return
		}
		if a.Rate < 1 || len(a.Samples) == 0 || len(a.Samples) > len(in) {
			t.Fatalf("rate %d, %d samples from %d bytes", a.Rate, len(a.Samples), len(in))
		}
		for i, v := range a.Samples {
			if !(v >= -1 && v < 1) {
				t.Fatalf("sample %d = %v outside [−1, 1)", i, v)
			}
		}
	})
}
