// Package speechtest writes WAV files and tiny synthetic speech corpora for tests: the layout
// of the Free Spoken Digit Dataset ({digit}_{speaker}_{index}.wav with a speakers.csv) and of
// Speech Commands (a folder per word, {speaker}_nohash_{n}.wav, testing_list.txt and
// validation_list.txt), so that the readers, the speech configs and the attribute attack run
// without recorded speech or espeak-ng.
//
// The recordings are not speech, but each carries what the readers and attacks look for: the
// digit d is a tone at DigitHz(d), and the speaker a second, quieter tone at SpeakerHz(s) (female
// speakers have the even indices, so gender is a linear function of the spectrum too), with
// seeded noise and durations that vary with the index. Everything is drawn from a seeded PCG
// generator, so a corpus is the same for the same Options.
//
// This package imports nothing from the module, so the datasets package's own tests can use it
// without an import cycle.
package speechtest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Format is the fmt chunk of a WAV file, written as given (so that tests can write invalid ones).
type Format struct {
	Tag        uint16 // 1 = PCM, 3 = IEEE float, 0xfffe = extensible
	Channels   uint16
	Rate       uint32
	ByteRate   uint32
	BlockAlign uint16
	Bits       uint16
	Extra      []byte // appended to the 16 bytes (cbSize and the extensible fields)
}

// PCMFormat is the fmt of mono integer PCM at rate with bits per sample.
func PCMFormat(rate, bits int) Format {
	b := uint16(bits / 8)
	return Format{Tag: 1, Channels: 1, Rate: uint32(rate), ByteRate: uint32(rate) * uint32(b), BlockAlign: b, Bits: uint16(bits)}
}

// Chunk is one RIFF chunk.
type Chunk struct {
	ID   string
	Data []byte
}

// FmtChunk encodes f as a fmt chunk.
func FmtChunk(f Format) Chunk {
	b := binary.LittleEndian.AppendUint16(nil, f.Tag)
	b = binary.LittleEndian.AppendUint16(b, f.Channels)
	b = binary.LittleEndian.AppendUint32(b, f.Rate)
	b = binary.LittleEndian.AppendUint32(b, f.ByteRate)
	b = binary.LittleEndian.AppendUint16(b, f.BlockAlign)
	b = binary.LittleEndian.AppendUint16(b, f.Bits)
	return Chunk{"fmt ", append(b, f.Extra...)}
}

// RIFF encodes chunks as a RIFF/WAVE file with a correct size field, padding odd chunks.
func RIFF(chunks ...Chunk) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c.ID...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(c.Data)))
		body = append(body, c.Data...)
		if len(c.Data)%2 == 1 {
			body = append(body, 0)
		}
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	return append(append(out, "WAVE"...), body...)
}

// PCM encodes samples in [−1, 1] as little-endian integer PCM of the given bits (8 unsigned,
// 16, 24 or 32 signed), rounding to the nearest level and clipping.
func PCM(samples []float64, bits int) []byte {
	var b []byte
	full := math.Ldexp(1, bits-1)
	for _, s := range samples {
		v := int64(math.Round(s * full))
		v = min(max(v, -int64(full)), int64(full)-1)
		switch bits {
		case 8:
			b = append(b, byte(v+128))
		case 16:
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(v)))
		case 24:
			u := uint32(int32(v))
			b = append(b, byte(u), byte(u>>8), byte(u>>16))
		case 32:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		default:
			panic(fmt.Sprintf("speechtest: %d bits", bits))
		}
	}
	return b
}

// WAV is a valid mono 16-bit PCM WAV file of samples at rate.
func WAV(rate int, samples []float64) []byte {
	return RIFF(FmtChunk(PCMFormat(rate, 16)), Chunk{"data", PCM(samples, 16)})
}

// DigitHz is the frequency of the tone that says digit d.
func DigitHz(d int) float64 { return 500 + 300*float64(d) }

// SpeakerHz is the frequency of speaker s's tone, below every digit's.
func SpeakerHz(s int) float64 { return 120 + 45*float64(s) }

