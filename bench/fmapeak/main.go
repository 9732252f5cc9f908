// Command fmapeak measures one core's peak single-precision FMA throughput on this machine —
// the ceiling of any direct (non-Winograd, non-FFT) convolution or matrix multiply — with
// twelve independent chains of fused multiply-adds on AVX2 (8-wide) and, where the CPU has it,
// AVX-512 (16-wide) registers. bench/compare.sh prints it beside the networks' arithmetic
// rates, so that a throughput target can be read against what the core can do at all.
//
// Usage: go run ./bench/fmapeak     prints "avx2 <GFLOP/s>" and "avx512 <GFLOP/s>" (or
// "avx512 -" without AVX-512), the best of five runs of about 0.2 s each on one goroutine
// locked to its thread, timed by that thread's CPU time (the wall clock where the system has
// no per-thread clock); then "flops <case> <MFLOP per sample>" for each case of
// bench/compare.sh, from the networks' analytic FLOPs (models.Net.FLOPs, models.Decoder.FLOPs):
// an inference case is the forward pass; a training step is counted as three forward passes
// (forward, weight gradient, input gradient), the usual convention, except the decoder, whose
// first layer has no input gradient and is counted exactly.
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"

	"github.com/datamix/harness/models"
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
	if err := printFLOPs(); err != nil {
		fmt.Fprintln(os.Stderr, "fmapeak:", err)
		os.Exit(1)
	}
}

// printFLOPs prints the arithmetic per sample of bench/compare.sh's cases.
func printFLOPs() error {
	rng := rand.New(rand.NewPCG(1, 1))
	fwd := map[string]float64{}
	for _, name := range []string{"mnist-cnn", "mnist-resnet8", "cifar-resnet20"} {
		a, err := models.Lookup(name)
		if err != nil {
			return err
		}
		n, err := models.New(a, 10, 1, rng)
		if err != nil {
			return err
		}
		c := n.FLOPs()
		fwd[name] = float64(c.Head + c.Body + c.Tail)
	}
	train := func(arch string) float64 { return 3 * fwd[arch] }
	cases := []struct {
		name  string
		flops float64
	}{
		{"train/baseline", train("mnist-cnn")}, {"train/datamix-k2", train("mnist-cnn")},
		{"infer/batch500", fwd["mnist-cnn"]},
		{"train/mnist-resnet8", train("mnist-resnet8")}, {"train/mnist-resnet8-k2", train("mnist-resnet8")},
		{"infer/mnist-resnet8-batch500", fwd["mnist-resnet8"]}, {"infer/mnist-resnet8-batch64", fwd["mnist-resnet8"]},
		{"train/cifar-resnet20", train("cifar-resnet20")}, {"train/cifar-resnet20-k2", train("cifar-resnet20")},
		{"infer/cifar-resnet20-batch500", fwd["cifar-resnet20"]},
	}
	// The decoder of models.BenchmarkDecoderStep: forward, every layer's weight gradient, and
	// the input gradient of every layer but the first (its input is data).
	d, err := models.NewDecoder([]int{16, 14, 14}, 1, 28, 28, 16, rng)
	if err != nil {
		return err
	}
	first := 2.0 * 32 * 14 * 14 * 16 * 9 // conv3×3 16→32 at 14×14
	f := float64(d.FLOPs())
	cases = append(cases, struct {
		name  string
		flops float64
	}{"train/decoder", 3*f - first})
	for _, c := range cases {
		fmt.Printf("flops %s %.3f\n", c.name, c.flops/1e6)
	}
	return nil
}

// best returns the highest GFLOP/s of five timed runs of f, each sized to take about 0.2 s,
// timed by the CPU time of the calling thread (locked to it), so that other jobs on the
// machine, which take the core away between runs and slices, do not lower the figure.
func best(f func(int), flopsPerIter float64) float64 {
	const iters = 20_000_000
	f(iters / 100) // warm up (and let the clock settle)
	var top float64
	for range 5 {
		t0 := threadCPU()
		f(iters)
		if r := flopsPerIter * iters / (threadCPU() - t0).Seconds() / 1e9; r > top {
			top = r
		}
	}
	return top
}
