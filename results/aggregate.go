package results

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Stat summarises the values of one quantity over the seeds of a configuration.
type Stat struct {
	// N is the number of finite values summarised.
	N int
	// Mean is their mean; NaN when N is 0.
	Mean float64
	// SD is their sample standard deviation (n − 1 in the denominator); 0 when N is 1.
	SD float64
	// CI95 is the half-width of the 95% confidence interval of the mean under a normal model,
	// t(0.975, N−1)·SD/√N (Student's t); NaN when N < 2, where no interval exists.
	CI95 float64
}

// Summarize returns the Stat of the finite values among xs; NaN and ±Inf are left out.
func Summarize(xs []float64) Stat {
	var fin []float64
	for _, x := range xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			fin = append(fin, x)
		}
	}
	s := Stat{N: len(fin), Mean: math.NaN(), CI95: math.NaN()}
	switch len(fin) {
	case 0:
		return s
	case 1:
		s.Mean = fin[0]
		return s
	}
	s.Mean, s.SD = stat.MeanStdDev(fin, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(fin) - 1)}.Quantile(0.975)
	s.CI95 = t * s.SD / math.Sqrt(float64(len(fin)))
	return s
}

// Field is one configuration column of a Row, as used to group and label rows.
type Field struct {
	name  string           // the CSV column name
	label func(Row) string // how a value reads in a legend, e.g. "k=2", "shuffle off"
	value func(Row) string // the value as a comparable string
}

// Name returns the field's CSV column name, e.g. "group_size".
func (f Field) Name() string { return f.name }

// Label returns how r's value of the field reads in a legend or a label: "k=2", "split 1",
// "shuffle off", "no defence".
func (f Field) Label(r Row) string { return f.label(r) }

// Value returns r's value of the field as a string, equal for equal values (floats in the
// shortest form that parses back to them).
func (f Field) Value(r Row) string { return f.value(r) }

// ConfigFields returns the configuration columns of a row other than cell and seed, in the
// order of Columns: two rows that agree on all of them are the same configuration run with
// different seeds.
func ConfigFields() []Field { return slices.Clone(configFields) }

// configFields are the fields that ConfigFields returns.
var configFields = []Field{
	{name: "variant", value: func(r Row) string { return r.Variant }, label: func(r Row) string { return r.Variant }},
	{name: "dataset", value: func(r Row) string { return r.Dataset }, label: func(r Row) string { return r.Dataset }},
	{name: "arch", value: func(r Row) string { return r.Arch }, label: func(r Row) string { return r.Arch }},
	{name: "split", value: func(r Row) string { return strconv.Itoa(r.Split) }, label: func(r Row) string { return "split " + strconv.Itoa(r.Split) }},
	{name: "group_size", value: func(r Row) string { return strconv.Itoa(r.GroupSize) }, label: func(r Row) string { return "k=" + strconv.Itoa(r.GroupSize) }},
	{name: "coefficients", value: func(r Row) string { return r.Coefficients }, label: func(r Row) string { return r.Coefficients }},
	{name: "alpha", value: func(r Row) string { return formatFloat(r.Alpha) }, label: func(r Row) string { return "α=" + formatFloat(r.Alpha) }},
	{name: "shuffle", value: func(r Row) string { return strconv.FormatBool(r.Shuffle) }, label: func(r Row) string {
		if r.Shuffle {
			return "shuffle on"
		}
		return "shuffle off"
	}},
	{name: "shuffle_pool", value: func(r Row) string { return strconv.Itoa(r.ShufflePool) }, label: func(r Row) string {
		return "pool " + strconv.Itoa(r.ShufflePool)
	}},
	{name: "defence", value: func(r Row) string { return r.Defence }, label: func(r Row) string {
		if r.Defence == "" {
			return "no defence"
		}
		return r.Defence
	}},
	{name: "train_limit", value: func(r Row) string { return strconv.Itoa(r.TrainLimit) }, label: func(r Row) string { return strconv.Itoa(r.TrainLimit) + " train" }},
	{name: "test_limit", value: func(r Row) string { return strconv.Itoa(r.TestLimit) }, label: func(r Row) string { return strconv.Itoa(r.TestLimit) + " test" }},
	{name: "epochs", value: func(r Row) string { return strconv.Itoa(r.Epochs) }, label: func(r Row) string { return strconv.Itoa(r.Epochs) + " epochs" }},
	{name: "batch_size", value: func(r Row) string { return strconv.Itoa(r.BatchSize) }, label: func(r Row) string { return "batch " + strconv.Itoa(r.BatchSize) }},
	{name: "lr", value: func(r Row) string { return formatFloat(r.LR) }, label: func(r Row) string { return "lr " + formatFloat(r.LR) }},
}

// fieldNamed returns the config field with the given column name.
func fieldNamed(name string) Field {
	for _, f := range configFields {
		if f.name == name {
			return f
		}
	}
	panic("results: no config field " + name)
}

// keyOver writes the values of the fields of r, except those named in skip, as one string.
func keyOver(r Row, skip ...string) string {
	var b strings.Builder
	for _, f := range configFields {
		if !slices.Contains(skip, f.name) {
			b.WriteString(f.value(r))
			b.WriteByte(0)
		}
	}
	return b.String()
}

// Group is the rows of one configuration over its seeds.
type Group struct {
	// Row is the first row of the group: its configuration columns are the group's (its
	// seed, cell and results are those of that one row).
	Row Row
	// Rows are the group's rows, in input order; Seeds their seeds.
	Rows  []Row
	Seeds []uint64
}

// GroupBySeeds groups rows that differ only in cell and seed, in the order of their first row.
func GroupBySeeds(rows []Row) []Group {
	index := map[string]int{}
	var groups []Group
	for _, r := range rows {
		k := keyOver(r)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, Group{Row: r})
		}
		groups[i].Rows = append(groups[i].Rows, r)
		groups[i].Seeds = append(groups[i].Seeds, r.Seed)
	}
	return groups
}

// Stat summarises the quantity get over the group's rows.
func (g Group) Stat(get func(Row) float64) Stat {
	xs := make([]float64, len(g.Rows))
	for i, r := range g.Rows {
		xs[i] = get(r)
	}
	return Summarize(xs)
}

// Metric returns a getter of the named metric: NaN for rows without it.
func Metric(name string) func(Row) float64 {
	return func(r Row) float64 {
		if v, ok := r.Metrics[name]; ok {
			return v
		}
		return math.NaN()
	}
}

// VaryingFields returns the config fields (see ConfigFields) on which some group differs from
// the first, in the order of ConfigFields: what tells the groups apart in a label.
func VaryingFields(groups []Group) []Field {
	var by []Field
	for _, f := range configFields {
		for _, g := range groups[min(1, len(groups)):] {
			if f.value(g.Row) != f.value(groups[0].Row) {
				by = append(by, f)
				break
			}
		}
	}
	return by
}