// Utterance synthesises digit d said by speaker s, repetition i, at rate: the digit's tone and
// the speaker's, a duration of 0.3 to 0.6 s depending on i, and noise from rng.
func Utterance(rate, d, s, i int, rng *rand.Rand) []float64 {
	n := int(float64(rate) * (0.3 + 0.1*float64(i%4)))
	x := make([]float64, n)
	phase := rng.Float64() * 2 * math.Pi
	for t := range x {
		sec := float64(t) / float64(rate)
		env := math.Sin(math.Pi * float64(t) / float64(n)) // fade in and out
		x[t] = env*(0.4*math.Sin(2*math.Pi*DigitHz(d)*sec+phase)+0.2*math.Sin(2*math.Pi*SpeakerHz(s)*sec)) + 0.01*rng.NormFloat64()
	}
	return x
}

// Gender is speaker s's gender in the corpora written here: female for even s.
func Gender(s int) string {
	if s%2 == 0 {
		return "female"
	}
	return "male"
}

// Options describe a synthetic corpus.
type Options struct {
	Speakers int // speakers spk0, spk1, …
	Reps     int // repetitions of each digit per speaker: indices 0 … Reps−1
	Rate     int // sample rate; 0 means 8000 for FSDD and 16000 for Speech Commands
	Seed     uint64
	// NoMetadata leaves out speakers.csv (FSDD only).
	NoMetadata bool
}

// SpeakerName is the name of speaker s in an FSDD corpus written here.
func SpeakerName(s int) string { return fmt.Sprintf("spk%d", s) }

// Source is the first line of the SOURCE.txt of a corpus written by WriteSpokenDigits.
const Source = "synthetic tones: a speechtest corpus"

// WriteSpokenDigits writes an FSDD-layout corpus into dir: {digit}_{speaker}_{index}.wav for
// every digit, speaker and repetition, SOURCE.txt (Source, then another line) and speakers.csv
// (speaker,gender) unless NoMetadata.
func WriteSpokenDigits(dir string, o Options) error {
	rate := o.Rate
	if rate == 0 {
		rate = 8000
	}
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	meta := "speaker,gender\n"
	for s := range o.Speakers {
		meta += SpeakerName(s) + "," + Gender(s) + "\n"
		for d := range 10 {
			for i := range o.Reps {
				name := fmt.Sprintf("%d_%s_%d.wav", d, SpeakerName(s), i)
				if err := os.WriteFile(filepath.Join(dir, name), WAV(rate, Utterance(rate, d, s, i, rng)), 0o644); err != nil {
					return err
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "SOURCE.txt"), []byte(Source+"\nmore lines\n"), 0o644); err != nil {
		return err
	}
	if o.NoMetadata {
		return nil
	}
	return os.WriteFile(filepath.Join(dir, "speakers.csv"), []byte(meta), 0o644)
}

// DigitWords are Speech Commands' folder names of the ten digits.
var DigitWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// SpeechCommandsSpeaker is the hex id of speaker s in a Speech Commands folder written here.
func SpeechCommandsSpeaker(s int) string { return fmt.Sprintf("%08x", 0xc0ffee00+s) }

// WriteSpeechCommands writes a Speech Commands-layout folder into dir: a folder per digit word
// (and one other word, "yes", which the reader ignores) of {speaker}_nohash_{i}.wav, with
// speaker 0 on testing_list.txt, speaker 1 on validation_list.txt and the others training.
// It returns the number of test and training recordings of the digit words.
func WriteSpeechCommands(dir string, o Options) (test, train int, err error) {
	rate := o.Rate
	if rate == 0 {
		rate = 16000
	}
	rng := rand.New(rand.NewPCG(o.Seed, 2))
	var testList, valList strings.Builder
	for d, word := range slices.Concat(DigitWords, []string{"yes"}) {
		if err := os.MkdirAll(filepath.Join(dir, word), 0o755); err != nil {
			return 0, 0, err
		}
		for s := range o.Speakers {
			for i := range o.Reps {
				name := fmt.Sprintf("%s_nohash_%d.wav", SpeechCommandsSpeaker(s), i)
				if err := os.WriteFile(filepath.Join(dir, word, name), WAV(rate, Utterance(rate, d%10, s, i, rng)), 0o644); err != nil {
					return 0, 0, err
				}
				switch s {
				case 0:
					fmt.Fprintf(&testList, "%s/%s\n", word, name)
				case 1:
					fmt.Fprintf(&valList, "%s/%s\n", word, name)
				}
				if word == "yes" {
					continue
				}
				switch s {
				case 0:
					test++
				case 1:
				default:
					train++
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "testing_list.txt"), []byte(testList.String()), 0o644); err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "validation_list.txt"), []byte(valList.String()), 0o644); err != nil {
		return 0, 0, err
	}
	return test, train, nil
}
