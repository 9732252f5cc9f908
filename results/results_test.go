package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sampleRows are rows exercising every column: a baseline, two DataMix cells with partly
// overlapping metrics, awkward floats, and notes.
func sampleRows() []Row {
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	base := Row{
		Cell: "6782db6aa5b0", Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
		Split: 0, GroupSize: 1, Coefficients: "none", Alpha: 0, Shuffle: false, Seed: 1,
		TrainLimit: 10000, TestLimit: 2000, Epochs: 2, BatchSize: 64, LR: 0.001,
		Accuracy: 0.9785, TrainLoss: tenth + fifth, TrainAccuracy: 0.95,
		EdgeFLOPs: 4_000_000, CloudFLOPs: 0, EdgeFLOPsFrac: 1,
		TrainSeconds: 12.345, EvalSeconds: 0.5,
	}
	k2 := base
	k2.Cell, k2.Variant, k2.Split, k2.GroupSize, k2.Coefficients, k2.Alpha, k2.Shuffle = "5cd7b156553c", "datamix", 1, 2, "dirichlet", 1, true
	k2.ShufflePool = 500
	k2.Accuracy = 0.9735
	k2.EdgeFLOPs, k2.CloudFLOPs, k2.EdgeFLOPsFrac = 450_000, 3_550_000, 450_000.0/4_000_000
	k2.UploadBytesPerSample, k2.DownloadBytesPerSample = 9216, 512
	k2.Metrics = map[string]float64{"ica_corr": 0.92, "match_acc": math.NaN()}
	k2.Notes = map[string]string{"inversion": "skipped: no decoder, \"quoted\", a,b"}
	k4 := k2
	k4.Cell, k4.GroupSize, k4.Accuracy = "ed7ce179e355", 4, 0.95
	k4.Metrics = map[string]float64{"attr_acc": math.Inf(1), "ica_corr": 5e-324}
	k4.Notes = nil
	k4.Defence = "noise(gaussian, 0.5)"
	k4.Seed = math.MaxUint64
	k4.LR = math.SmallestNonzeroFloat64
	k4.TrainSeconds = math.MaxFloat64
	return []Row{base, k2, k4}
}

// equalRows compares rows, NaN equal to NaN.
func equalRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		gm, wm := g.Metrics, w.Metrics
		g.Metrics, w.Metrics = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, w)
		}
		if len(gm) != len(wm) {
			t.Errorf("row %d: metrics %v, want %v", i, gm, wm)
		}
		for k, wv := range wm {
			gv, ok := gm[k]
			if !ok || !(gv == wv || math.IsNaN(gv) && math.IsNaN(wv)) || math.Signbit(gv) != math.Signbit(wv) {
				t.Errorf("row %d: metric %s = %v (present %v), want %v", i, k, gv, ok, wv)
			}
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.csv")
	rows := sampleRows()
	if err := WriteCSV(path, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, got, rows)

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	wantHeader := "cell,variant,dataset,arch,split,group_size,coefficients,alpha,shuffle,shuffle_pool,defence,seed,train_limit," +
		"test_limit,epochs,batch_size,lr,accuracy,train_loss,train_accuracy,edge_flops,cloud_flops," +
		"edge_flops_frac,upload_bytes_per_sample,download_bytes_per_sample,train_seconds,eval_seconds," +
		"attr_acc,ica_corr,match_acc,verdict,verdict_by,notes"
	if lines[0] != wantHeader {
		t.Errorf("header\n %s\nwant\n %s", lines[0], wantHeader)
	}
	// The baseline has no metrics and no verdict: empty fields. The shortest exact form of 0.1+0.2.
	if want := "6782db6aa5b0,baseline,mnist,mnist-cnn,0,1,none,0,false,0,,1,10000,2000,2,64,0.001,0.9785,0.30000000000000004,0.95,4000000,0,1,0,0,12.345,0.5,,,,,,"; lines[1] != want {
		t.Errorf("baseline line\n %s\nwant\n %s", lines[1], want)
	}
	// Its metrics decide no verdict (ica_corr and match_acc are no criterion): an empty one.
	if !strings.HasSuffix(lines[2], `,,0.92,NaN,,,"{""inversion"":""skipped: no decoder, \""quoted\"", a,b""}"`) {
		t.Errorf("k=2 line lacks its metrics and notes: %s", lines[2])
	}
}

func TestCSVEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.csv")
	if err := WriteCSV(path, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadCSV(path)
	if err != nil || len(rows) != 0 {
		t.Errorf("ReadCSV of no rows = %v, %v", rows, err)
	}
}

func TestCSVErrors(t *testing.T) {
	dir := t.TempDir()
	rows := sampleRows()
	rows[0].Metrics = map[string]float64{"accuracy": 1}
	if err := WriteCSV(filepath.Join(dir, "a.csv"), rows); err == nil || !strings.Contains(err.Error(), `metric "accuracy" has the name of a fixed column`) {
		t.Errorf("metric named like a column: error %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused write left a file: %v", err)
	}

	good := filepath.Join(dir, "good.csv")
	if err := WriteCSV(good, sampleRows()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	for _, tc := range []struct {
		name, content, want string
	}{
		{"empty", "", "empty file, need a header"},
		{"wrong header", strings.Replace(string(b), "group_size", "k", 1), "header"},
		{"no notes column", strings.Replace(string(b), ",notes\n", "\n", 1), "header"},
		{"bad number", strings.Replace(string(b), ",0.9735,", ",high,", 1), `line 3: column accuracy: "high" is not a number`},
		{"bad bool", strings.Replace(string(b), ",false,0,,1,", ",no,0,,1,", 1), `line 2: column shuffle: "no" is not true or false`},
		{"bad metric", strings.Replace(string(b), ",0.92,", ",x,", 1), `line 3: column ica_corr: "x" is not a number`},
		{"short record", strings.Replace(string(b), ",12.345,0.5,,,,,,\n", ",12.345\n", 1), "wrong number of fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadCSV(path)
			if err == nil || !strings.HasPrefix(err.Error(), "results: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	rows := sampleRows()
	if err := WriteJSON(path, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	equalRows(t, got, rows)
	b, _ := os.ReadFile(path)
	for _, want := range []string{`"group_size": 2`, `"edge_flops_frac": 0.1125`, `"match_acc": "NaN"`, `"attr_acc": "+Inf"`,
		`"seed": 18446744073709551615`, `"train_loss": 0.30000000000000004`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("results.json lacks %s", want)
		}
	}

	// A single row through encoding/json, as a cell's row.json is written and read.
	one, err := json.Marshal(rows[1])
	if err != nil {
		t.Fatal(err)
	}
	var back Row
	if err := json.Unmarshal(one, &back); err != nil {
		t.Fatal(err)
	}
	equalRows(t, []Row{back}, rows[1:2])

	// Empty maps read back as nil.
	r := Row{Metrics: map[string]float64{}, Notes: map[string]string{}}
	one, _ = json.Marshal(r)
	back = Row{}
	if err := json.Unmarshal(one, &back); err != nil || back.Metrics != nil || back.Notes != nil {
		t.Errorf("empty maps: %+v, %v", back, err)
	}
}

func TestJSONEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	if err := WriteJSON(path, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "[]\n" {
		t.Errorf("no rows written as %q, want []", b)
	}
	if rows, err := ReadJSON(path); err != nil || len(rows) != 0 {
		t.Errorf("ReadJSON = %v, %v", rows, err)
	}
}

func TestJSONErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"unknown field", `[{"cell": "a", "acuracy": 1}]`, `unknown field "acuracy"`},
		{"trailing data", `[{"cell": "a"}] [1]`, "data after the array of rows"},
		{"not a number", `[{"accuracy": "high"}]`, "is not a number"},
		{"truncated", `[{"cell": "a"`, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "r.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadJSON(path)
			if err == nil || !strings.HasPrefix(err.Error(), "results: read "+path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming the file and containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadJSON(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "first")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("content %q, want first", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v, want 0644", fi.Mode(), err)
	}

	// A failing write leaves the old file as it was, and no temporary file.
	boom := errors.New("boom")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "results: write "+path) {
		t.Errorf("error %v, want boom wrapped with the path", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("after a failed write the file holds %q, want first", b)
	}

	// A failing write of a new file leaves nothing.
	fresh := filepath.Join(dir, "fresh.txt")
	if err := WriteFileAtomic(fresh, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed write created the file: %v", err)
	}

	// So does a panicking one.
	func() {
		defer func() {
			if r := recover(); r != "writer bug" {
				t.Errorf("panic %v, want the writer's own (writer bug) to propagate", r)
			}
		}()
		WriteFileAtomic(fresh, func(w io.Writer) error { panic("writer bug") })
	}()

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "out.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want only out.txt", names)
	}

	// A directory that does not exist is an error, not a panic.
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "dir.txt"), func(io.Writer) error { return nil }); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	rows := sampleRows()
	rows[2].Coefficients = "a|b"
	// A DataMix row with no matching baseline (another seed).
	orphan := rows[1]
	orphan.Cell, orphan.Seed, orphan.Notes = "0000000000aa", 99, nil
	rows = append(rows, orphan)
	if err := WriteSummary(path, "quickstart", rows); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"# quickstart\n",
		"| variant | split | k | coefficients | shuffle | seed | accuracy | gap (pp) | edge FLOPs | upload B/sample | download B/sample | train s |\n",
		// Baseline 97.85%; k=2 97.35% → −0.50 points; edge share 450k/4M, printed 11.2%.
		"| baseline | 0 | 1 | none | false | 1 | 97.85% | — | 100.0% | 0 | 0 | 12.3 |\n",
		"| datamix | 1 | 2 | dirichlet | true | 1 | 97.35% | -0.50 | 11.2% | 9216 | 512 | 12.3 |\n",
		// k=4 seed MaxUint64 has no baseline; its coefficients cell escapes the pipe.
		"| datamix | 1 | 4 | a\\|b | true | 18446744073709551615 | 95.00% | — |",
		"| datamix | 1 | 2 | dirichlet | true | 99 | 97.35% | — |",
		"## Notes\n\n- `5cd7b156553c` (datamix): inversion: skipped: no decoder, \"quoted\", a,b\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "\n- ") != 1 {
		t.Errorf("want exactly one notes line:\n%s", s)
	}
}

