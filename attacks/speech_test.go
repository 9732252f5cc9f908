package attacks

import (
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/internal/speechtest"
)

// speechEnv builds an attack environment at split 0 on a synthetic spoken-digit corpus whose
// recordings carry the digit and the speaker as tones (see speechtest); k = 1 or 2.
func speechEnv(t *testing.T, speakers, k int) (*Env, *datasets.Dataset) {
	t.Helper()
	dir := t.TempDir()
	if err := speechtest.WriteSpokenDigits(dir, speechtest.Options{Speakers: speakers, Reps: 10, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	ds, err := datasets.Load(datasets.Spec{Name: "spoken-digits", Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	rng := newRNG(13)
	c, h, w, _, _ := datasets.Shape("spoken-digits")
	net := newPixelNet(c, h, w, rng)
	scheme := schemeOf(k, false, dirichlet(t))
	n := ds.Test.N - ds.Test.N%k
	return &Env{Net: net, Capture: capture(t, net, ds.Test, n, n, scheme, rng), Pool: ds.Train,
		Classes: ds.Classes, Attrs: ds.Attrs, AttrClasses: ds.AttrClasses, Scheme: scheme, RNG: rng}, ds
}

// The attribute attack infers a speaker's gender (binary) and identity (one class per
// speaker) from uploads: far above chance when the spectrum shows them.
func TestAttributeSpeech(t *testing.T) {
	env, ds := speechEnv(t, 6, 1)
	if ds.AttrClasses[1] != 6 {
		t.Fatalf("speaker classes %v, want 6", ds.AttrClasses)
	}
	spec := Spec{Kind: KindAttribute, HeadWeights: true, Victims: 60, Aux: 540, Attributes: []string{"label", "gender", "speaker"}}
	res := run(t, spec, env)
	// Chance: 10 digits and 6 speakers balanced over the 60 victims (1/10, 1/6), gender 1/2.
	for a, chance := range map[string]float64{"label": 0.1, "gender": 0.5, "speaker": 1.0 / 6} {
		if got := res.Metrics["attr_"+a+"_chance"]; got != chance {
			t.Errorf("attr_%s_chance = %g, want %g (the majority-class rate)", a, got, chance)
		}
		// The tones are 20-40 dB above the noise: a ridge classifier on the log-mel pixels
		// separates them; 0.4 above chance is a wide margin that a broken target (say, the
		// gender read as the speaker) would miss by far.
		if acc := res.Metrics["attr_"+a+"_acc"]; !(acc >= chance+0.4) {
			t.Errorf("attr_%s_acc = %g, chance %g: want ≥ chance + 0.4", a, acc, chance)
		}
	}
	if note := res.Notes["attr"]; strings.Contains(note, "no auxiliary image has") {
		t.Errorf("note %q: every victim's speaker is among the auxiliary images here", note)
	}
}

// TestAttributeUnseenSpeakers: victims whose speaker no auxiliary image has cannot be
// identified; the note counts them.
func TestAttributeUnseenSpeakers(t *testing.T) {
	env, ds := speechEnv(t, 4, 1)
	// Keep only speakers 0 and 1 in the attacker's pool.
	var keep []int
	for i := range ds.Train.N {
		if ds.Train.Attr(i)[1] < 2 {
			keep = append(keep, i)
		}
	}
	env.Pool = ds.Train.Subset(keep)
	res := run(t, Spec{Kind: KindAttribute, HeadWeights: true, Victims: 40, Aux: len(keep), Attributes: []string{"speaker"}}, env)
	if note := res.Notes["attr"]; !strings.Contains(note, "speaker: 20 of 40 victims have a value no auxiliary image has") {
		t.Errorf("note %q, want the 20 victims of speakers 2 and 3 counted", note)
	}
	if acc := res.Metrics["attr_speaker_acc"]; acc > 0.5 {
		t.Errorf("attr_speaker_acc = %g with half the speakers unseen, want ≤ 0.5", acc)
	}
}
