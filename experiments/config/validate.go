package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// safeName is the pattern of an experiment name: usable as a directory name on every OS.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Validate checks every field of c, and of every cell its sweep expands to, before anything
// runs. It returns the first problem found, as a *FieldError naming the file line of the
// offending value where it came from the file. It is Expand without the cells.
func (c *Config) Validate() error {
	_, err := Expand(c)
	return err
}

// validateFields checks the fields of one resolved config (a cell; its sweep is ignored),
// section by section in file order, and returns the first problem. A check that relates two
// sections belongs to the phase of the field it reports on (model.arch against the dataset's
// shape, train.batch_size against mixing.group_size), so the order of the messages follows
// the order of the fields.
func (c *Config) validateFields() error {
	if err := c.validateName(); err != nil {
		return err
	}
	dsAttrs, err := c.validateDataset()
	if err != nil {
		return err
	}
	if err := c.validateModel(); err != nil {
		return err
	}
	if err := c.validateMixing(); err != nil {
		return err
	}
	if err := c.validateDefences(); err != nil {
		return err
	}
	if err := c.validateTrain(); err != nil {
		return err
	}
	if err := c.validateAttacks(dsAttrs); err != nil {
		return err
	}
	return c.validateWire()
}

// validateName checks that the experiment has a name usable as a directory name.
func (c *Config) validateName() error {
	if c.Name == "" {
		return c.fail(nil, "name", "missing, need a name for the experiment (it names the run directory)")
	}
	if !safeName.MatchString(c.Name) {
		return c.fail(nil, "name", "%q, need letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 characters (it names the run directory)", c.Name)
	}
	return nil
}

// validateDataset checks the dataset section: a known name, a path that exists (or none, for
// the embedded MNIST and the installed Fashion-MNIST), a label only for celeba and one its
// folder has, and the limits. It returns the names of the attributes the dataset carries
// (datasets.AttrNames: a celeba folder's, read from its attribute file's header, a speech
// corpus's speaker and gender), so that a misspelt label or attack attribute is reported
// before anything loads; nil for datasets with classes only.
func (c *Config) validateDataset() (dsAttrs []string, err error) {
	d := c.Dataset
	if !slices.Contains(datasets.Names(), d.Name) {
		return nil, c.fail(nil, "dataset.name", "%q, want one of %s", d.Name, strings.Join(datasets.Names(), ", "))
	}
	if d.Path == "" {
		switch d.Name {
		case "mnist":
		case "fashion-mnist":
			if _, err := datasets.FashionMNISTDir(); err != nil {
				fe := c.fail(err, "dataset.path", "%v", err)
				fe.Line = c.lineOf("dataset.path", "dataset.name")
				return nil, fe
			}
		default:
			return nil, c.fail(nil, "dataset.path", "missing, dataset %s is read from disk (only mnist is embedded)", d.Name)
		}
	} else if _, err := os.Stat(d.Path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, c.fail(err, "dataset.path", "%q: %v", d.Path, err)
	}
	if d.Path != "" {
		if dsAttrs, err = datasets.AttrNames(d.Name, d.Path); err != nil {
			return nil, c.fail(err, "dataset.path", "%v", err)
		}
	}
	if d.Name == "celeba" {
		names := dsAttrs
		label := cmp.Or(d.Label, datasets.DefaultCelebALabel)
		if !slices.Contains(names, label) {
			return nil, c.fail(nil, "dataset.label", "%q is not an attribute of the CelebA folder %s, want one of %s (line 2 of its %s)",
				label, d.Path, strings.Join(names, ", "), datasets.CelebAAttrFile)
		}
	} else if d.Label != "" {
		return nil, c.fail(nil, "dataset.label", "%q, but only dataset celeba has attributes to take a label from (%s has classes)", d.Label, d.Name)
	}
	if d.TrainLimit < 0 {
		return nil, c.fail(nil, "dataset.train_limit", "%d, need an integer ≥ 0 (0 = all)", d.TrainLimit)
	}
	if d.TestLimit < 0 {
		return nil, c.fail(nil, "dataset.test_limit", "%d, need an integer ≥ 0 (0 = all)", d.TestLimit)
	}
	return dsAttrs, nil
}

