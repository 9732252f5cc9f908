package attacks

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/attacks/algo"
)

// The gradient-trained kinds are tested here on split 0 with a Learner of plain Go: ridge
// decoders and the identity head inverted by gradient steps. That checks their plumbing —
// what they decode or invert, how they are scored, their columns and notes — while the real
// networks (package models behind attacks/nets' Learner) are tested there and in package
// experiments.

// ridgeLearner is a Learner for split 0: decoders are ridge regressions, the head is the
// identity, and there is no shadow model (split 0 needs none).
type ridgeLearner struct{ calls []string }

func (l *ridgeLearner) TrainDecoder(x []float32, shape []int, y []float32, n int, o DecoderOptions, rng *rand.Rand) (Decoder, error) {
	l.calls = append(l.calls, "decoder")
	d := len(x) / n
	r, err := algo.FitRidge(dense32(x, n, d), dense32(y, n, len(y)/n), rng, nil)
	return ridgeDecoder{r}, err
}

func (l *ridgeLearner) Head() (WhiteBox, error) {
	l.calls = append(l.calls, "head")
	return identityBox{}, nil
}

func (l *ridgeLearner) Shadow([]float32, []int, int, ShadowOptions, *rand.Rand) (WhiteBox, error) {
	return nil, errors.New("no shadow model at split 0")
}

func (l *ridgeLearner) Substitute([]float32, []int, int, []float32, int, SubstituteOptions, *rand.Rand) (WhiteBox, float64, error) {
	return nil, 0, errors.New("no substitute head at split 0")
}

func (l *ridgeLearner) JointInvert([]float32, int, []float32, JointOptions, *rand.Rand) ([]float32, error) {
	return nil, errors.New("no surrogate head at split 0")
}

type ridgeDecoder struct{ r *algo.Ridge }

func (r ridgeDecoder) Decode(x []float32, n int) ([]float32, error) {
	p := r.r.Predict(dense32(x, n, len(x)/n))
	rows, cols := p.Dims()
	out := make([]float32, 0, rows*cols)
	for i := range rows {
		for _, v := range p.RawRowView(i) {
			out = append(out, float32(v))
		}
	}
	return out, nil
}

// identityBox is the split-0 head; Invert takes steps x ← clip(x + ½·(t − x)), gradient
// descent on ‖x − t‖² without a prior, which halves the distance to the target every step.
type identityBox struct{}

func (identityBox) Head(x []float32, n int) ([]float32, error) { return slices.Clone(x), nil }

func (identityBox) Invert(t []float32, n int, init []float32, o InvertOptions) ([]float32, error) {
	x := slices.Clone(init)
	for range o.Iterations {
		for i := range x {
			x[i] = min(max(x[i]+0.5*(t[i]-x[i]), 0), 1)
		}
	}
	return x, nil
}

func learnedEnv(t *testing.T, k int, shuffle bool) (*Env, *ridgeLearner) {
	env := pixelEnv(t, 200, k, 200, shuffle, 1)
	l := &ridgeLearner{}
	env.Learner = l
	return env, l
}

// checkColumns checks that a result writes only columns its kind declares, and the setting.
func checkColumns(t *testing.T, s Spec, res *Result, want ...string) {
	t.Helper()
	cols := Columns(s, 1)
	for name := range res.Metrics {
		if !slices.Contains(cols, name) {
			t.Errorf("%s writes %s, not among its columns %v", s.Kind, name, cols)
		}
	}
	for _, name := range want {
		if _, ok := res.Metrics[name]; !ok {
			t.Errorf("%s: no %s (have %v)", s.Kind, name, res.Metrics)
		}
	}
	if note := res.Notes[s.ColumnPrefix()]; !strings.HasPrefix(note, "setting: ") {
		t.Errorf("%s: note %q, want the setting", s.Kind, note)
	}
}

