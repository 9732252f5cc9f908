package results

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// MetricNames returns the union of the metric names of rows, sorted: the metric columns of
// the CSV file.
func MetricNames(rows []Row) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range rows {
		for k := range r.Metrics {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	return names
}

// checkMetricNames rejects metric names that would make the CSV header ambiguous.
func checkMetricNames(names []string) error {
	for _, n := range names {
		if n == "" {
			return errors.New("a metric with an empty name")
		}
		if n == NotesColumn || slices.Contains(columns, n) || slices.Contains(VerdictColumns, n) {
			return fmt.Errorf("metric %q has the name of a fixed column", n)
		}
	}
	return nil
}

// VerdictColumns are the CSV columns of a row's verdict (Judge), between the metrics and
// NotesColumn: the verdict and what decided it (Verdict.Reason).
var VerdictColumns = []string{"verdict", "verdict_by"}

// WriteCSV writes rows to path as CSV, atomically: the header (Columns, the metric names,
// VerdictColumns, NotesColumn), then one record per row.
func WriteCSV(path string, rows []Row) error {
	metrics := MetricNames(rows)
	if err := checkMetricNames(metrics); err != nil {
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		header := append(append(Columns(), metrics...), VerdictColumns[0], VerdictColumns[1], NotesColumn)
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, r := range rows {
			rec, err := record(r, metrics)
			if err != nil {
				return fmt.Errorf("cell %s: %w", r.Cell, err)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// record formats one row as CSV fields.
func record(r Row, metrics []string) ([]string, error) {
	i := strconv.Itoa
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	rec := []string{
		r.Cell, r.Variant, r.Dataset, r.Arch, i(r.Split), i(r.GroupSize), r.Coefficients,
		formatFloat(r.Alpha), strconv.FormatBool(r.Shuffle), i(r.ShufflePool), r.Defence, strconv.FormatUint(r.Seed, 10),
		i(r.TrainLimit), i(r.TestLimit), i(r.Epochs), i(r.BatchSize), formatFloat(r.LR),
		formatFloat(r.Accuracy), formatFloat(r.TrainLoss), formatFloat(r.TrainAccuracy),
		i64(r.EdgeFLOPs), i64(r.CloudFLOPs), formatFloat(r.EdgeFLOPsFrac),
		i64(r.UploadBytesPerSample), i64(r.DownloadBytesPerSample),
		formatFloat(r.TrainSeconds), formatFloat(r.EvalSeconds),
	}
	for _, m := range metrics {
		v, ok := r.Metrics[m]
		if ok {
			rec = append(rec, formatFloat(v))
		} else {
			rec = append(rec, "")
		}
	}
	v := Judge(r)
	rec = append(rec, v.Verdict, v.Reason())
	notes := ""
	if len(r.Notes) > 0 {
		b, err := json.Marshal(r.Notes) // keys sorted by encoding/json
		if err != nil {
			return nil, err
		}
		notes = string(b)
	}
	return append(rec, notes), nil
}

// ReadCSV reads the rows WriteCSV wrote. The header must start with Columns and end with
// VerdictColumns and NotesColumn (or NotesColumn alone: files written before verdicts were);
// the columns between are metrics. The verdict is not read back: it follows from the metrics.
func ReadCSV(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("results: read %s: empty file, need a header", path)
	}
	if err != nil {
		return nil, fmt.Errorf("results: read %s: %w", path, err)
	}
	n := len(columns)
	if len(header) < n+1 || !slices.Equal(header[:n], columns) || header[len(header)-1] != NotesColumn {
		return nil, fmt.Errorf("results: read %s: header %q, need the columns %v, any metric columns, then %q", path, header, columns, NotesColumn)
	}
	metrics := header[n : len(header)-1]
	verdicts := len(metrics) >= 2 && slices.Equal(metrics[len(metrics)-2:], VerdictColumns)
	if verdicts {
		metrics = metrics[:len(metrics)-2]
	}
	if err := checkMetricNames(metrics); err != nil {
		return nil, fmt.Errorf("results: read %s: %w", path, err)
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("results: read %s: %w", path, err)
		}
		p := &parser{rec: rec}
		r := parseRecord(p, metrics, verdicts)
		if p.err != nil {
			line, _ := cr.FieldPos(p.col)
			return nil, fmt.Errorf("results: read %s: line %d: column %s: %w", path, line, header[p.col], p.err)
		}
		rows = append(rows, r)
	}
}

// parser reads the fields of one CSV record in order, keeping the first error.
type parser struct {
	rec []string
	col int // the next field, or the one that failed
	err error
}

func (p *parser) next() string {
	if p.err != nil {
		return ""
	}
	s := p.rec[p.col]
	p.col++
	return s
}

func (p *parser) fail(err error) {
	if p.err == nil {
		p.col--
		p.err = err
	}
}

func (p *parser) str() string { return p.next() }

func (p *parser) int() int {
	s := p.next()
	if p.err != nil {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.fail(fmt.Errorf("%q is not an integer", s))
	}
	return v
}

func (p *parser) int64() int64 {
	s := p.next()
	if p.err != nil {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail(fmt.Errorf("%q is not an integer", s))
	}
	return v
}

func (p *parser) uint64() uint64 {
	s := p.next()
	if p.err != nil {
		return 0
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		p.fail(fmt.Errorf("%q is not an integer ≥ 0", s))
	}
	return v
}

func (p *parser) float() float64 {
	s := p.next()
	if p.err != nil {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.fail(fmt.Errorf("%q is not a number", s))
	}
	return v
}

func (p *parser) bool() bool {
	s := p.next()
	if p.err != nil {
		return false
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(fmt.Errorf("%q is not true or false", s))
	}
	return v
}

// parseRecord reads one row in column order.
func parseRecord(p *parser, metrics []string, verdicts bool) Row {
	r := Row{
		Cell: p.str(), Variant: p.str(), Dataset: p.str(), Arch: p.str(),
		Split: p.int(), GroupSize: p.int(), Coefficients: p.str(), Alpha: p.float(),
		Shuffle: p.bool(), ShufflePool: p.int(), Defence: p.str(), Seed: p.uint64(), TrainLimit: p.int(), TestLimit: p.int(),
		Epochs: p.int(), BatchSize: p.int(), LR: p.float(), Accuracy: p.float(),
		TrainLoss: p.float(), TrainAccuracy: p.float(), EdgeFLOPs: p.int64(),
		CloudFLOPs: p.int64(), EdgeFLOPsFrac: p.float(), UploadBytesPerSample: p.int64(),
		DownloadBytesPerSample: p.int64(), TrainSeconds: p.float(), EvalSeconds: p.float(),
	}
	for _, m := range metrics {
		s := p.next()
		if p.err != nil || s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			p.fail(fmt.Errorf("%q is not a number", s))
			continue
		}
		if r.Metrics == nil {
			r.Metrics = map[string]float64{}
		}
		r.Metrics[m] = v
	}
	if verdicts { // derived from the metrics: skipped
		p.next()
		p.next()
	}
	if s := p.next(); p.err == nil && s != "" {
		if err := json.Unmarshal([]byte(s), &r.Notes); err != nil {
			p.fail(fmt.Errorf("%q is not a JSON object of notes", s))
		} else if len(r.Notes) == 0 {
			r.Notes = nil
		}
	}
	return r
}
