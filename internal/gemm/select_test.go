package gemm

import (
	"os"
	"strings"
	"testing"
)

// TestGODEBUGSelectsGo: GODEBUG=cpu.avx2=off, which .ci/run sets for one pass of the tests,
// must select the pure-Go kernels, whatever the build; the test log says which ran.
func TestGODEBUGSelectsGo(t *testing.T) {
	off := strings.Contains(","+os.Getenv("GODEBUG")+",", ",cpu.avx2=off,")
	if off && useAsm {
		t.Fatal("GODEBUG=cpu.avx2=off, but the AVX2 kernels are selected")
	}
	switch {
	case useAVX512:
		t.Log("kernels: AVX-512 and AVX2/FMA assembly")
	case useAsm:
		t.Log("kernels: AVX2/FMA assembly")
	default:
		t.Log("kernels: pure Go")
	}
}

// TestGODEBUGSelectsAVX2: GODEBUG=cpu.avx512f=off, which .ci/run sets for one pass of the
// tests, must leave only the AVX2 kernels (or the Go ones) selected.
func TestGODEBUGSelectsAVX2(t *testing.T) {
	off := strings.Contains(","+os.Getenv("GODEBUG")+",", ",cpu.avx512f=off,")
	if off && useAVX512 {
		t.Fatal("GODEBUG=cpu.avx512f=off, but the AVX-512 kernels are selected")
	}
}
