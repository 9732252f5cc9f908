package config

import (
	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/mixing"
)

// guardTries bounds the resampling of ill-conditioned coefficient matrices. For Dirichlet(1)
// rows at k ≤ 16 and max_cond 100 a draw is rejected far less than half the time, so 1000
// tries fail only for impossible settings.
const guardTries = 1000

// Scheme is how cell c serves: for a DataMix cell the configured mixing (group size,
// coefficient sampler, guard, shuffling) and defences, as one datamix.Scheme that the
// pipeline, training and the attacks receive whole; for a baseline the unmixed network.
func (c *Cell) Scheme() (datamix.Scheme, error) {
	if c.Variant != VariantDataMix {
		return datamix.Scheme{Scheme: mixing.Scheme{K: 1}}, nil
	}
	m := c.Config.Mixing
	sampler, err := mixing.NewSampler(m.Coefficients, m.Alpha, m.Matrix)
	if err != nil {
		return datamix.Scheme{}, err
	}
	defs, err := c.Config.DefenceStack()
	if err != nil {
		return datamix.Scheme{}, err
	}
	return datamix.Scheme{
		Scheme:   mixing.Scheme{K: m.GroupSize, Sampler: sampler, Guard: mixing.Guard{MaxCond: m.MaxCond, MaxTries: guardTries}, Shuffle: m.Shuffle},
		Defences: defs,
	}, nil
}
