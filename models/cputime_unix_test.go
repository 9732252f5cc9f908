//go:build unix

package models

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user+system) this process has used so far. Benchmarks report it
// per operation next to wall time: on a machine shared with other jobs it is the steadier
// measure of the work an operation costs.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
