package attacks

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
)

// kindCase is one attack kind under test: a weak setting in which it must succeed, on MNIST
// digits at split 0 (the uploads are mixed pixels), and the column that says whether it did.
// Success is measured against a floor, failure against a ceiling; both apply to the same
// column, so a kind that always writes the same value fails one of them.
type kindCase struct {
	spec    Spec
	k       int
	shuffle bool
	column  string
	floor   float64 // the column reaches it when the uploads carry the victims
	ceiling float64 // the column stays below it when they carry nothing of them
}

// kindCases lists one case per registered kind (TestEveryKindIsCovered keeps it complete).
//
// The floors are the kinds' weakest successes at split 0 with k ≤ 2, each with a wide margin:
// measured on these seeds, inversion, decoder and rmle reconstruct every digit (SSIM 1.000),
// ICA and group matching recover every group of two (1.000), and a linear probe names the
// digit of an unmixed upload (0.78) and of what the cloud returns (0.75). The ceilings are
// what guessing gives: SSIM 0.30, He, Zhang and Lee's line of a recognisable reconstruction
// (measured without signal: 0.111, an average digit against the victims); |corr| 0.3 between
// a separated source and the victim it is matched to (measured 0.046); a tenth of the groups
// of two recovered (a random pairing of 100 uploads gets one in 99; measured 0); and
// accuracies below 0.25 against the ten-digit chance level of about 0.1 (measured 0.09 and
// 0.11; over 100 victims one standard deviation of a chance accuracy is 0.03, so 0.25 is
// five of them).
var kindCases = []kindCase{
	{spec: Spec{Kind: KindInversion}, k: 1, column: "inversion_ssim", floor: 0.9, ceiling: 0.3},
	{spec: Spec{Kind: KindICA}, k: 2, shuffle: true, column: "ica_strong_corr", floor: 0.95, ceiling: 0.3},
	{spec: Spec{Kind: KindGroupMatching}, k: 2, shuffle: true, column: "group_match_acc", floor: 0.95, ceiling: 0.1},
	{spec: Spec{Kind: KindAttribute, Attributes: []string{"label"}}, k: 1, column: "attr_label_acc", floor: 0.6, ceiling: 0.25},
	{spec: Spec{Kind: KindOutput}, k: 1, column: "output_acc", floor: 0.5, ceiling: 0.25},
	{spec: Spec{Kind: KindDecoder, HeadWeights: true}, k: 1, column: "decoder_ssim", floor: 0.9, ceiling: 0.3},
	{spec: Spec{Kind: KindRMLE, HeadWeights: true, Iterations: 30}, k: 1, column: "rmle_ssim", floor: 0.9, ceiling: 0.3},
}

// coveredByNets are the kinds that learn a head of their own at split > 0 (fora, unsplit):
// plain Go has no head to learn here, so their cases run on package models' networks, in
// package attacks/nets (TestHeadlessKindsSucceedAndFail).
var coveredByNets = []string{KindFORA, KindUnSplit}

// TestEveryKindIsCovered: every kind of the registry has a case in kindCases or is covered by
// attacks/nets.
func TestEveryKindIsCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, k := range coveredByNets {
		covered[k] = true
	}
	for _, c := range kindCases {
		covered[c.spec.Kind] = true
	}
	for _, k := range Kinds() {
		if !covered[k] {
			t.Errorf("kind %s has no case in kindCases: say where it must succeed and where it must fail", k)
		}
	}
}

// TestEveryKindSucceedsAndFails runs each kind twice on the same cloud's view of 100 MNIST
// victims: once as served (the uploads carry the victims: it must succeed), once with every
// secret replaced (scramble: the victims, their features, each group's C and the grouping are
// other draws, so that what the cloud observed carries nothing of the victims it is scored
// against: it must fail). A kind that succeeded without signal would be scoring something
// other than what it estimated from the uploads.
func TestEveryKindSucceedsAndFails(t *testing.T) {
	for _, c := range kindCases {
		t.Run(c.spec.Kind, func(t *testing.T) {
			s := c.spec
			s.Victims, s.Aux = 100, 1000
			measure := func(scrambled bool) float64 {
				env := pixelEnv(t, 100, c.k, 100, c.shuffle, 3)
				env.Learner = &ridgeLearner{}
				if scrambled {
					scramble(t, env, s, newRNG(4))
				}
				res, err := Run(s, env)
				if err != nil {
					t.Fatal(err)
				}
				v, ok := res.Metrics[c.column]
				if !ok {
					t.Fatalf("no column %s (notes %v)", c.column, res.Notes)
				}
				return v
			}
			signal, none := measure(false), measure(true)
			t.Logf("%s: %.3f with the victims' uploads, %.3f without", c.column, signal, none)
			if !(signal >= c.floor) {
				t.Errorf("%s = %.3f on the victims' uploads, want ≥ %g", c.column, signal, c.floor)
			}
			if !(none < c.ceiling) {
				t.Errorf("%s = %.3f on uploads that carry nothing of the victims, want < %g", c.column, none, c.ceiling)
			}
		})
	}
}

