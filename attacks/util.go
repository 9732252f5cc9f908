package attacks

import "gonum.org/v1/gonum/mat"

func invert(c *mat.Dense) *mat.Dense {
	var ci mat.Dense
	if err := ci.Inverse(c); err != nil {
		return nil
	}
	return &ci
}