func TestDecoderKind(t *testing.T) {
	for _, tc := range []struct {
		name       string
		k          int
		shuffle    bool
		want, skip []string
	}{
		{"k=1", 1, false, []string{"decoder_ssim", "decoder_recovered90", "decoder_best_ssim"}, []string{"decoder_sep_ssim"}},
		{"k=2 shuffled", 2, true, []string{"decoder_ssim", "decoder_sep_psnr", "decoder_sep_ssim", "decoder_sep_psnr_median"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, l := learnedEnv(t, tc.k, tc.shuffle)
			s := Spec{Kind: KindDecoder, HeadWeights: true, Grouping: GroupingAuto, Affinity: algo.AffinityAuto}
			res := run(t, s, env)
			checkColumns(t, s, res, tc.want...)
			for _, name := range tc.skip {
				if _, ok := res.Metrics[name]; ok {
					t.Errorf("%s written at k = %d", name, tc.k)
				}
			}
			// At k = 1 split 0 the upload is the image: the ridge decoder learns the identity.
			// At k = 2 the strong variant separates the pixels exactly and the feature decoder
			// is the identity again, while one mixed upload hides its other member.
			if tc.k == 1 && !(res.Metrics["decoder_ssim"] >= 0.9) {
				t.Errorf("decoder_ssim %g at split 0, k = 1: want ≥ 0.9", res.Metrics["decoder_ssim"])
			}
			if tc.k == 2 {
				if sep, one := res.Metrics["decoder_sep_ssim"], res.Metrics["decoder_ssim"]; !(sep >= 0.9 && sep > one) {
					t.Errorf("decoder_sep_ssim %g, decoder_ssim %g: want separated members ≥ 0.9 and above single uploads", sep, one)
				}
			}
			// The estimate: an image per upload and, at k = 2, the separation with an image per
			// source of the strong variant (Dirichlet rows are convex).
			est, ok := res.Estimate.(DecoderEstimate)
			switch {
			case !ok:
				t.Fatalf("estimate %T, want DecoderEstimate", res.Estimate)
			case len(est.Uploads.Images) != 200:
				t.Errorf("%d upload images, want 200", len(est.Uploads.Images))
			case (est.Members != nil) != (tc.k == 2):
				t.Errorf("k = %d: members %v", tc.k, est.Members != nil)
			case est.Members != nil && (len(est.Members.StrongImages) != len(est.Members.Groups) || est.Members.PlainImages != nil):
				t.Errorf("%d groups, %d with strong images, plain images %v: want every group's strong images only",
					len(est.Members.Groups), len(est.Members.StrongImages), est.Members.PlainImages != nil)
			}
			if want := map[int]int{1: 1, 2: 2}[tc.k]; len(l.calls) != want+1 || l.calls[0] != "head" {
				t.Errorf("learner calls %v: want the head, then %d decoder(s)", l.calls, want)
			}
		})
	}
}

func TestRMLEKind(t *testing.T) {
	for _, tc := range []struct {
		name    string
		k       int
		shuffle bool
		init    string
	}{
		{"k=1 grey", 1, false, ""},
		{"k=1 decoder start", 1, false, InitDecoder},
		{"k=2 shuffled", 2, true, InitGrey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, l := learnedEnv(t, tc.k, tc.shuffle)
			s := Spec{Kind: KindRMLE, HeadWeights: true, Grouping: GroupingAuto, Affinity: algo.AffinityAuto, Init: tc.init, Iterations: 30}
			res := run(t, s, env)
			checkColumns(t, s, res, "rmle_psnr", "rmle_ssim", "rmle_psnr_median", "rmle_recovered30", "rmle_recovered90")
			switch est := res.Estimate.(type) {
			case Reconstructions:
				if tc.k != 1 || len(est.Images) != 200 {
					t.Errorf("k = %d: %d reconstructions", tc.k, len(est.Images))
				}
			case Separation:
				if tc.k != 2 || len(est.StrongImages) != len(est.Groups) || len(est.Groups) != 100 {
					t.Errorf("k = %d: %d groups, %d with images", tc.k, len(est.Groups), len(est.StrongImages))
				}
			default:
				t.Errorf("estimate %T, want Reconstructions or Separation", res.Estimate)
			}
			// 30 halving steps from grey leave 2⁻³⁰ of the distance to the target: the
			// victim itself at k = 1, the strong variant's exact member at k = 2.
			if ssim := res.Metrics["rmle_ssim"]; !(ssim >= 0.99) {
				t.Errorf("rmle_ssim %g: want ≥ 0.99 (notes %v)", ssim, res.Notes)
			}
			decoders := 0
			if tc.init == InitDecoder {
				decoders = 1
			}
			if got := slices.Index(l.calls, "decoder") >= 0; got != (decoders > 0) {
				t.Errorf("learner calls %v with init %q", l.calls, tc.init)
			}
		})
	}
}

func TestLearnedKindsNeedALearner(t *testing.T) {
	for _, kind := range []string{KindDecoder, KindRMLE} {
		env := pixelEnv(t, 200, 1, 200, false, 1)
		if _, err := Run(Spec{Kind: kind, Victims: 200, Aux: 500, HeadWeights: true}, env); err == nil || !strings.Contains(err.Error(), "Learner") {
			t.Errorf("%s without a Learner: error %v, want one naming the Learner", kind, err)
		}
	}
}

// channelScale brings uploads whose channels are the shadow's times per-channel factors back
// to the shadow's scale.
func TestChannelScale(t *testing.T) {
	const n, ch, per = 5, 3, 4
	rng := newRNG(3)
	shadow := make([]float32, n*ch*per)
	for i := range shadow {
		shadow[i] = float32(rng.Float64())
	}
	factor := []float32{2, 0.5, 10}
	real := make([]float32, len(shadow))
	for i, v := range shadow {
		real[i] = v * factor[(i%(ch*per))/per]
	}
	sc := channelScale(shadow, n, real, n, []int{ch, 2, 2})
	for j, f := range sc {
		// 1e-6: float32 round-off of one product and a square root.
		if want := 1 / factor[j/per]; math.Abs(float64(f-want)) > 1e-6*float64(want) {
			t.Errorf("factor of value %d = %v, want %v", j, f, want)
		}
	}
	b := &shadowBox{scale: sc}
	for i, v := range b.align(real) {
		if math.Abs(float64(v-shadow[i])) > 1e-5 {
			t.Fatalf("aligned value %d = %v, shadow's %v", i, v, shadow[i])
		}
	}
}
