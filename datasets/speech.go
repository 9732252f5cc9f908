package datasets

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The speech datasets' attribute names (Dataset.Attrs): the speaker's identity, one class per
// speaker of the corpus, and, where the corpus says it, the speaker's gender (0 female, 1 male).
const (
	AttrSpeaker = "speaker"
	AttrGender  = "gender"
)

// SourceFile is an optional file of a speech corpus whose first line says what the recordings
// are (Dataset.Source), e.g. "synthetic speech: …" for the corpus of
// scripts/synth_spoken_digits.sh; results carry it in their notes.
const SourceFile = "SOURCE.txt"

// maxSourceLine bounds the first line of SOURCE.txt kept in Dataset.Source.
const maxSourceLine = 200

// SpeakersFile is the metadata file of a spoken-digit corpus: a comma-separated table with a
// header line naming at least the columns speaker and gender, one line per speaker (gender
// female or male); other columns are ignored, and lines starting with # are comments.
const SpeakersFile = "speakers.csv"

// The Speech Commands split lists (Warden, "Speech Commands: A Dataset for Limited-Vocabulary
// Speech Recognition", arXiv:1804.03209, 2018, §5): one word/file.wav path per line.
const (
	SpeechCommandsTestList       = "testing_list.txt"
	SpeechCommandsValidationList = "validation_list.txt"
)