// gaussian is the signed coefficient sampler: at k = 1 each upload is its input times a
// secret N(0, 1) factor.
func gaussian(t *testing.T) mixing.Sampler {
	s, err := mixing.NewSampler("gaussian", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSignedScaleIsNoDefence: at split 0 and k = 1 with signed coefficients the cloud receives
// each raw image times a secret random signed factor. The attacker knows the distribution, so
// it brings every upload to a canonical sign and scale (canonicalRows) before it learns or
// inverts: inversion, the decoder and rMLE get every digit back, and the label and output
// attacks name it as from plain uploads. Without the canonicalisation (an attacker that
// assumes convex rows) the same uploads defeat inversion.
func TestSignedScaleIsNoDefence(t *testing.T) {
	ds := testMNIST(t)
	env := func(seed uint64) *Env {
		rng := newRNG(seed)
		net := newPixelNet(1, 28, 28, rng)
		scheme := schemeOf(1, false, gaussian(t))
		return &Env{Net: net, Capture: capture(t, net, ds.Test, 100, 100, scheme, rng), Pool: ds.Train,
			Classes: 10, Scheme: scheme, RNG: rng, Learner: &ridgeLearner{}}
	}
	for _, c := range []struct {
		spec   Spec
		column string
		floor  float64
	}{
		{Spec{Kind: KindInversion}, "inversion_ssim", 0.9},
		{Spec{Kind: KindDecoder, HeadWeights: true}, "decoder_ssim", 0.9},
		{Spec{Kind: KindRMLE, HeadWeights: true, Iterations: 30}, "rmle_ssim", 0.9},
		{Spec{Kind: KindAttribute, Attributes: []string{"label"}}, "attr_label_acc", 0.6},
		{Spec{Kind: KindOutput}, "output_acc", 0.5},
	} {
		s := c.spec
		s.Victims, s.Aux = 100, 1000
		res := run(t, s, env(5))
		t.Logf("%s = %.3f", c.column, res.Metrics[c.column])
		if v := res.Metrics[c.column]; !(v >= c.floor) {
			t.Errorf("%s = %.3f on signed, scaled uploads, want ≥ %g (notes %q)", c.column, v, c.floor, res.Notes[s.ColumnPrefix()])
		}
		if !strings.Contains(res.Notes[s.ColumnPrefix()], "canonical sign and scale") && !strings.Contains(res.Notes[s.ColumnPrefix()], "sign and scale of the attacker's prior") {
			t.Errorf("%s: the note %q does not say how the sign and scale were fixed", s.Kind, res.Notes[s.ColumnPrefix()])
		}
	}
	naive := run(t, Spec{Kind: KindInversion, Coefficients: "dirichlet", Victims: 100, Aux: 1000}, env(5))
	if v := naive.Metrics["inversion_ssim"]; v >= 0.5 {
		t.Errorf("inversion assuming convex rows reaches SSIM %.3f on signed uploads: the test shows nothing", v)
	}
}

// TestCanonicalRows: a row and any non-zero multiple of it have one canonical form; a
// non-negative row comes back divided by its largest value; a zero row stays zero.
func TestCanonicalRows(t *testing.T) {
	row := []float32{0, 0.25, 1, 0.5}
	v := []float32{}
	for _, f := range []float32{1, -3, 0.01, -0.2} {
		for _, x := range row {
			v = append(v, f*x)
		}
	}
	v = append(v, 0, 0, 0, 0)
	canonicalRows(v, 4)
	for r := range 4 {
		for j, x := range row {
			if math.Abs(float64(v[r*4+j]-x)) > 1e-6 { // 1e-6: float32 round-off of x·f/(f·max)
				t.Fatalf("row %d: %v, want %v", r, v[r*4:r*4+4], row)
			}
		}
	}
	if !slices.Equal(v[16:], []float32{0, 0, 0, 0}) {
		t.Errorf("zero row became %v", v[16:])
	}
}

// TestDefencesAreCleaned: against uploads with Gaussian noise of twice their own standard
// deviation (split 0, k = 1), rMLE fits the noise unless it cleans the uploads first. An
// attacker that knows the defence learns a cleaner on its own simulated uploads (clean) and
// reconstructs the digits better than one that assumes no defence (measured: SSIM 0.477
// against 0.348; at noise of their own standard deviation 0.645 against 0.572, at half of it
// 0.749 against 0.721 — the stronger the noise, the more a linear denoiser gives).
func TestDefencesAreCleaned(t *testing.T) {
	ds := testMNIST(t)
	noise, err := defence.New("gaussian", defence.Params{Scale: 2, Stage: defence.AfterMix})
	if err != nil {
		t.Fatal(err)
	}
	ssim := func(known bool) (float64, string) {
		rng := newRNG(6)
		net := newPixelNet(1, 28, 28, rng)
		scheme := schemeOf(1, false, dirichlet(t))
		scheme.Defences = defence.Stack{noise}
		env := &Env{Net: net, Capture: capture(t, net, ds.Test, 100, 100, scheme, rng), Pool: ds.Train,
			Classes: 10, Scheme: scheme, RNG: rng, Learner: &ridgeLearner{}}
		if !known {
			env.Scheme.Defences = nil
		}
		res := run(t, Spec{Kind: KindRMLE, HeadWeights: true, Iterations: 30, Victims: 100, Aux: 1000}, env)
		return res.Metrics["rmle_ssim"], res.Notes["rmle"]
	}
	cleaned, note := ssim(true)
	raw, _ := ssim(false)
	t.Logf("rmle SSIM %.3f with the defence known and cleaned, %.3f assuming none", cleaned, raw)
	if !strings.Contains(note, "cleaned first") {
		t.Errorf("note %q does not say the uploads were cleaned", note)
	}
	// 0.1: a cleaner that learnt nothing would leave the two within a few hundredths.
	if !(cleaned > raw+0.1) {
		t.Errorf("rmle SSIM %.3f with the defence known, %.3f without: want at least 0.1 better", cleaned, raw)
	}
}
