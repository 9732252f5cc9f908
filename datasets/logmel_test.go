package datasets

import (
	"math"
	"strings"
	"testing"
)

func TestMelScale(t *testing.T) {
	// HTK: mel(700) = 2595·log10(2) = 781.1728…; mel(1000) = 999.9855… (the scale is built
	// so that 1 kHz is about 1000 mel).
	for _, c := range []struct{ hz, mel float64 }{{0, 0}, {700, 781.17284}, {1000, 999.98554}, {4000, 2146.06453}} {
		if got := HzToMel(c.hz); math.Abs(got-c.mel) > 1e-4 {
			t.Errorf("HzToMel(%g) = %.6f, want %.5f", c.hz, got, c.mel)
		}
		if got := MelToHz(c.mel); math.Abs(got-c.hz) > 1e-3 {
			t.Errorf("MelToHz(%g) = %.6f, want %g", c.mel, got, c.hz)
		}
	}
}

// TestFilterbankByHand checks a two-filter bank worked by hand from librosa's formula
// (librosa.filters.mel(sr=8000, n_fft=8, n_mels=2, fmin=0, fmax=4000, htk=True, norm=None)).
// Points: 0, 2146.0645 mel split in three → 0, 715.3548, 1430.7097, 2146.0645 mel → 0,
// 620.5798, 1791.3300, 4000 Hz. FFT bins at 0, 1000, 2000, 3000, 4000 Hz.
// Filter 0 (0 → 620.58 → 1791.33): bin 1000 Hz on the falling edge, (1791.33−1000)/(1791.33−620.58)
// = 0.67592. Filter 1 (620.58 → 1791.33 → 4000): 1000 Hz rising, (1000−620.58)/1170.75 = 0.32408;
// 2000 Hz falling, (4000−2000)/(4000−1791.33) = 0.90552; 3000 Hz, 1000/2208.67 = 0.45276.
func TestFilterbankByHand(t *testing.T) {
	s := MelSpec{Rate: 8000, Window: 8, Hop: 8, Frames: 1, Mels: 2, FMin: 0, FMax: 4000, TopDB: 80}
	pts := s.Points()
	for i, want := range []float64{0, 620.57979, 1791.32997, 4000} {
		if math.Abs(pts[i]-want) > 1e-4 {
			t.Errorf("point %d = %.5f Hz, want %.5f", i, pts[i], want)
		}
	}
	want := [][]float64{{0, 0.67592, 0, 0, 0}, {0, 0.32408, 0.90552, 0.45276, 0}}
	for m, f := range s.Filterbank() {
		dense := make([]float64, 5)
		copy(dense[f.Start:], f.Weights)
		for k := range dense {
			if math.Abs(dense[k]-want[m][k]) > 5e-6 { // the hand values are rounded to 5 digits
				t.Errorf("filter %d bin %d = %.6f, want %.5f", m, k, dense[k], want[m][k])
			}
		}
	}
}

// tone returns n samples of a·sin(2π·hz·t) at rate.
func tone(n, rate int, hz, a float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(a * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return x
}

// TestPowerSpectrumOfBinTone: a sine of amplitude A exactly on bin k0 through a periodic Hann
// window of N samples has |X[k0]| = A·N/4 (half the amplitude on each of ±k0, times the
// window's mean 1/2) and |X[k0±1]| = A·N/8 (the window's DFT is N/2 at 0 and −N/4 at ±1), zero
// elsewhere.
func TestPowerSpectrumOfBinTone(t *testing.T) {
	const n, k0, a = 64, 10, 0.5
	s := MelSpec{Rate: 8000, Window: n, Hop: n, Frames: 1, Mels: 4, FMin: 0, FMax: 4000, TopDB: 80}
	f, err := NewMelFrontEnd(s)
	if err != nil {
		t.Fatal(err)
	}
	f.Apply(make([]float32, 4), tone(n, 8000, k0*8000.0/n, a))
	for k, p := range f.power {
		want := 0.0
		switch k {
		case k0:
			want = math.Pow(a*n/4, 2)
		case k0 - 1, k0 + 1:
			want = math.Pow(a*n/8, 2)
		}
		// 1e-4 absolute: float32 samples (relative error 2⁻²⁴) over 64 terms on powers of ≤ 64.
		if math.Abs(p-want) > 1e-4 {
			t.Errorf("power[%d] = %.6g, want %.6g", k, p, want)
		}
	}
}

// TestToneLandsInItsBand: a pure tone is loudest in the mel band whose peak frequency is
// nearest, and reaches 1 there (the clip's maximum).
func TestToneLandsInItsBand(t *testing.T) {
	s := SpokenDigitsMel()
	f, err := NewMelFrontEnd(s)
	if err != nil {
		t.Fatal(err)
	}
	pts := s.Points()
	out := make([]float32, s.Mels*s.Frames)
	for _, hz := range []float64{150, 300, 700, 1000, 1500, 2500, 3500} {
		f.Apply(out, tone(s.ClipSamples(), s.Rate, hz, 0.3))
		mid := s.Frames / 2
		best := 0
		for m := range s.Mels {
			if out[m*s.Frames+mid] > out[best*s.Frames+mid] {
				best = m
			}
		}
		nearest := 0
		for m := range s.Mels {
			if math.Abs(pts[m+1]-hz) < math.Abs(pts[nearest+1]-hz) {
				nearest = m
			}
		}
		if best != nearest {
			t.Errorf("%g Hz: loudest band %d (peak %.0f Hz), want %d (peak %.0f Hz)", hz, best, pts[best+1], nearest, pts[nearest+1])
		}
		if v := out[best*s.Frames+mid]; math.Abs(float64(v)-1) > 1e-3 {
			t.Errorf("%g Hz: loudest cell %v, want ≈ 1 (the clip's maximum)", hz, v)
		}
		// Far from the tone the level is at the floor: more than 80 dB down (Hann side lobes
		// fall off fast). Band 31 peaks near 3.8 kHz.
		if hz <= 1000 {
			if v := out[(s.Mels-1)*s.Frames+mid]; v != 0 {
				t.Errorf("%g Hz: top band at %v, want 0 (the floor)", hz, v)
			}
		}
	}
}

// TestLogMelNormalisation: values lie in [0,1], the loudest is 1, the result does not depend on
// the recording level (the reference is the clip's maximum), and silence is all zeros.
func TestLogMelNormalisation(t *testing.T) {
	s := SpokenDigitsMel()
	f, err := NewMelFrontEnd(s)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 3000)
	for i := range x {
		x[i] = float32(0.3*math.Sin(float64(i)*0.37) + 0.2*math.Sin(float64(i*i)*1e-4))
	}
	loud, quiet := make([]float32, s.Mels*s.Frames), make([]float32, s.Mels*s.Frames)
	f.Apply(loud, x)
	for i := range x {
		x[i] *= 0.01
	}
	f.Apply(quiet, x)
	top := float32(0)
	for i := range loud {
		if loud[i] < 0 || loud[i] > 1 {
			t.Fatalf("value %v outside [0,1]", loud[i])
		}
		top = max(top, loud[i])
		// 1e-5: −40 dB on every cell, cancelled by the reference, up to float32 round-off.
		if math.Abs(float64(loud[i]-quiet[i])) > 1e-5 {
			t.Fatalf("cell %d: %v at full level, %v at −40 dB", i, loud[i], quiet[i])
		}
	}
	if top != 1 {
		t.Errorf("loudest cell %v, want 1", top)
	}
	f.Apply(loud, make([]float32, 100))
	for i, v := range loud {
		if v != 0 {
			t.Fatalf("silence: cell %d = %v, want 0", i, v)
		}
	}
}