// validateModel checks the model section: a known architecture whose input shape is the
// dataset's, and a split point within it.
func (c *Config) validateModel() error {
	arch, err := models.Lookup(c.Model.Arch)
	if err != nil {
		return c.fail(nil, "model.arch", "%q, want one of %s", c.Model.Arch, strings.Join(models.Names(), ", "))
	}
	if dc, dh, dw, _, ok := datasets.Shape(c.Dataset.Name); ok && (dc != arch.C || dh != arch.H || dw != arch.W) {
		return c.fail(nil, "model.arch", "%s takes %d×%d×%d inputs, but dataset %s has %d×%d×%d",
			arch.Name, arch.C, arch.H, arch.W, c.Dataset.Name, dc, dh, dw)
	}
	if s := c.Model.Split; s < 0 || s > arch.MaxSplit() {
		return c.fail(nil, "model.split", "%d, need 0 ≤ split ≤ %d for %s", s, arch.MaxSplit(), arch.Name)
	}
	return nil
}

// validateMixing checks the mixing section: the group size, a sampler package mixing knows,
// its parameters, and a matrix exactly when the coefficients are fixed, of the group's size
// and accepted by mixing.CheckMatrix.
func (c *Config) validateMixing() error {
	m := c.Mixing
	k := m.GroupSize
	if k < 1 {
		return c.fail(nil, "mixing.group_size", "%d, need an integer ≥ 1", k)
	}
	if k > MaxGroupSize {
		return c.fail(nil, "mixing.group_size", "%d, need at most %d", k, MaxGroupSize)
	}
	if samplers := mixing.SamplerNames(); !slices.Contains(samplers, m.Coefficients) {
		return c.fail(nil, "mixing.coefficients", "%q, want one of %s", m.Coefficients, strings.Join(samplers, ", "))
	}
	if m.Coefficients == "dirichlet" && !(m.Alpha > 0 && !math.IsInf(m.Alpha, 1)) {
		return c.fail(nil, "mixing.alpha", "%s, need a finite number > 0 for dirichlet coefficients", fmtFloat(m.Alpha))
	}
	if !(m.MaxCond > 1) {
		return c.fail(nil, "mixing.max_cond", "%s, need a number > 1", fmtFloat(m.MaxCond))
	}

	switch {
	case m.Coefficients == "fixed" && m.Matrix == nil:
		fe := c.fail(nil, "mixing.matrix", "missing, coefficients: fixed needs a %d×%d matrix (group_size × group_size)", k, k)
		fe.Line = c.lineOf("mixing.matrix", "mixing.coefficients")
		return fe
	case m.Coefficients != "fixed" && m.Matrix != nil:
		return c.fail(nil, "mixing.matrix", "given, but a matrix is used only with coefficients: fixed (have %s)", m.Coefficients)
	case m.Matrix != nil:
		if !isSquare(m.Matrix, k) {
			return c.fail(nil, "mixing.matrix", "%s, need %d×%d (group_size × group_size)", shapeOf(m.Matrix), k, k)
		}
		if err := mixing.CheckMatrix(m.Matrix, k, m.MaxCond); err != nil {
			return c.fail(err, "mixing.matrix", "%v", err)
		}
	}
	return nil
}