// TestSummaryGap checks the sign and size of the gap against a hand computation.
func TestSummaryGap(t *testing.T) {
	base := Row{Cell: "b", Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn", Seed: 3, Epochs: 1, BatchSize: 32, LR: 0.01, Accuracy: 0.9}
	better := base
	better.Cell, better.Variant, better.Accuracy = "d", "datamix", 0.9125
	otherLR := better
	otherLR.Cell, otherLR.LR = "e", 0.02 // trained differently: no baseline
	var sb strings.Builder
	if err := summary(&sb, "", []Row{better, base, otherLR}); err != nil {
		t.Fatal(err)
	}
	s := sb.String()
	if !strings.HasPrefix(s, "# Results\n") {
		t.Errorf("untitled summary starts %q", s[:20])
	}
	// 91.25% − 90.00% = +1.25 points, even though the baseline row comes later.
	if !strings.Contains(s, "| 91.25% | +1.25 |") {
		t.Errorf("summary lacks the +1.25 gap:\n%s", s)
	}
	if strings.Count(s, "| 91.25% | — |") != 1 {
		t.Errorf("the row trained with another lr should have no gap:\n%s", s)
	}
}

// TestSummaryEpochs: rows that differ only in their epochs (a sweep over train.epochs) get an
// epochs column, each DataMix row its gap to the baseline of its own epochs; rows of one
// length get none.
func TestSummaryEpochs(t *testing.T) {
	var rows []Row
	for i, e := range []int{5, 30} {
		b := Row{Cell: fmt.Sprint("b", e), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn", Seed: 1, Epochs: e, BatchSize: 64, LR: 0.001, Accuracy: 0.9 + 0.01*float64(i)}
		d := b
		d.Cell, d.Variant, d.GroupSize, d.Accuracy = fmt.Sprint("d", e), "datamix", 2, b.Accuracy-0.05+0.02*float64(i)
		rows = append(rows, b, d)
	}
	var sb strings.Builder
	if err := summary(&sb, "", rows); err != nil {
		t.Fatal(err)
	}
	s := sb.String()
	for _, want := range []string{"| seed | epochs | accuracy |", "| 1 | 5 | 85.00% | -5.00 |", "| 1 | 30 | 88.00% | -3.00 |"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	sb.Reset()
	if err := summary(&sb, "", rows[:2]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sb.String(), "epochs") {
		t.Errorf("rows of one length got an epochs column:\n%s", sb.String())
	}
}

func TestSummarySeedTable(t *testing.T) {
	var b strings.Builder
	if err := summary(&b, "sweep", sweepRows()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, w := range []string{
		"## Over seeds",
		// k=1 split 0: accuracies 97.2, 97.4, 97.6 → 97.40 ± 0.20, CI t(0.975,2)·0.2/√3 = 0.50.
		"| datamix | 0 | 1 | dirichlet | true | 3 | 97.40 ± 0.20% | ±0.50 | -0.80 ± 0.10 | 5.0 ± 0.0% |",
		// The NaN cell (seed 1, k=4, split 0) leaves two seeds.
		"(n=2)",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}
	// One seed per configuration: no seed table.
	b.Reset()
	if err := summary(&b, "one", sweepRows()[:7]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Over seeds") {
		t.Errorf("seed table for single seeds:\n%s", b.String())
	}
}

// The reconstruction table gives, per configuration and column of reconstructions, the mean
// SSIM and the recovered fractions as mean ± s.d. over seeds.
func TestSummaryReconTable(t *testing.T) {
	base := Row{Cell: "a", Variant: "datamix", Dataset: "mnist", Arch: "mnist-cnn", Split: 1, GroupSize: 2,
		Coefficients: "dirichlet", Alpha: 1, Shuffle: true, Seed: 1, Epochs: 1, BatchSize: 32, LR: 0.01}
	second := base
	second.Cell, second.Seed = "b", 2
	base.Metrics = map[string]float64{"ica_strong_ssim": 0.8, "ica_strong_recovered30": 0.9, "ica_strong_recovered90": 0.2, "ica_strong_psnr_median": 20, "ica_corr": 0.9}
	second.Metrics = map[string]float64{"ica_strong_ssim": 0.9, "ica_strong_recovered30": 1, "ica_strong_recovered90": 0.4, "ica_strong_psnr_median": 22, "ica_corr": 0.95}
	var b strings.Builder
	if err := summary(&b, "", []Row{base, second}); err != nil {
		t.Fatal(err)
	}
	// 0.8 and 0.9: mean 0.85, s.d. 0.0707; 0.9 and 1: 0.95 ± 0.071; 0.2 and 0.4: 0.30 ± 0.141.
	want := "| datamix | 1 | 2 | dirichlet | true | 2 | ica_strong | 0.850 ± 0.071 | 0.950 ± 0.071 | 0.300 ± 0.141 | 21.0 ± 1.4 |"
	if !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks\n%s\n%s", want, b.String())
	}
	b.Reset()
	if err := summary(&b, "", []Row{base}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Reconstructions over seeds") {
		t.Errorf("reconstruction table for one seed:\n%s", b.String())
	}
}

// Rows shuffled in pools of different sizes say which in the shuffle column.
func TestSummaryShufflePools(t *testing.T) {
	r := Row{Cell: "a", Variant: "datamix", Dataset: "mnist", Arch: "mnist-cnn", GroupSize: 2, Coefficients: "dirichlet", Shuffle: true, ShufflePool: 500}
	big := r
	big.Cell, big.ShufflePool = "b", 10000
	var b strings.Builder
	if err := summary(&b, "", []Row{r, big}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| true, pool 500 |", "| true, pool 10000 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
