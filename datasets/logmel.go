package datasets

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// MelSpec describes a log-mel spectrogram front end: how a recording becomes a Mels × Frames
// image in [0,1] that the image networks take as 1×Mels×Frames input (height = mel band,
// lowest band first; width = time).
//
// A recording is first fitted to ClipSamples() = (Frames−1)·Hop + Window samples: a shorter
// one is zero-padded equally on both sides (centred), a longer one is cut to its centre. Frame
// t is samples [t·Hop, t·Hop+Window) of the clip, multiplied by a periodic Hann window
// (w[n] = 0.5 − 0.5·cos(2πn/Window), as torch.hann_window and scipy's get_window("hann")
// make it) and transformed with gonum's real FFT of length Window; its power spectrum
// |X[k]|², k = 0 … Window/2, is summed through Mels triangular filters. The filters follow
// the HTK mel scale, mel(f) = 2595·log10(1 + f/700) (Young et al., The HTK Book, §5.4): Mels+2
// points evenly spaced in mel from mel(FMin) to mel(FMax) are the filters' edges and peaks,
// filter m rising linearly from point m to a peak of 1 at point m+1 and falling to 0 at point
// m+2, evaluated at each bin's frequency k·Rate/Window — librosa.filters.mel(htk=True,
// norm=None), the default filterbank of torchaudio's MelSpectrogram. Each mel energy E then
// becomes decibels, 10·log10(max(E, 1e−10)); the clip's largest value is the reference and
// values more than TopDB below it are clipped — librosa.power_to_db(S, ref=np.max,
// amin=1e−10, top_db=TopDB) — and the result is scaled from [−TopDB, 0] dB to [0, 1]. So every
// clip's loudest mel cell is 1 whatever its recording level, and a clip with no energy at all
// (every E ≤ 1e−10) is all zeros.
type MelSpec struct {
	Rate   int     // sample rate of the recordings, Hz; a recording at another rate is an error
	Window int     // samples per frame, also the FFT length; even
	Hop    int     // samples between the starts of successive frames
	Frames int     // frames per clip: the image width
	Mels   int     // mel bands: the image height
	FMin   float64 // lowest filter edge, Hz
	FMax   float64 // highest filter edge, Hz, at most Rate/2
	TopDB  float64 // dynamic range kept below the clip's maximum, dB
}

// ClipSamples is the number of samples one clip covers: (Frames−1)·Hop + Window.
func (s MelSpec) ClipSamples() int { return (s.Frames-1)*s.Hop + s.Window }

// Check reports a spec that cannot work: non-positive sizes, an odd window, a hop longer than
// the window (samples would be skipped), frequencies outside 0 ≤ FMin < FMax ≤ Rate/2, TopDB ≤ 0,
// or a filter so narrow that no FFT bin falls inside it (too many mels for the window).
func (s MelSpec) Check() error {
	switch {
	case s.Rate < 1 || s.Window < 2 || s.Window%2 != 0 || s.Hop < 1 || s.Hop > s.Window || s.Frames < 1 || s.Mels < 1:
		return fmt.Errorf("datasets: mel spec %+v: need rate ≥ 1, an even window ≥ 2, 1 ≤ hop ≤ window, frames ≥ 1 and mels ≥ 1", s)
	case !(s.FMin >= 0 && s.FMin < s.FMax && s.FMax <= float64(s.Rate)/2):
		return fmt.Errorf("datasets: mel spec %+v: need 0 ≤ fmin < fmax ≤ rate/2 = %g Hz", s, float64(s.Rate)/2)
	case !(s.TopDB > 0):
		return fmt.Errorf("datasets: mel spec %+v: need top_db > 0", s)
	}
	for m, row := range s.Filterbank() {
		if len(row.Weights) == 0 {
			return fmt.Errorf("datasets: mel spec %+v: mel filter %d holds no FFT bin: use fewer mels or a longer window", s, m)
		}
	}
	return nil
}

// HzToMel is the HTK mel scale: 2595·log10(1 + hz/700).
func HzToMel(hz float64) float64 { return 2595 * math.Log10(1+hz/700) }

// MelToHz inverts HzToMel: 700·(10^(mel/2595) − 1).
func MelToHz(mel float64) float64 { return 700 * (math.Pow(10, mel/2595) - 1) }

// MelFilter is one triangular filter: Weights[j] is its weight on FFT bin Start+j; it is zero
// on every other bin.
type MelFilter struct {
	Start   int
	Weights []float64
}

