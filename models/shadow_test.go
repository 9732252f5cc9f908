package models

import "testing"

// TestTrainableCoversEveryWeight: a trainer without frozen layers updates every weight of
// every architecture, in parameter order.
func TestTrainableCoversEveryWeight(t *testing.T) {
	for _, name := range Names() {
		n := mustNet(t, name, 1, 1)
		idx := n.trainable(nil)
		if len(idx) != len(n.params) {
			t.Errorf("%s: %d of %d weights trainable", name, len(idx), len(n.params))
			continue
		}
		for i, j := range idx {
			if i != j {
				t.Errorf("%s: weight %d at position %d", name, j, i)
				break
			}
		}
	}
}
