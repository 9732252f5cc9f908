package attacks

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/internal/celebatest"
)

// celebaEnv builds an attack environment at split 0, k = 1, on a synthetic CelebA whose Male
// and Smiling attributes show in the pixels and whose others do not (see celebatest).
func celebaEnv(t *testing.T) *Env {
	t.Helper()
	f, err := celebatest.Write(t.TempDir(), celebatest.Options{Train: 300, Test: 100, Partition: true, W: 16, H: 20, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := datasets.Load(datasets.Spec{Name: "celeba", Path: f.Dir, Label: "Smiling"})
	if err != nil {
		t.Fatal(err)
	}
	rng := newRNG(11)
	net := newPixelNet(3, 32, 32, rng)
	scheme := schemeOf(1, false, dirichlet(t))
	return &Env{Net: net, Capture: capture(t, net, ds.Test, 100, 100, scheme, rng), Pool: ds.Train,
		Classes: 2, Attrs: ds.Attrs, Scheme: scheme, RNG: rng}
}

// The attribute attack predicts a dataset's own attributes, named as in the data and reported
// lower-cased: far above chance for the attributes the pixels show, near chance for one they
// do not (the check that nothing leaks the answer).
func TestAttributeCelebA(t *testing.T) {
	env := celebaEnv(t)
	spec := Spec{Kind: KindAttribute, HeadWeights: true, Victims: 100, Aux: 300, Attributes: []string{"label", "Male", "Young"}}
	res := run(t, spec, env)
	cols := slices.Sorted(maps.Keys(res.Metrics))
	want := Columns(spec, 3)
	slices.Sort(want)
	if !slices.Equal(cols, want) || !slices.Contains(want, "attr_male_acc") {
		t.Fatalf("columns %v, want %v (with attr_male_acc)", cols, want)
	}
	// label is Smiling here. The signal is 80-100 levels against noise of ±20: ridge on
	// pixels separates it almost perfectly; 0.3 above chance (about 0.5-0.6) is a wide margin.
	for _, a := range []string{"label", "male"} {
		if acc, chance := res.Metrics["attr_"+a+"_acc"], res.Metrics["attr_"+a+"_chance"]; !(acc >= chance+0.3) {
			t.Errorf("attr_%s_acc = %g, chance %g: want ≥ chance + 0.3", a, acc, chance)
		}
	}
	// Young is drawn independently of the pixels: accuracy on 100 victims is about
	// Binomial(100, 0.5)/100 (σ 0.05), and chance is ≥ 0.5, so 0.25 above chance is 5σ: a
	// false failure about 1 in 3 million.
	if acc, chance := res.Metrics["attr_young_acc"], res.Metrics["attr_young_chance"]; !(acc <= chance+0.25) {
		t.Errorf("attr_young_acc = %g, chance %g: an attribute absent from the pixels was predicted", acc, chance)
	}
	if note := res.Notes["attr"]; !strings.Contains(note, "[label Male Young]") {
		t.Errorf("note %q, want the attributes", note)
	}
}

func TestAttributeUnknownToDataset(t *testing.T) {
	env := pixelEnv(t, 50, 1, 50, false, 12)
	_, err := Run(Spec{Kind: KindAttribute, HeadWeights: true, Victims: 50, Aux: 100, Attributes: []string{"Male"}}, env)
	if err == nil || !strings.Contains(err.Error(), `attacks: attr: no attribute "Male" on these images, want one of label, ink, colour`) {
		t.Errorf("err = %v", err)
	}
}

func TestColumnsLowerCaseAttributes(t *testing.T) {
	got := Columns(Spec{Kind: KindAttribute, Name: "face", Attributes: []string{"Male", "5_o_Clock_Shadow"}}, 3)
	want := []string{"face_male_acc", "face_male_chance", "face_5_o_clock_shadow_acc", "face_5_o_clock_shadow_chance"}
	if !slices.Equal(got, want) {
		t.Errorf("Columns = %v, want %v", got, want)
	}
}
