package attacks

import "testing"

func TestOutputInferenceAboveChance(t *testing.T) {
	env := pixelEnv(t, 200, 2, 200, true, 3)
	res := run(t, Spec{Kind: KindOutput, HeadWeights: true}, env)
	if acc, chance := res.Metrics["output_acc"], res.Metrics["output_chance"]; !(acc > chance+0.2) {
		t.Errorf("output_acc = %g, chance %g: want well above chance", acc, chance)
	}
}
