// Command fmapeak measures one core's peak single-precision FMA throughput on this machine —
// the ceiling of any direct (non-Winograd, non-FFT) convolution or matrix multiply — with
// twelve independent chains of fused multiply-adds on AVX2 (8-wide) and, where the CPU has it,
// AVX-512 (16-wide) registers. bench/compare.sh prints it beside the networks' arithmetic
// rates, so that a throughput target can be read against what the core can do at all.
//
// Usage: go run ./bench/fmapeak     prints "avx2 <GFLOP/s>" and "avx512 <GFLOP/s>" (or
// "avx512 -" without AVX-512), the best of five runs of about 0.2 s each on one goroutine
// locked to its thread.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/cpu"
)

func main() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		fmt.Fprintln(os.Stderr, "fmapeak: needs an amd64 CPU with AVX2 and FMA")
		os.Exit(1)
	}
	runtime.LockOSThread()
	fmt.Printf("avx2 %.1f\n", best(fmaYMM, 192))
	if cpu.X86.HasAVX512F {
		fmt.Printf("avx512 %.1f\n", best(fmaZMM, 384))
	} else {
		fmt.Println("avx512 -")
	}
}

// best returns the highest GFLOP/s of five timed runs of f, each sized to take about 0.2 s.
func best(f func(int), flopsPerIter float64) float64 {
	const iters = 20_000_000
	f(iters / 100) // warm up (and let the clock settle)
	var top float64
	for range 5 {
		t0 := time.Now()
		f(iters)
		if r := flopsPerIter * iters / time.Since(t0).Seconds() / 1e9; r > top {
			top = r
		}
	}
	return top
}