// TestLogMelDecibels: a tone 20 dB quieter in the second half of the clip (a tenth of the
// amplitude, a hundredth of the power) reads 20/80 = 0.25 lower there, in the same band.
func TestLogMelDecibels(t *testing.T) {
	s := SpokenDigitsMel()
	f, err := NewMelFrontEnd(s)
	if err != nil {
		t.Fatal(err)
	}
	x := tone(s.ClipSamples(), s.Rate, 1000, 0.5)
	for i := len(x) / 2; i < len(x); i++ {
		x[i] *= 0.1
	}
	out := make([]float32, s.Mels*s.Frames)
	f.Apply(out, x)
	best := 0
	for m := range s.Mels {
		if out[m*s.Frames+10] > out[best*s.Frames+10] {
			best = m
		}
	}
	// Frames 10 and 50 lie wholly in the loud and the quiet half; 1e-4 is float32 round-off.
	if a, b := out[best*s.Frames+10], out[best*s.Frames+50]; math.Abs(float64(a)-1) > 1e-4 || math.Abs(float64(b)-0.75) > 1e-4 {
		t.Errorf("band %d: %v in the loud half, %v in the quiet half; want 1 and 0.75", best, a, b)
	}
}

// TestLogMelCentres: a short recording sits in the middle of the clip and a long one is cut
// to its centre, so a click at the middle of either lands in the middle frames.
func TestLogMelCentres(t *testing.T) {
	s := SpokenDigitsMel()
	f, err := NewMelFrontEnd(s)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, s.Mels*s.Frames)
	for _, n := range []int{1001, s.ClipSamples(), 3 * s.ClipSamples()} {
		x := make([]float32, n)
		x[n/2] = 1
		f.Apply(out, x)
		// The click is at clip sample ≈ L/2 = 4160, inside frames t with t·128 ≤ 4160 <
		// t·128+256: t = 31 and 32.
		for tt := range s.Frames {
			if v := out[10*s.Frames+tt]; (tt == 31 || tt == 32) != (v > 0.5) {
				t.Errorf("n = %d: frame %d at %v", n, tt, v)
			}
		}
	}
}

func TestMelSpecCheck(t *testing.T) {
	good := SpokenDigitsMel()
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	if err := SpeechCommandsMel().Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(*MelSpec)
		want string
	}{
		{"odd window", func(s *MelSpec) { s.Window = 255 }, "an even window"},
		{"hop > window", func(s *MelSpec) { s.Hop = 512 }, "hop ≤ window"},
		{"fmax beyond nyquist", func(s *MelSpec) { s.FMax = 5000 }, "fmax ≤ rate/2 = 4000 Hz"},
		{"fmin ≥ fmax", func(s *MelSpec) { s.FMin = 4000 }, "0 ≤ fmin < fmax"},
		{"top_db", func(s *MelSpec) { s.TopDB = 0 }, "top_db > 0"},
		{"too many mels", func(s *MelSpec) { s.Mels = 128 }, "holds no FFT bin"},
	} {
		s := good
		c.edit(&s)
		if _, err := NewMelFrontEnd(s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}
