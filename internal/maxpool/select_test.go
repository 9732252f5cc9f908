package maxpool

import (
	"os"
	"strings"
	"testing"
)

// TestGODEBUGSelectsGo: GODEBUG=cpu.avx2=off, which .ci/run sets for one pass of the tests,
// must select the pure-Go loop, whatever the build; the test log says which ran.
func TestGODEBUGSelectsGo(t *testing.T) {
	if strings.Contains(","+os.Getenv("GODEBUG")+",", ",cpu.avx2=off,") && useAsm {
		t.Fatal("GODEBUG=cpu.avx2=off, but the AVX2 loop is selected")
	}
	if useAsm {
		t.Log("kernel: AVX2 assembly")
	} else {
		t.Log("kernel: pure Go")
	}
}