// Points returns the Mels+2 filter edge and peak frequencies in Hz, evenly spaced in mel from
// FMin to FMax: filter m spans Points[m] … Points[m+2] and peaks at Points[m+1].
func (s MelSpec) Points() []float64 {
	lo, hi := HzToMel(s.FMin), HzToMel(s.FMax)
	p := make([]float64, s.Mels+2)
	for i := range p {
		p[i] = MelToHz(lo + (hi-lo)*float64(i)/float64(s.Mels+1))
	}
	p[0], p[len(p)-1] = s.FMin, s.FMax // exact ends, free of round-off
	return p
}

// Filterbank returns the Mels triangular filters over the Window/2+1 FFT bins (see MelSpec).
func (s MelSpec) Filterbank() []MelFilter {
	pts := s.Points()
	bins := s.Window/2 + 1
	bank := make([]MelFilter, s.Mels)
	for m := range bank {
		lo, mid, hi := pts[m], pts[m+1], pts[m+2]
		var f MelFilter
		for k := range bins { // a triangle's support is one run of bins
			hz := float64(k) * float64(s.Rate) / float64(s.Window)
			if w := min((hz-lo)/(mid-lo), (hi-hz)/(hi-mid)); w > 0 {
				if len(f.Weights) == 0 {
					f.Start = k
				}
				f.Weights = append(f.Weights, w)
			}
		}
		bank[m] = f
	}
	return bank
}

// MelFrontEnd computes log-mel spectrograms of one MelSpec. It holds the window, the filters
// and scratch buffers: use one per goroutine.
type MelFrontEnd struct {
	spec   MelSpec
	window []float64
	bank   []MelFilter
	fft    *fourier.FFT
	frame  []float64
	coeff  []complex128
	power  []float64
	clip   []float64
	db     []float64
}

// NewMelFrontEnd returns a front end for s, or the error of s.Check.
func NewMelFrontEnd(s MelSpec) (*MelFrontEnd, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	f := &MelFrontEnd{spec: s, bank: s.Filterbank(), fft: fourier.NewFFT(s.Window),
		window: make([]float64, s.Window), frame: make([]float64, s.Window),
		coeff: make([]complex128, s.Window/2+1), power: make([]float64, s.Window/2+1),
		clip: make([]float64, s.ClipSamples()), db: make([]float64, s.Mels*s.Frames)}
	for n := range f.window {
		f.window[n] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(n)/float64(s.Window))
	}
	return f, nil
}

// Spec returns the front end's spec.
func (f *MelFrontEnd) Spec() MelSpec { return f.spec }

// minPower is the floor of the mel energies before the logarithm (librosa's amin).
const minPower = 1e-10

// Apply writes the log-mel spectrogram of samples into dst (Mels × Frames values, row-major:
// dst[m·Frames + t] is band m, lowest first, at frame t), in [0, 1] (see MelSpec). It panics if
// len(dst) is not Mels·Frames.
func (f *MelFrontEnd) Apply(dst []float32, samples []float32) {
	s := f.spec
	if len(dst) != s.Mels*s.Frames {
		panic(fmt.Sprintf("datasets: log-mel output of %d values, want %d×%d", len(dst), s.Mels, s.Frames))
	}
	clear(f.clip)
	L := len(f.clip)
	if n := len(samples); n <= L {
		off := (L - n) / 2
		for i, v := range samples {
			f.clip[off+i] = float64(v)
		}
	} else {
		off := (n - L) / 2
		for i := range f.clip {
			f.clip[i] = float64(samples[off+i])
		}
	}
	top := math.Inf(-1)
	for t := range s.Frames {
		seg := f.clip[t*s.Hop : t*s.Hop+s.Window]
		for n, v := range seg {
			f.frame[n] = v * f.window[n]
		}
		f.fft.Coefficients(f.coeff, f.frame)
		for k, c := range f.coeff {
			f.power[k] = real(c)*real(c) + imag(c)*imag(c)
		}
		for m, flt := range f.bank {
			var e float64
			for j, w := range flt.Weights {
				e += w * f.power[flt.Start+j]
			}
			d := 10 * math.Log10(max(e, minPower))
			f.db[m*s.Frames+t] = d
			top = max(top, d)
		}
	}
	floor := 10 * math.Log10(minPower)
	for i, d := range f.db {
		if top <= floor { // no energy anywhere: silence
			dst[i] = 0
			continue
		}
		dst[i] = float32(min(1, max(0, (d-top)/s.TopDB+1)))
	}
}
