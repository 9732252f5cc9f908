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
	if useAsm {
		t.Log("kernels: AVX2/FMA assembly")
	} else {
		t.Log("kernels: pure Go")
	}
}
