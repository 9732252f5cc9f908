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
