package config

import (
	"slices"

	"github.com/datamix/harness/attacks"
)

// The sizes of a tiny run (see Config.Tiny): enough for a few training steps and an
// evaluation, so that every path of a config runs in seconds.
const (
	TinyTrain = 128
	TinyTest  = 64
)

// Tiny shrinks c in place into a smoke test of itself: at most TinyTrain training examples
// (but at least two batches) and TinyTest test examples, and one epoch. Everything else,
// the sweep included, is kept, so every cell still runs; a swept dataset limit or epoch
// count overrides these values in its cells. The cells get IDs of their own, so a tiny run
// never passes for a full one. A wire section serves one pool through each of its two fastest
// links and runs each scaling point briefly with at most 4 edges (tinyWire).
func (c *Config) Tiny() {
	train := max(TinyTrain, 2*c.Train.BatchSize)
	if c.Dataset.TrainLimit == 0 || c.Dataset.TrainLimit > train {
		c.Dataset.TrainLimit = train
	}
	if c.Dataset.TestLimit == 0 || c.Dataset.TestLimit > TinyTest {
		c.Dataset.TestLimit = TinyTest
	}
	c.Train.Epochs = 1
	c.tinyWire()
	for i := range c.Attacks { // attacks draw from the shrunk splits
		s := c.Attacks[i].Spec()
		c.Attacks[i].Aux = min(s.Aux, c.Dataset.TrainLimit)
		c.Attacks[i].Victims = min(s.Victims, c.Dataset.TestLimit)
		// A few steps of the attacker's own training: every path runs, in seconds.
		for _, o := range []struct {
			opt attacks.Option
			v   *int
			max int
		}{{attacks.OptionEpochs, &c.Attacks[i].Epochs, 1}, {attacks.OptionIterations, &c.Attacks[i].Iterations, 5},
			{attacks.OptionShadow, &c.Attacks[i].ShadowEpochs, 1}} {
			if slices.Contains(attacks.Accepting(o.opt), c.Attacks[i].Kind) {
				*o.v = o.max
			}
		}
	}
}
