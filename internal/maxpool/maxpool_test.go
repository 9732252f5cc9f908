package maxpool

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naive pools with float comparisons in the obvious way.
func naive(h, w, c int, act, bias []float32) (y []float32, arg []int32) {
	ph, pw := h/2, w/2
	y, arg = make([]float32, ph*pw*c), make([]int32, ph*pw*c)
	for i := range ph {
		for j := range pw {
			for ch := range c {
				best, at := float32(-1), int32(0)
				for d := range 4 {
					v := act[((2*i+d/2)*w+2*j+d%2)*c+ch] + bias[ch]
					v = max(v, 0)
					if v > best {
						best, at = v, int32(d)
					}
				}
				y[(i*pw+j)*c+ch], arg[(i*pw+j)*c+ch] = best, at
			}
		}
	}
	return y, arg
}

func TestMaxReLU2x2(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{2, 2, 8}, {4, 6, 16}, {7, 5, 24}, {28, 28, 16}, {3, 3, 3}, {1, 4, 8}} {
		h, w, c := s[0], s[1], s[2]
		act := make([]float32, h*w*c)
		for i := range act {
			// Coarse values so that ties (and all-negative windows) happen.
			act[i] = float32(rng.IntN(9)-4) / 2
		}
		bias := make([]float32, c)
		for i := range bias {
			bias[i] = float32(rng.IntN(3)-1) / 2
		}
		wantY, wantArg := naive(h, w, c, act, bias)
		for _, withArg := range []bool{true, false} {
			y := make([]float32, len(wantY))
			var arg []int32
			if withArg {
				arg = make([]int32, len(wantArg))
			}
			MaxReLU2x2(h, w, c, act, bias, y, arg)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) || withArg && arg[i] != wantArg[i] {
					t.Fatalf("%v arg=%v: [%d] = %v at %v, want %v at %v", s, withArg, i, y[i], arg, wantY[i], wantArg[i])
				}
			}
			if useAsm && c%8 == 0 {
				yg, ag := make([]float32, len(y)), make([]int32, len(y))
				maxReLUGo(h/2, w/2, w, c, act, bias, yg, ag)
				for i := range yg {
					if math.Float32bits(yg[i]) != math.Float32bits(y[i]) || withArg && ag[i] != arg[i] {
						t.Fatalf("%v: assembly and Go differ at %d", s, i)
					}
				}
			}
		}
	}
}

func BenchmarkMaxReLU2x2(b *testing.B) {
	const h, w, c = 28, 28, 16
	act, bias := make([]float32, h*w*c), make([]float32, c)
	for i := range act {
		act[i] = float32(i%7) - 3
	}
	y, arg := make([]float32, h*w*c/4), make([]int32, h*w*c/4)
	for b.Loop() {
		MaxReLU2x2(h, w, c, act, bias, y, arg)
	}
}
