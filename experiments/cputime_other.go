//go:build !unix

package experiments

import "math"

// processCPU is NaN where getrusage is not available: edge CPU time is not measured.
func processCPU() float64 { return math.NaN() }
