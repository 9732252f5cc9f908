//go:build amd64 && !purego

package maxpool

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestTwinMaxReLU runs the pool with the AVX2 assembly and with its Go twin on random
// shapes (odd sides, 8 to 64 channels) and values that include ties, signed zeros, denormals
// and NaNs of both signs: the results and argmaxes must agree bit for bit, and both must
// agree with the naive float loop where no NaN is involved.
func TestTwinMaxReLU(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly kernel selected")
	}
	rng := rand.New(rand.NewPCG(31, 32))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, float32(math.NaN()),
		math.Float32frombits(0xffc00000) /* −NaN */, float32(math.Inf(1)), float32(math.Inf(-1))}
	for range 80 {
		h, w, c := 1+rng.IntN(15), 1+rng.IntN(15), 8*(1+rng.IntN(8))
		withNaN := rng.IntN(2) == 0
		act := make([]float32, h*w*c)
		for i := range act {
			switch r := rng.IntN(10); {
			case r < 4:
				act[i] = float32(rng.IntN(9)-4) / 2 // ties
			case r < 5 && withNaN:
				act[i] = special[rng.IntN(len(special))]
			case r < 5:
				act[i] = special[rng.IntN(4)]
			default:
				act[i] = rng.Float32()*4 - 2
			}
		}
		bias := make([]float32, c)
		for i := range bias {
			bias[i] = float32(rng.IntN(5)-2) / 2
		}
		n := (h / 2) * (w / 2) * c
		yA, yG := make([]float32, n), make([]float32, n)
		aA, aG := make([]int32, n), make([]int32, n)
		MaxReLU2x2(h, w, c, act, bias, yA, aA)
		useAsm = false
		MaxReLU2x2(h, w, c, act, bias, yG, aG)
		useAsm = true
		for i := range yA {
			if math.Float32bits(yA[i]) != math.Float32bits(yG[i]) || aA[i] != aG[i] {
				t.Fatalf("%d×%d×%d: [%d]: assembly %v at %d, Go %v at %d", h, w, c, i, yA[i], aA[i], yG[i], aG[i])
			}
		}
		if !withNaN {
			wantY, wantArg := naive(h, w, c, act, bias)
			for i := range wantY {
				if math.Float32bits(yG[i]) != math.Float32bits(wantY[i]) || aG[i] != wantArg[i] {
					t.Fatalf("%d×%d×%d: [%d]: Go %v at %d, naive %v at %d", h, w, c, i, yG[i], aG[i], wantY[i], wantArg[i])
				}
			}
		}
	}
}

// TestKernelSelected: on a CPU with AVX2 the assembly is used, unless GODEBUG turns it off.
func TestKernelSelected(t *testing.T) {
	if useAsm != cpu.X86.HasAVX2 {
		t.Errorf("assembly selected: %v; CPU (as GODEBUG leaves it) has AVX2 %v", useAsm, cpu.X86.HasAVX2)
	}
}