// DigitWords returns the Speech Commands words of the ten digits, in digit order: the classes
// of dataset speech-commands.
func DigitWords() [10]string {
	return [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
}

// SpokenDigitsMel is the front end of dataset spoken-digits (8 kHz recordings, as the Free
// Spoken Digit Dataset has them): 32 ms windows (256 samples) every 16 ms (128), 64 frames
// (a clip of 1.04 s), 32 mel bands from 20 Hz to the 4 kHz Nyquist frequency, 80 dB of dynamic
// range: 1×32×64 images, the input of models' speech-cnn.
func SpokenDigitsMel() MelSpec {
	return MelSpec{Rate: 8000, Window: 256, Hop: 128, Frames: 64, Mels: 32, FMin: 20, FMax: 4000, TopDB: 80}
}

// SpeechCommandsMel is the front end of dataset speech-commands (16 kHz recordings): the
// same 32 ms windows every 16 ms (512 and 256 samples), 64 frames, 32 mel bands from 20 Hz
// to 8 kHz, 80 dB: 1×32×64 images, like spoken-digits.
func SpeechCommandsMel() MelSpec {
	return MelSpec{Rate: 16000, Window: 512, Hop: 256, Frames: 64, Mels: 32, FMin: 20, FMax: 8000, TopDB: 80}
}

// Recording is one utterance of a speech corpus.
type Recording struct {
	Path    string
	Label   int // the digit
	Speaker int // index into SpeechCorpus.Speakers
	Index   int // the repetition: FSDD's {index}, Speech Commands' _nohash_ number
}

// SpeechCorpus is a spoken-digit corpus as listed on disk, before any audio is read.
type SpeechCorpus struct {
	Name string  // the dataset: spoken-digits or speech-commands
	Mel  MelSpec // its front end; every recording must be at Mel.Rate
	// Train and Test are the splits, each in a fixed pseudo-random order (shuffled), as
	// MNIST's files come: a prefix (the limits) is an unbiased sample, and consecutive
	// recordings — which DataMix mixes together at evaluation — have unrelated speakers and
	// digits.
	Train, Test []Recording
	// Speakers names every speaker with a recording, sorted.
	Speakers []string
	// Gender holds per speaker 0 (female) or 1 (male), from the corpus's speakers.csv; nil
	// when the corpus has no metadata.
	Gender []int
}

// Attrs names the attributes the corpus's recordings carry: gender (when known) and speaker.
func (c *SpeechCorpus) Attrs() []string {
	if c.Gender != nil {
		return []string{AttrGender, AttrSpeaker}
	}
	return []string{AttrSpeaker}
}

// attrClasses is the number of values of each of Attrs.
func (c *SpeechCorpus) attrClasses() []int {
	if c.Gender != nil {
		return []int{2, len(c.Speakers)}
	}
	return []int{len(c.Speakers)}
}

// fsddName is the FSDD / AudioMNIST file name: {digit}_{speaker}_{index}.wav.
var fsddName = regexp.MustCompile(`^([0-9])_([^_]+)_([0-9]{1,9})\.wav$`)

// ReadSpokenDigits lists a spoken-digit corpus in the layout of the Free Spoken Digit Dataset
// (Jackson et al., https://github.com/Jakobovski/free-spoken-digit-dataset) and AudioMNIST
// (Becker et al., arXiv:1807.03418): one WAV file per utterance named
// {digit}_{speaker}_{index}.wav, in dir or in its recordings/ subfolder (as the FSDD
// repository has them), or one folder further down (AudioMNIST's data/{speaker}/), 8 kHz mono
// PCM; other files are ignored. (AudioMNIST is recorded at 48 kHz: resample it first, e.g.
// sox in.wav -r 8000 out.wav.) The speaker's gender comes
// from speakers.csv (SpeakersFile) in dir when it is there. The split is FSDD's: of each
// speaker's recordings of a digit, the lowest tenth of the indices (rounded up) is the test
// split, the rest training — FSDD's indices 0–4 of 0–49 — so every speaker is in both splits
// (which the speaker-identity attack needs) and no utterance is in both.
//
// Errors name the file: a .wav whose name is not of that form, two files of one digit, speaker
// and index, a folder with no recordings, a malformed speakers.csv (with its line), a speaker
// it does not list.
func ReadSpokenDigits(dir string) (*SpeechCorpus, error) {
	rdir := subdir(dir, "recordings")
	names, err := wavFiles(rdir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(rdir)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	for _, e := range ents { // AudioMNIST keeps each speaker's recordings in a folder of its own
		if e.IsDir() {
			sub, err := wavFiles(filepath.Join(rdir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, n := range sub {
				names = append(names, filepath.Join(e.Name(), n))
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("datasets: spoken-digits: %s: no .wav recordings named {digit}_{speaker}_{index}.wav (the FSDD layout); make the synthetic corpus with scripts/synth_spoken_digits.sh", rdir)
	}
	type key struct {
		label   int
		speaker string
		index   int
	}
	seen := map[key]string{}
	var all []Recording
	var speakerOf []string
	for _, n := range names {
		m := fsddName.FindStringSubmatch(filepath.Base(n))
		p := filepath.Join(rdir, n)
		if m == nil {
			return nil, fmt.Errorf("datasets: %s: file name not of the form {digit}_{speaker}_{index}.wav", p)
		}
		label, _ := strconv.Atoi(m[1])
		index, _ := strconv.Atoi(m[3])
		k := key{label, m[2], index}
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("datasets: %s: digit %d, speaker %s, index %d again (also %s)", p, label, m[2], index, prev)
		}
		seen[k] = n
		all = append(all, Recording{Path: p, Label: label, Index: index})
		speakerOf = append(speakerOf, m[2])
	}
	c := &SpeechCorpus{Name: "spoken-digits", Mel: SpokenDigitsMel(), Speakers: sortedUnique(speakerOf)}
	for i := range all {
		all[i].Speaker, _ = slices.BinarySearch(c.Speakers, speakerOf[i])
	}
	if c.Gender, err = readSpeakersFile(dir, c.Speakers, all, speakerOf); err != nil {
		return nil, err
	}
	// FSDD's split: per speaker and digit, the lowest tenth of the indices is the test split.
	type group struct{ speaker, label int }
	indices := map[group][]int{}
	for _, r := range all {
		g := group{r.Speaker, r.Label}
		indices[g] = append(indices[g], r.Index)
	}
	for g, ix := range indices {
		slices.Sort(ix)
		indices[g] = ix[:(len(ix)+9)/10] // the test indices
	}
	var train, test []Recording
	for _, r := range all {
		if slices.Contains(indices[group{r.Speaker, r.Label}], r.Index) {
			test = append(test, r)
		} else {
			train = append(train, r)
		}
	}
	c.Train, c.Test = shuffled(train), shuffled(test)
	return c, nil
}

// readSpeakersFile reads dir/speakers.csv, if present, and returns the gender of each of
// speakers (0 female, 1 male); nil when the file is absent.
func readSpeakersFile(dir string, speakers []string, recs []Recording, speakerOf []string) ([]int, error) {
	p := filepath.Join(dir, SpeakersFile)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("datasets: %s:%d: %s", p, line, fmt.Sprintf(format, args...))
	}
	colSpeaker, colGender := -1, -1
	gender := map[string]int{}
	lines := map[string]int{}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if colSpeaker < 0 { // the header
			colSpeaker, colGender = slices.Index(fields, "speaker"), slices.Index(fields, "gender")
			if colSpeaker < 0 || colGender < 0 {
				return nil, fail("header %q, want comma-separated column names including speaker and gender", truncate(text))
			}
			continue
		}
		if len(fields) <= max(colSpeaker, colGender) {
			return nil, fail("%d fields, want at least %d (the header's speaker and gender columns)", len(fields), max(colSpeaker, colGender)+1)
		}
		s, g := fields[colSpeaker], fields[colGender]
		if prev, dup := lines[s]; dup {
			return nil, fail("speaker %q listed again (first at line %d)", truncate(s), prev)
		}
		lines[s] = line
		switch g {
		case "female":
			gender[s] = 0
		case "male":
			gender[s] = 1
		default:
			return nil, fail("gender %q for speaker %s, want female or male", truncate(g), truncate(s))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", p, err)
	}
	if colSpeaker < 0 {
		return nil, fmt.Errorf("datasets: %s: empty, want a header line naming the columns speaker and gender", p)
	}
	out := make([]int, len(speakers))
	for i, s := range speakers {
		g, ok := gender[s]
		if !ok {
			example := recs[slices.Index(speakerOf, s)].Path
			return nil, fmt.Errorf("datasets: %s: no line for speaker %s (of %s)", p, s, example)
		}
		out[i] = g
	}
	return out, nil
}

// scName is a Speech Commands file name: {speaker}_nohash_{n}.wav, the speaker a hex id.
var scName = regexp.MustCompile(`^([0-9a-f]+)_nohash_([0-9]{1,9})\.wav$`)

// ReadSpeechCommands lists the ten digit words (DigitWords) of a Speech Commands folder
// (Warden 2018; v0.01 and v0.02 alike): a folder per word of 16 kHz mono WAV files named
// {speaker}_nohash_{n}.wav, and the split lists testing_list.txt and validation_list.txt. The
// test split is the testing list's digit recordings; training is every digit recording on
// neither list; the validation list is left out, since the harness does no model selection.
// The official lists keep each speaker in one split, so the test speakers are unseen in
// training. Other word folders and _background_noise_ are ignored.
//
// Errors name the file: a missing word folder or list, a .wav whose name is not of that form,
// a list line naming a digit recording that does not exist (with its line), a word folder
// with no recordings.
func ReadSpeechCommands(dir string) (*SpeechCorpus, error) {
	inList := map[string]listEntry{} // word/file → the list line naming it
	for _, list := range []string{SpeechCommandsTestList, SpeechCommandsValidationList} {
		if err := readSCList(dir, list, inList); err != nil {
			return nil, err
		}
	}
	var recs []Recording
	var speakerOf []string
	var isTest []bool
	found := map[string]bool{}
	for label, word := range DigitWords() {
		wdir := filepath.Join(dir, word)
		if fi, err := os.Stat(wdir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("datasets: speech-commands: %s: no such folder (Speech Commands keeps each word's recordings in a folder of its name)", wdir)
		}
		names, err := wavFiles(wdir)
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("datasets: speech-commands: %s: no .wav recordings", wdir)
		}
		for _, n := range names {
			m := scName.FindStringSubmatch(n)
			p := filepath.Join(wdir, n)
			if m == nil {
				return nil, fmt.Errorf("datasets: %s: file name not of the form {speaker}_nohash_{n}.wav", p)
			}
			key := word + "/" + n
			found[key] = true
			list := inList[key].list
			if list == SpeechCommandsValidationList {
				continue
			}
			index, _ := strconv.Atoi(m[2])
			recs = append(recs, Recording{Path: p, Label: label, Index: index})
			speakerOf = append(speakerOf, m[1])
			isTest = append(isTest, list == SpeechCommandsTestList)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(inList)) {
		if e := inList[key]; !found[key] {
			return nil, fmt.Errorf("datasets: %s:%d: %s: no such recording", filepath.Join(dir, e.list), e.line, key)
		}
	}
	c := &SpeechCorpus{Name: "speech-commands", Mel: SpeechCommandsMel(), Speakers: sortedUnique(speakerOf)}
	var train, test []Recording
	for i, r := range recs {
		r.Speaker, _ = slices.BinarySearch(c.Speakers, speakerOf[i])
		if isTest[i] {
			test = append(test, r)
		} else {
			train = append(train, r)
		}
	}
	c.Train, c.Test = shuffled(train), shuffled(test)
	return c, nil
}

// listEntry is where a Speech Commands split list names a recording.
type listEntry struct {
	list string
	line int
}

// readSCList reads one Speech Commands split list into inList, keeping the entries of the
// digit words.
func readSCList(dir, name string, inList map[string]listEntry) error {
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("datasets: speech-commands: %s: no such file (the Speech Commands archive has it beside the word folders)", p)
	}
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		entry := strings.TrimSpace(sc.Text())
		if entry == "" {
			continue
		}
		word, file, ok := strings.Cut(entry, "/")
		if !ok || strings.Contains(file, "/") {
			return fmt.Errorf("datasets: %s:%d: %q, want word/file.wav", p, line, truncate(entry))
		}
		if words := DigitWords(); !slices.Contains(words[:], word) {
			continue
		}
		if prev, dup := inList[entry]; dup {
			return fmt.Errorf("datasets: %s:%d: %s is also on %s:%d", p, line, entry, prev.list, prev.line)
		}
		inList[entry] = listEntry{name, line}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("datasets: %s: %w", p, err)
	}
	return nil
}

// wavFiles lists the names of the .wav files in dir, sorted.
func wavFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("datasets: %s: no such directory", dir)
		}
		return nil, fmt.Errorf("datasets: %w", err)
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".wav") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// sortedUnique returns the distinct strings of s, sorted.
func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// shuffled returns recs sorted by path and then permuted by a PCG generator with a constant
// seed: the same order for the same files, wherever they are read.
func shuffled(recs []Recording) []Recording {
	out := slices.Clone(recs)
	slices.SortFunc(out, func(a, b Recording) int { return cmp.Compare(a.Path, b.Path) })
	rng := rand.New(rand.NewPCG(0x5eed, 0xd191)) // arbitrary constants: the order is part of the format
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Images reads every recording of recs, checks it is a mono PCM WAV at the corpus's rate,
// and returns their log-mel spectrograms (1×Mels×Frames, see MelSpec) with labels and
// attributes (Attrs: gender if known, speaker). Errors name the file.
func (c *SpeechCorpus) Images(recs []Recording) (*Images, error) {
	fe, err := NewMelFrontEnd(c.Mel)
	if err != nil {
		return nil, err
	}
	dim := c.Mel.Mels * c.Mel.Frames
	na := len(c.Attrs())
	out := &Images{X: make([]float32, len(recs)*dim), Y: make([]int, len(recs)), Attrs: make([]int32, len(recs)*na),
		N: len(recs), C: 1, H: c.Mel.Mels, W: c.Mel.Frames}
	for i, r := range recs {
		a, err := c.readAudio(r.Path)
		if err != nil {
			return nil, err
		}
		fe.Apply(out.X[i*dim:(i+1)*dim], a.Samples)
		out.Y[i] = r.Label
		attrs := out.Attrs[i*na : (i+1)*na]
		if c.Gender != nil {
			attrs[0] = int32(c.Gender[r.Speaker])
		}
		attrs[na-1] = int32(r.Speaker)
	}
	return out, nil
}

// readAudio reads one recording and checks its rate.
func (c *SpeechCorpus) readAudio(path string) (*Audio, error) {
	a, err := ReadWAVFile(path)
	if err != nil {
		return nil, err
	}
	if a.Rate != c.Mel.Rate {
		return nil, fmt.Errorf("datasets: %s: sample rate %d Hz, want %d for %s (resample with sox in.wav -r %d out.wav)", path, a.Rate, c.Mel.Rate, c.Name, c.Mel.Rate)
	}
	return a, nil
}

// loadSpeech is Load for the speech datasets: the corpus listing, every recording read and
// checked, the spectrograms of the ones the limits keep.
func loadSpeech(dir string, s Spec) (*Dataset, error) {
	var c *SpeechCorpus
	var err error
	if s.Name == "speech-commands" {
		c, err = ReadSpeechCommands(dir)
	} else {
		c, err = ReadSpokenDigits(dir)
	}
	if err != nil {
		return nil, err
	}
	d := &Dataset{Name: s.Name, Classes: 10, Attrs: c.Attrs(), AttrClasses: c.attrClasses()}
	if d.Source, err = readSource(dir); err != nil {
		return nil, err
	}
	for _, sp := range []struct {
		set   **Images
		recs  []Recording
		limit int
		what  string
	}{{&d.Train, c.Train, s.TrainLimit, "training"}, {&d.Test, c.Test, s.TestLimit, "test"}} {
		if sp.limit > len(sp.recs) {
			return nil, fmt.Errorf("datasets: %s: %s: limit %d, but the %s split holds only %d recordings", s.Name, dir, sp.limit, sp.what, len(sp.recs))
		}
		if len(sp.recs) == 0 {
			return nil, fmt.Errorf("datasets: %s: %s: the %s split holds no recordings", s.Name, dir, sp.what)
		}
		keep := sp.recs
		if sp.limit > 0 {
			keep = sp.recs[:sp.limit]
		}
		for _, r := range sp.recs[len(keep):] { // checked, not kept
			if _, err := c.readAudio(r.Path); err != nil {
				return nil, err
			}
		}
		if *sp.set, err = c.Images(keep); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// readSource returns the first line of dir/SOURCE.txt, "" when there is no such file.
func readSource(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, SourceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	if len(line) > maxSourceLine {
		line = line[:maxSourceLine] + "…"
	}
	return line, nil
}

// speechAttrNames returns the attribute names of the speech dataset name in dir without
// reading any audio: speaker, and gender when a spoken-digit corpus has speakers.csv.
func speechAttrNames(name, dir string) []string {
	if name == "spoken-digits" {
		if _, err := os.Stat(filepath.Join(dir, SpeakersFile)); err == nil {
			return []string{AttrGender, AttrSpeaker}
		}
	}
	return []string{AttrSpeaker}
}
