package results

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimingsAWK runs reproduce.sh's closing table, timings.awk, on two configs' logs: cells
// counted, training to each cell's last epoch (a reused network's cell trains for 0 s), the
// attacks summed from the cell lines, hours included, and the attacks listed costliest first.
func TestTimingsAWK(t *testing.T) {
	awk, err := exec.LookPath("awk")
	if err != nil {
		t.Skip("no awk on PATH")
	}
	prog, err := filepath.Abs("timings.awk")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logs := map[string]string{
		"privacy": `cell 1/3 epoch 1/2: loss 0.3, train accuracy 90.00% (1m0s)
cell 2/3 epoch 1/2: loss 0.3, train accuracy 90.00% (1m30s)
cell 1/3 epoch 2/2: loss 0.2, train accuracy 95.00% (2m0s)
cell 1/3 aaaaaaaaaaaa: accuracy 97.20% (7m12s; attacks 5m1s: fora 3m10s, unsplit 1m49s, ica 2s (+2 under 0.5s)) datamix seed=1 (k) [1/3 done]
cell 2/3 epoch 2/2: loss 0.2, train accuracy 95.00% (3m0s)
cell 2/3 bbbbbbbbbbbb: accuracy 96.00% (1h5m0s; attacks 1h2m0s: unsplit 1h0m0s, fora 2m0s) datamix seed=2 [2/3 done]
cell 3/3 cccccccccccc: accuracy 96.00% (5s; attacks 1s: 3 under 0.5s) datamix seed=3 [3/3 done]
`,
		"accuracy": `cell 1/1 epoch 1/1: loss 0.3, train accuracy 90.00% (45s)
cell 1/1 dddddddddddd: accuracy 99.00% (50s) baseline [1/1 done]
`,
	}
	if err := os.Mkdir(filepath.Join(dir, "runs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, log := range logs {
		if err := os.WriteFile(filepath.Join(dir, "runs", name+".log"), []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	times := filepath.Join(dir, "times")
	if err := os.WriteFile(times, []byte("privacy\t4000\t1048576\tok\naccuracy\t60\t524288\tfailed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(awk, "-F\t", "-v", "total=4061", "-f", prog, times)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("awk: %v\n%s", err, out)
	}
	want := []string{
		"privacy                                          1:06:40      1024 MiB      3   0:05:00   1:07:02  ok",
		"accuracy                                         0:01:00       512 MiB      1   0:00:45   0:00:00  failed",
		"total (this invocation)                          1:07:41",
		"  privacy: unsplit 1:01:49 (92%), fora 0:05:10 (8%), ica 0:00:02 (0%)",
	}
	got := string(out)
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("missing line %q in:\n%s", w, got)
		}
	}
	if strings.Contains(got, "  accuracy:") {
		t.Errorf("a config without attacks is listed among the attacks:\n%s", got)
	}
}
