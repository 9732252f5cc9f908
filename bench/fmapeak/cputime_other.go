//go:build !linux

package main

import "time"

var start = time.Now()

// threadCPU is the wall clock where no per-thread CPU clock is at hand.
func threadCPU() time.Duration { return time.Since(start) }
