package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Row is the record of one finished run cell: what was run (the configuration columns), how
// well it did, and what it cost.
type Row struct {
	// Cell is the cell's ID and Variant its variant ("baseline" or "datamix").
	Cell, Variant string
	// Dataset and Arch name the data and the network.
	Dataset, Arch string
	// Split is the number of blocks on the edge; GroupSize is k, the number of inputs mixed.
	Split, GroupSize int
	// Coefficients names how the mixing matrices were drawn; Alpha is the Dirichlet
	// concentration; Shuffle says whether uploads were shuffled across groups.
	Coefficients string
	Alpha        float64
	Shuffle      bool
	// ShufflePool is the number of uploads shuffled together (one evaluation batch unless
	// configured otherwise); 0 without shuffling.
	ShufflePool int
	// Defence names the edge-side defences the cell applied on top of mixing, "" for none
	// (the baseline and plain DataMix).
	Defence string
	// Seed is the cell's random seed.
	Seed uint64
	// TrainLimit and TestLimit are the numbers of training and test examples used.
	TrainLimit, TestLimit int
	// Epochs, BatchSize and LR are the training settings.
	Epochs, BatchSize int
	LR                float64
	// Accuracy is the test accuracy, a fraction in [0, 1].
	Accuracy float64
	// TrainLoss and TrainAccuracy are the mean loss and accuracy over the last epoch.
	TrainLoss, TrainAccuracy float64
	// EdgeFLOPs and CloudFLOPs are the floating-point operations per input on each side;
	// EdgeFLOPsFrac is the edge's share of their sum, a fraction in [0, 1].
	EdgeFLOPs, CloudFLOPs int64
	EdgeFLOPsFrac         float64
	// UploadBytesPerSample and DownloadBytesPerSample are the bytes sent to and received from
	// the cloud per input.
	UploadBytesPerSample, DownloadBytesPerSample int64
	// TrainSeconds and EvalSeconds are wall-clock times.
	TrainSeconds, EvalSeconds float64
	// Metrics holds extra numeric columns (attack results, say), by name. Names must differ
	// from the fixed columns and from "notes".
	Metrics map[string]float64
	// Notes holds remarks by topic, such as why an attack was skipped.
	Notes map[string]string
}

// IsBaseline reports whether r is a baseline cell (Variant "baseline": unsplit, unmixed)
// rather than a DataMix one.
func (r Row) IsBaseline() bool { return r.Variant == baselineVariant }

// Columns returns the names of the fixed CSV columns, in order: a user contract. Metric
// columns follow them, then NotesColumn.
func Columns() []string { return slices.Clone(columns) }

// columns are the fixed CSV columns (see Columns).
var columns = []string{
	"cell", "variant", "dataset", "arch", "split", "group_size", "coefficients", "alpha",
	"shuffle", "shuffle_pool", "defence", "seed", "train_limit", "test_limit", "epochs", "batch_size", "lr", "accuracy",
	"train_loss", "train_accuracy", "edge_flops", "cloud_flops", "edge_flops_frac",
	"upload_bytes_per_sample", "download_bytes_per_sample", "train_seconds", "eval_seconds",
}

// NotesColumn is the name of the last CSV column, which holds a row's Notes as a JSON object.
const NotesColumn = "notes"

// num is a float64 whose JSON form is a number, or one of the strings "NaN", "+Inf" and
// "-Inf", which JSON numbers cannot express.
type num float64

