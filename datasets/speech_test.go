package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/internal/speechtest"
)

// spokenDigits writes a synthetic FSDD corpus of the given speakers and repetitions.
func spokenDigits(t *testing.T, o speechtest.Options) string {
	t.Helper()
	dir := t.TempDir()
	if err := speechtest.WriteSpokenDigits(dir, o); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReadSpokenDigitsSplit: FSDD's split (the lowest tenth of each speaker's indices of a
// digit is the test split), speakers sorted, gender from speakers.csv, and a fixed shuffled
// order.
func TestReadSpokenDigitsSplit(t *testing.T) {
	dir := spokenDigits(t, speechtest.Options{Speakers: 3, Reps: 12, Seed: 1})
	c, err := ReadSpokenDigits(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Speakers, []string{"spk0", "spk1", "spk2"}) || !slices.Equal(c.Gender, []int{0, 1, 0}) {
		t.Fatalf("speakers %v, gender %v", c.Speakers, c.Gender)
	}
	// 12 repetitions: ⌈12/10⌉ = 2 test indices (0 and 1) per speaker and digit.
	if len(c.Test) != 3*10*2 || len(c.Train) != 3*10*10 {
		t.Fatalf("%d test and %d training recordings, want 60 and 300", len(c.Test), len(c.Train))
	}
	for _, r := range c.Test {
		if r.Index > 1 {
			t.Fatalf("test recording %s has index %d, want 0 or 1", r.Path, r.Index)
		}
	}
	// The order: fixed (a second reading, from another folder, lists the same files in the
	// same order), and shuffled — the first 30 training recordings are not in file order and
	// hold several speakers and digits (all 30 from one speaker or digit: about 3·(1/3)²⁹ and
	// 10·(1/10)²⁹ for a uniform shuffle).
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	again, err := ReadSpokenDigits(moved)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Train {
		if filepath.Base(c.Train[i].Path) != filepath.Base(again.Train[i].Path) {
			t.Fatalf("training recording %d: %s, then %s from another folder", i, c.Train[i].Path, again.Train[i].Path)
		}
	}
	speakers, digits := map[int]bool{}, map[int]bool{}
	sorted := true
	for i, r := range c.Train[:30] {
		speakers[r.Speaker], digits[r.Label] = true, true
		sorted = sorted && (i == 0 || c.Train[i-1].Path < r.Path)
	}
	if sorted || len(speakers) < 2 || len(digits) < 2 {
		t.Errorf("first 30 training recordings: sorted %v, %d speakers, %d digits: not shuffled", sorted, len(speakers), len(digits))
	}
	if c.Attrs()[0] != AttrGender || c.Attrs()[1] != AttrSpeaker {
		t.Errorf("attrs %v", c.Attrs())
	}
}

// TestLoadSpokenDigits: shapes, labels, attributes and their class counts, limits as prefixes.
func TestLoadSpokenDigits(t *testing.T) {
	dir := spokenDigits(t, speechtest.Options{Speakers: 4, Reps: 10, Seed: 2})
	d, err := Load(Spec{Name: "spoken-digits", Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, h, w, classes, _ := Shape("spoken-digits")
	if d.Classes != classes || d.Train.C != c || d.Train.H != h || d.Train.W != w || d.Train.N != 360 || d.Test.N != 40 {
		t.Fatalf("dataset %d classes, train %d of %d×%d×%d, test %d", d.Classes, d.Train.N, d.Train.C, d.Train.H, d.Train.W, d.Test.N)
	}
	if !slices.Equal(d.Attrs, []string{"gender", "speaker"}) || !slices.Equal(d.AttrClasses, []int{2, 4}) {
		t.Fatalf("attrs %v with %v classes", d.Attrs, d.AttrClasses)
	}
	if d.Source != speechtest.Source {
		t.Errorf("source %q, want the first line of SOURCE.txt, %q", d.Source, speechtest.Source)
	}
	corpus, err := ReadSpokenDigits(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Test.N {
		a, r := d.Test.Attr(i), corpus.Test[i]
		if a[0] != a[1]%2 { // speakers 0 and 2 female (0), 1 and 3 male (1)
			t.Fatalf("test %d: gender %d for speaker %d", i, a[0], a[1])
		}
		if d.Test.Y[i] != r.Label || int(a[1]) != r.Speaker || !strings.HasPrefix(filepath.Base(r.Path), fmt.Sprintf("%d_spk%d_", r.Label, r.Speaker)) {
			t.Fatalf("test %d: label %d, speaker %d, want those of %s", i, d.Test.Y[i], a[1], r.Path)
		}
	}
	for _, v := range d.Train.X {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("value %v outside [0,1]", v)
		}
	}
	l, err := Load(Spec{Name: "spoken-digits", Path: dir, TrainLimit: 25, TestLimit: 7})
	if err != nil {
		t.Fatal(err)
	}
	checkFirst(t, l.Train, d.Train, 25)
	checkFirst(t, l.Test, d.Test, 7)
	if !slices.Equal(l.Test.Attrs, d.Test.Attrs[:7*2]) {
		t.Errorf("limited attributes %v, want the first 7 rows of %v", l.Test.Attrs, d.Test.Attrs[:14])
	}
	if _, err := Load(Spec{Name: "spoken-digits", Path: dir, TestLimit: 41}); err == nil || !strings.Contains(err.Error(), "limit 41, but the test split holds only 40 recordings") {
		t.Errorf("limit beyond the split: err %v", err)
	}
}

// TestSpokenDigitsLayouts: the recordings may sit in a recordings/ subfolder (the FSDD
// repository) or in a folder per speaker (AudioMNIST), and without speakers.csv there is no
// gender attribute.
func TestSpokenDigitsLayouts(t *testing.T) {
	dir := t.TempDir()
	if err := speechtest.WriteSpokenDigits(filepath.Join(dir, "recordings"), speechtest.Options{Speakers: 2, Reps: 2, NoMetadata: true}); err != nil {
		t.Fatal(err)
	}
	d, err := Load(Spec{Name: "spoken-digits", Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 20 || d.Test.N != 20 || !slices.Equal(d.Attrs, []string{"speaker"}) || !slices.Equal(d.AttrClasses, []int{2}) {
		t.Fatalf("train %d, test %d, attrs %v %v", d.Train.N, d.Test.N, d.Attrs, d.AttrClasses)
	}
	if names, _ := AttrNames("spoken-digits", dir); !slices.Equal(names, []string{"speaker"}) {
		t.Errorf("AttrNames = %v, want [speaker]", names)
	}
	nested := t.TempDir() // AudioMNIST: a folder per speaker
	for s := range 3 {
		if err := speechtest.WriteSpokenDigits(filepath.Join(nested, fmt.Sprint(s)), speechtest.Options{Speakers: 3, Reps: 2, NoMetadata: true}); err != nil {
			t.Fatal(err)
		}
		for d := range 10 { // keep speaker s only in folder s
			for o := range 3 {
				for i := range 2 {
					if o != s {
						os.Remove(filepath.Join(nested, fmt.Sprint(s), fmt.Sprintf("%d_%s_%d.wav", d, speechtest.SpeakerName(o), i)))
					}
				}
			}
		}
	}
	if d, err := Load(Spec{Name: "spoken-digits", Path: nested}); err != nil || d.Train.N != 30 || d.Test.N != 30 || d.AttrClasses[0] != 3 {
		t.Errorf("nested folders: %v", err)
	}
	meta := spokenDigits(t, speechtest.Options{Speakers: 2, Reps: 2})
	if names, _ := AttrNames("spoken-digits", meta); !slices.Equal(names, []string{"gender", "speaker"}) {
		t.Errorf("AttrNames = %v, want [gender speaker]", names)
	}
}

// TestSpokenDigitsErrors: each problem is one line naming the file (and line).
func TestSpokenDigitsErrors(t *testing.T) {
	write := func(t *testing.T, dir, name string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tone := speechtest.WAV(8000, []float64{0.1, 0.2, 0.3})
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		spec  Spec
		want  string
	}{
		{"empty folder", func(t *testing.T, dir string) { write(t, dir, "README.md", []byte("x")) }, Spec{},
			"no .wav recordings named {digit}_{speaker}_{index}.wav (the FSDD layout); make the synthetic corpus with scripts/synth_spoken_digits.sh"},
		{"bad name", func(t *testing.T, dir string) { write(t, dir, "seven_a_1.wav", tone) }, Spec{},
			"seven_a_1.wav: file name not of the form {digit}_{speaker}_{index}.wav"},
		{"duplicate", func(t *testing.T, dir string) { write(t, dir, "1_a_1.wav", tone); write(t, dir, "1_a_01.wav", tone) }, Spec{},
			"1_a_1.wav: digit 1, speaker a, index 1 again (also 1_a_01.wav)"},
		{"wrong rate", func(t *testing.T, dir string) { write(t, dir, "3_spk0_4.wav", speechtest.WAV(16000, []float64{0})) }, Spec{},
			"3_spk0_4.wav: sample rate 16000 Hz, want 8000 for spoken-digits (resample with sox in.wav -r 8000 out.wav)"},
		{"stereo", func(t *testing.T, dir string) {
			f := speechtest.PCMFormat(8000, 16)
			f.Channels, f.BlockAlign, f.ByteRate = 2, 4, 32000
			write(t, dir, "3_spk0_4.wav", speechtest.RIFF(speechtest.FmtChunk(f), speechtest.Chunk{ID: "data", Data: make([]byte, 8)}))
		}, Spec{}, "3_spk0_4.wav: 2 channels, want mono"},
		{"truncated beyond the limits", func(t *testing.T, dir string) {
			write(t, dir, "9_spk1_9.wav", tone[:len(tone)-2])
		}, Spec{TrainLimit: 1, TestLimit: 1}, "9_spk1_9.wav: truncated: data chunk declares 6 bytes (3 samples), file holds 4"},
		{"bad gender", func(t *testing.T, dir string) {
			write(t, dir, SpeakersFile, []byte("speaker,gender\nspk0,female\nspk1,m\n"))
		}, Spec{},
			`speakers.csv:3: gender "m" for speaker spk1, want female or male`},
		{"speaker missing", func(t *testing.T, dir string) {
			write(t, dir, SpeakersFile, []byte("# made by hand\nspeaker,accent,gender\nspk0,us,female\n"))
		}, Spec{},
			"speakers.csv: no line for speaker spk1 (of "},
		{"bad header", func(t *testing.T, dir string) { write(t, dir, SpeakersFile, []byte("name,sex\n")) }, Spec{},
			`speakers.csv:1: header "name,sex", want comma-separated column names including speaker and gender`},
		{"short line", func(t *testing.T, dir string) { write(t, dir, SpeakersFile, []byte("speaker,gender\nspk0\n")) }, Spec{},
			`speakers.csv:2: 1 fields, want at least 2`},
		{"speaker twice", func(t *testing.T, dir string) {
			write(t, dir, SpeakersFile, []byte("speaker,gender\nspk0,female\nspk1,male\nspk0,male\n"))
		}, Spec{}, `speakers.csv:4: speaker "spk0" listed again (first at line 2)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.name != "empty folder" && c.name != "bad name" && c.name != "duplicate" {
				if err := speechtest.WriteSpokenDigits(dir, speechtest.Options{Speakers: 2, Reps: 10}); err != nil {
					t.Fatal(err)
				}
			}
			c.setup(t, dir)
			c.spec.Name, c.spec.Path = "spoken-digits", dir
			_, err := Load(c.spec)
			if err == nil || !strings.HasPrefix(err.Error(), "datasets: ") || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err %v, want one line containing %q", err, c.want)
			}
		})
	}
}

// TestSpeechCommands: the digit words, the testing list as the test split, the validation
// list left out, other words ignored, speaker ids as the attribute.
func TestSpeechCommands(t *testing.T) {
	dir := t.TempDir()
	test, train, err := speechtest.WriteSpeechCommands(dir, speechtest.Options{Speakers: 4, Reps: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(Spec{Name: "speech-commands", Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != train || d.Test.N != test || train != 40 || test != 20 {
		t.Fatalf("train %d test %d, want %d and %d (40 and 20)", d.Train.N, d.Test.N, train, test)
	}
	if c, h, w, _, _ := Shape("speech-commands"); d.Train.C != c || d.Train.H != h || d.Train.W != w {
		t.Fatalf("images %d×%d×%d", d.Train.C, d.Train.H, d.Train.W)
	}
	// Speakers 0 (test), 2 and 3 (training); speaker 1 is on the validation list only.
	if !slices.Equal(d.Attrs, []string{"speaker"}) || !slices.Equal(d.AttrClasses, []int{3}) {
		t.Fatalf("attrs %v %v, want [speaker] with 3 speakers", d.Attrs, d.AttrClasses)
	}
	count := make([]int, 10)
	for i := range d.Test.N {
		if d.Test.Attr(i)[0] != 0 {
			t.Fatalf("test %d: speaker %d, want 0 (the only one on the testing list)", i, d.Test.Attr(i)[0])
		}
		count[d.Test.Y[i]]++
	}
	if slices.Min(count) != 2 || slices.Max(count) != 2 {
		t.Errorf("test labels per digit %v, want 2 each", count)
	}
	for _, c := range []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
	}{
		{"no testing list", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, SpeechCommandsTestList)) },
			"testing_list.txt: no such file (the Speech Commands archive has it beside the word folders)"},
		{"list names a missing file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "seven", speechtest.SpeechCommandsSpeaker(0)+"_nohash_1.wav"))
		}, fmt.Sprintf("testing_list.txt:16: seven/%s_nohash_1.wav: no such recording", speechtest.SpeechCommandsSpeaker(0))},
		{"no word folder", func(t *testing.T, dir string) { os.RemoveAll(filepath.Join(dir, "four")) },
			"four: no such folder (Speech Commands keeps each word's recordings in a folder of its name)"},
		{"bad name", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "two", "x.wav"), speechtest.WAV(16000, []float64{0}), 0o644)
		}, "two/x.wav: file name not of the form {speaker}_nohash_{n}.wav"},
		{"wrong rate", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "two", speechtest.SpeechCommandsSpeaker(3)+"_nohash_0.wav"), speechtest.WAV(8000, []float64{0}), 0o644)
		}, "_nohash_0.wav: sample rate 8000 Hz, want 16000 for speech-commands"},
		{"bad list line", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, SpeechCommandsValidationList), []byte("two\n"), 0o644)
		}, `validation_list.txt:1: "two", want word/file.wav`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, _, err := speechtest.WriteSpeechCommands(dir, speechtest.Options{Speakers: 4, Reps: 2, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			c.edit(t, dir)
			_, err := Load(Spec{Name: "speech-commands", Path: dir})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err %v, want one line containing %q", err, c.want)
			}
		})
	}
}

// TestSynthesisedCorpus checks the corpus scripts/synth_spoken_digits.sh writes, when it is
// there (data/spoken-digits at the root of the checkout): 60 speakers, 30 of each gender,
// every speaker saying every digit 10 times, index 0 of each in the test split.
func TestSynthesisedCorpus(t *testing.T) {
	dir := filepath.Join("..", "data", "spoken-digits")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s absent (bash scripts/synth_spoken_digits.sh makes it)", dir)
	}
	c, err := ReadSpokenDigits(dir)
	if err != nil {
		t.Fatal(err)
	}
	female := 0
	for _, g := range c.Gender {
		female += 1 - g
	}
	if len(c.Speakers) != 60 || female != 30 || len(c.Train) != 5400 || len(c.Test) != 600 {
		t.Fatalf("%d speakers (%d female), %d training and %d test recordings; want 60 (30), 5400, 600",
			len(c.Speakers), female, len(c.Train), len(c.Test))
	}
	for _, r := range c.Test {
		if r.Index != 0 {
			t.Fatalf("test recording %s has index %d, want 0", r.Path, r.Index)
		}
	}
}
