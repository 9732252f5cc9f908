package attacks

import "testing"

// The attribute attack's sanity check: on unmixed uploads (k = 1) it is far above
// chance. Ridge on raw pixels reaches about 0.8 on digits (chance about 0.13); 0.5 above chance
// leaves a wide margin.
func TestAttributeUnmixedFarAboveChance(t *testing.T) {
	env := pixelEnv(t, 200, 1, 200, false, 2)
	res := run(t, Spec{Kind: KindAttribute, HeadWeights: true}, env)
	for _, a := range []string{"label", "ink"} {
		acc, chance := res.Metrics["attr_"+a+"_acc"], res.Metrics["attr_"+a+"_chance"]
		margin := 0.5
		if a == "ink" {
			margin = 0.2 // a binary attribute: chance is about 0.5-0.6, accuracy about 0.9
		}
		if !(acc >= chance+margin) {
			t.Errorf("attr_%s_acc = %g, chance %g: want ≥ chance + %g", a, acc, chance, margin)
		}
	}
}