// MarshalJSON writes the shortest form that parses back to the same float64.
func (x num) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte(`"` + formatFloat(f) + `"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number or one of the strings MarshalJSON writes.
func (x *num) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*x = num(f)
	return nil
}

// formatFloat is the float format of every results file: shortest exact round-trip.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// rowJSON is the JSON form of a Row.
type rowJSON struct {
	Cell                   string            `json:"cell"`
	Variant                string            `json:"variant"`
	Dataset                string            `json:"dataset"`
	Arch                   string            `json:"arch"`
	Split                  int               `json:"split"`
	GroupSize              int               `json:"group_size"`
	Coefficients           string            `json:"coefficients"`
	Alpha                  num               `json:"alpha"`
	Shuffle                bool              `json:"shuffle"`
	ShufflePool            int               `json:"shuffle_pool,omitempty"`
	Defence                string            `json:"defence,omitempty"`
	Seed                   uint64            `json:"seed"`
	TrainLimit             int               `json:"train_limit"`
	TestLimit              int               `json:"test_limit"`
	Epochs                 int               `json:"epochs"`
	BatchSize              int               `json:"batch_size"`
	LR                     num               `json:"lr"`
	Accuracy               num               `json:"accuracy"`
	TrainLoss              num               `json:"train_loss"`
	TrainAccuracy          num               `json:"train_accuracy"`
	EdgeFLOPs              int64             `json:"edge_flops"`
	CloudFLOPs             int64             `json:"cloud_flops"`
	EdgeFLOPsFrac          num               `json:"edge_flops_frac"`
	UploadBytesPerSample   int64             `json:"upload_bytes_per_sample"`
	DownloadBytesPerSample int64             `json:"download_bytes_per_sample"`
	TrainSeconds           num               `json:"train_seconds"`
	EvalSeconds            num               `json:"eval_seconds"`
	Metrics                map[string]num    `json:"metrics,omitempty"`
	Verdict                string            `json:"verdict,omitempty"`    // Judge's, written, never read
	VerdictBy              string            `json:"verdict_by,omitempty"` // Verdict.Reason
	Notes                  map[string]string `json:"notes,omitempty"`
}

// MarshalJSON writes r as a JSON object with the CSV column names (see the package doc), its
// verdict (Judge) included.
func (r Row) MarshalJSON() ([]byte, error) {
	v := Judge(r)
	j := rowJSON{
		Cell: r.Cell, Variant: r.Variant, Dataset: r.Dataset, Arch: r.Arch,
		Split: r.Split, GroupSize: r.GroupSize, Coefficients: r.Coefficients,
		Alpha: num(r.Alpha), Shuffle: r.Shuffle, ShufflePool: r.ShufflePool, Defence: r.Defence, Seed: r.Seed,
		TrainLimit: r.TrainLimit, TestLimit: r.TestLimit, Epochs: r.Epochs,
		BatchSize: r.BatchSize, LR: num(r.LR), Accuracy: num(r.Accuracy),
		TrainLoss: num(r.TrainLoss), TrainAccuracy: num(r.TrainAccuracy),
		EdgeFLOPs: r.EdgeFLOPs, CloudFLOPs: r.CloudFLOPs, EdgeFLOPsFrac: num(r.EdgeFLOPsFrac),
		UploadBytesPerSample: r.UploadBytesPerSample, DownloadBytesPerSample: r.DownloadBytesPerSample,
		TrainSeconds: num(r.TrainSeconds), EvalSeconds: num(r.EvalSeconds),
		Verdict: v.Verdict, VerdictBy: v.Reason(), Notes: r.Notes,
	}
	if len(r.Metrics) > 0 {
		j.Metrics = make(map[string]num, len(r.Metrics))
		for k, v := range r.Metrics {
			j.Metrics[k] = num(v)
		}
	}
	if len(j.Notes) == 0 {
		j.Notes = nil
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes; unknown fields are errors. The verdict is not
// read back: it follows from the metrics (Judge).
func (r *Row) UnmarshalJSON(b []byte) error {
	var j rowJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*r = Row{
		Cell: j.Cell, Variant: j.Variant, Dataset: j.Dataset, Arch: j.Arch,
		Split: j.Split, GroupSize: j.GroupSize, Coefficients: j.Coefficients,
		Alpha: float64(j.Alpha), Shuffle: j.Shuffle, ShufflePool: j.ShufflePool, Defence: j.Defence, Seed: j.Seed,
		TrainLimit: j.TrainLimit, TestLimit: j.TestLimit, Epochs: j.Epochs,
		BatchSize: j.BatchSize, LR: float64(j.LR), Accuracy: float64(j.Accuracy),
		TrainLoss: float64(j.TrainLoss), TrainAccuracy: float64(j.TrainAccuracy),
		EdgeFLOPs: j.EdgeFLOPs, CloudFLOPs: j.CloudFLOPs, EdgeFLOPsFrac: float64(j.EdgeFLOPsFrac),
		UploadBytesPerSample: j.UploadBytesPerSample, DownloadBytesPerSample: j.DownloadBytesPerSample,
		TrainSeconds: float64(j.TrainSeconds), EvalSeconds: float64(j.EvalSeconds),
	}
	if len(j.Metrics) > 0 {
		r.Metrics = make(map[string]float64, len(j.Metrics))
		for k, v := range j.Metrics {
			r.Metrics[k] = float64(v)
		}
	}
	if len(j.Notes) > 0 {
		r.Notes = j.Notes
	}
	return nil
}