// validateTrain checks the train section: positive counts and rate, batch sizes that are
// whole numbers of mixing groups (so it runs after validateMixing has accepted the group
// size), a known schedule, and a shift less than half the dataset's image side.
func (c *Config) validateTrain() error {
	t := c.Train
	k := c.Mixing.GroupSize
	if t.Epochs < 1 {
		return c.fail(nil, "train.epochs", "%d, need an integer ≥ 1", t.Epochs)
	}
	if t.BatchSize < 1 {
		return c.fail(nil, "train.batch_size", "%d, need an integer ≥ 1", t.BatchSize)
	}
	if t.BatchSize%k != 0 {
		fe := c.fail(nil, "train.batch_size", "%d, need a multiple of mixing.group_size (%d): batches are mixed in whole groups", t.BatchSize, k)
		fe.Line = c.lineOf("train.batch_size", "mixing.group_size")
		return fe
	}
	if !(t.LR > 0 && !math.IsInf(t.LR, 1)) {
		return c.fail(nil, "train.lr", "%s, need a finite number > 0", fmtFloat(t.LR))
	}
	if !slices.Contains(lrSchedules, t.LRSchedule) {
		return c.fail(nil, "train.lr_schedule", "%q, need one of %s", t.LRSchedule, strings.Join(lrSchedules, ", "))
	}
	if _, h, w, _, ok := datasets.Shape(c.Dataset.Name); ok && (t.AugmentShift < 0 || 2*t.AugmentShift >= min(h, w)) {
		return c.fail(nil, "train.augment_shift", "%d, need an integer in 0..%d (less than half the image side)", t.AugmentShift, (min(h, w)-1)/2)
	}
	if t.EvalBatchSize < 1 {
		return c.fail(nil, "train.eval_batch_size", "%d, need an integer ≥ 1", t.EvalBatchSize)
	}
	if t.EvalBatchSize%k != 0 {
		fe := c.fail(nil, "train.eval_batch_size", "%d, need a multiple of mixing.group_size (%d): batches are mixed in whole groups", t.EvalBatchSize, k)
		fe.Line = c.lineOf("train.eval_batch_size", "mixing.group_size")
		return fe
	}
	if p := c.Mixing.ShufflePool; p < 0 || p%t.EvalBatchSize != 0 {
		fe := c.fail(nil, "mixing.shuffle_pool", "%d, need 0 (one evaluation batch) or a multiple of train.eval_batch_size (%d): a pool runs through the network batch by batch", p, t.EvalBatchSize)
		fe.Line = c.lineOf("mixing.shuffle_pool", "train.eval_batch_size")
		return fe
	}
	return nil
}

// fail builds the FieldError for field, at the file line of its value when it came from the file.
func (c *Config) fail(err error, field, format string, args ...any) *FieldError {
	fe := &FieldError{Field: field, Msg: fmt.Sprintf(format, args...), Err: err, Line: c.lineOf(field)}
	if c.src != nil {
		fe.File = c.src.file
	}
	if c.cell != nil {
		fe.Cell = c.cell.params
	}
	return fe
}

// lineOf returns the file line of the value of the first of fields that the file set: the
// swept value's line in the sweep, or the field's own line when the file's value is still the
// config's value. Later fields are fallbacks, tried only when the earlier ones are not in the
// file at all. It returns 0 when no line applies (a default, a value changed in Go).
func (c *Config) lineOf(fields ...string) int {
	for _, f := range fields {
		if line, inFile := c.fieldLine(f); inFile {
			return line
		}
	}
	return 0
}

// fieldLine returns the line of field f's value and whether the file (or the sweep) set f.
func (c *Config) fieldLine(f string) (line int, inFile bool) {
	if c.cell != nil {
		line := -1
		for _, s := range c.cell.swept {
			if s.key == f || strings.HasPrefix(f, s.key+".") {
				line = s.line // later assignments override earlier ones
			}
		}
		if line >= 0 {
			return line, true
		}
	}
	if c.src == nil || c.src.root == nil {
		return 0, false
	}
	n := lookup(c.src.root, f)
	cur, ok := fieldByPath(reflect.ValueOf(c).Elem(), f)
	if n == nil || !ok {
		return 0, false
	}
	v := reflect.New(cur.Type())
	if n.Decode(v.Interface()) != nil {
		return 0, true
	}
	if f == "dataset.path" {
		v.Elem().SetString(c.src.resolvePath(v.Elem().String()))
	}
	if same(v.Elem(), cur) {
		return n.Line, true
	}
	return 0, true
}

// same reports whether two values of one type are equal, NaN counting as equal to NaN.
func same(a, b reflect.Value) bool {
	if a.Kind() == reflect.Float64 && math.IsNaN(a.Float()) && math.IsNaN(b.Float()) {
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

func isSquare(m [][]float64, k int) bool {
	if len(m) != k {
		return false
	}
	for _, row := range m {
		if len(row) != k {
			return false
		}
	}
	return true
}

// shapeOf describes the shape of a possibly ragged matrix.
func shapeOf(m [][]float64) string {
	if len(m) == 0 {
		return "empty"
	}
	cols := len(m[0])
	for _, row := range m {
		if len(row) != cols {
			return fmt.Sprintf("%d rows of unequal length", len(m))
		}
	}
	return fmt.Sprintf("%d×%d", len(m), cols)
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
