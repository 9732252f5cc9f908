package attacks

import (
	"slices"
	"strings"
	"testing"
)

// splitNet pretends to be split 1 so that attacks needing the head's weights can be withheld.
type splitNet struct{ *pixelNet }

func (splitNet) Split() int { return 1 }

func TestSkippedAttacksRecordWhy(t *testing.T) {
	unshuffled := pixelEnv(t, 100, 2, 100, false, 7)
	single := pixelEnv(t, 100, 1, 100, true, 8)
	noHead := pixelEnv(t, 100, 2, 100, true, 9)
	noHead.Net = splitNet{noHead.Net.(*pixelNet)}
	for _, c := range []struct {
		name string
		spec Spec
		env  *Env
		why  string
	}{
		{"ica k=1", Spec{Kind: KindICA}, single, "k = 1"},
		{"group matching k=1", Spec{Kind: KindGroupMatching}, single, "k = 1"},
		{"group matching unshuffled", Spec{Kind: KindGroupMatching}, unshuffled, "not shuffled"},
		{"inversion without head", Spec{Kind: KindInversion}, noHead, "head's weights"},
		{"attribute without head", Spec{Kind: KindAttribute}, noHead, "head's weights"},
		{"output without head", Spec{Kind: KindOutput}, noHead, "head's weights"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, c.spec, c.env)
			note := res.Notes[c.spec.ColumnPrefix()]
			if !strings.HasPrefix(note, "skipped: ") || !strings.Contains(note, c.why) {
				t.Errorf("note %q, want skipped because %s", note, c.why)
			}
			if len(res.Metrics) != 0 {
				t.Errorf("a skipped attack reported %v", res.Metrics)
			}
		})
	}
}

func TestRunRejectsUnknownKind(t *testing.T) {
	if _, err := Run(Spec{Kind: "telepathy"}, &Env{}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("err = %v", err)
	}
}

func TestKindsHaveDistinctColumnPrefixes(t *testing.T) {
	var names []string
	for _, k := range Kinds() {
		names = append(names, DefaultName(k))
	}
	slices.Sort(names)
	if len(slices.Compact(names)) != len(Kinds()) {
		t.Errorf("default names collide: %v", names)
	}
}

// The order of Kinds appears in config error messages ("want one of inversion, ica, …"); new
// kinds go after these.
func TestKindsInRegistryOrder(t *testing.T) {
	want := []string{KindInversion, KindICA, KindGroupMatching, KindAttribute, KindOutput}
	if got := Kinds(); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("Kinds() = %v, want %v first", got, want)
	}
	for _, name := range want {
		if k, ok := Lookup(name); !ok || k.Name() != name {
			t.Errorf("Lookup(%q) = %v, %t", name, k, ok)
		}
	}
}

func TestAcceptingOptions(t *testing.T) {
	for o, want := range map[Option][]string{
		OptionGrouping:   {KindDecoder, KindICA, KindRMLE, KindUnSplit},
		OptionAffinity:   {KindDecoder, KindGroupMatching, KindICA, KindRMLE, KindUnSplit},
		OptionAttributes: {KindAttribute},
		OptionEpochs:     {KindDecoder, KindFORA, KindRMLE},
		OptionIterations: {KindRMLE, KindUnSplit},
		OptionInit:       {KindRMLE},
		OptionShadow:     {KindDecoder, KindFORA, KindRMLE},
	} {
		if got := Accepting(o); !slices.Equal(got, want) {
			t.Errorf("Accepting(%s) = %v, want %v", o, got, want)
		}
	}
}

// Applies decides from the config alone what Run decides on a capture.
func TestApplies(t *testing.T) {
	for _, c := range []struct {
		name string
		spec Spec
		cell Cell
		why  string // part of the reason; "" when it applies
	}{
		{"inversion at split 0", Spec{Kind: KindInversion}, Cell{Split: 0, K: 2}, ""},
		{"inversion without head", Spec{Kind: KindInversion}, Cell{Split: 2, K: 2}, "needs the head's weights to turn auxiliary images into uploads at split 2"},
		{"inversion with head", Spec{Kind: KindInversion, HeadWeights: true}, Cell{Split: 2, K: 1}, ""},
		{"ica k=1", Spec{Kind: KindICA}, Cell{K: 1, Shuffled: true}, "k = 1: one upload per group"},
		{"ica without head", Spec{Kind: KindICA}, Cell{Split: 1, K: 2}, ""},
		{"group matching k=1 before shuffling", Spec{Kind: KindGroupMatching}, Cell{K: 1}, "k = 1: every upload is its own group"},
		{"group matching unshuffled", Spec{Kind: KindGroupMatching}, Cell{K: 2}, "uploads are not shuffled"},
		{"group matching", Spec{Kind: KindGroupMatching}, Cell{Split: 1, K: 4, Shuffled: true}, ""},
		{"output without head", Spec{Kind: KindOutput}, Cell{Split: 1, K: 2}, "head's weights"},
		{"attribute without head", Spec{Kind: KindAttribute}, Cell{Split: 1, K: 2}, "head's weights"},
		{"decoder without head: a shadow head", Spec{Kind: KindDecoder}, Cell{Split: 2, K: 1}, ""},
		{"rmle without head: a shadow head", Spec{Kind: KindRMLE}, Cell{Split: 1, K: 4, Shuffled: true}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, why := c.spec.Applies(c.cell)
			if ok != (c.why == "") || !strings.Contains(why, c.why) {
				t.Errorf("Applies = %t, %q, want %q", ok, why, c.why)
			}
		})
	}
}
