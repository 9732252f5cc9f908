package experiments

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Config is one experiment, as written in its YAML file. The yaml names of the fields are
// the user contract; see the package documentation for the full reference and the defaults.
type Config struct {
	// Name names the experiment and its run directory: letters, digits, '.', '_' and '-',
	// starting with a letter or digit, at most 100 characters. Required.
	Name string `yaml:"name"`
	// Seed seeds every random draw of a run cell (initialisation, batching, mixing
	// coefficients, shuffles). 0 is a valid seed; the default is 0.
	Seed uint64 `yaml:"seed"`
	// Dataset says which data to train and test on.
	Dataset DatasetConfig `yaml:"dataset"`
	// Model says which network and where it is split.
	Model ModelConfig `yaml:"model"`
	// Mixing says how each group of inputs is mixed before upload.
	Mixing MixingConfig `yaml:"mixing"`
	// Train holds the optimisation settings.
	Train TrainConfig `yaml:"train"`
	// Baseline adds, per distinct dataset/arch/train/seed combination, a cell that trains the
	// same network unsplit and unmixed, so that results can report the accuracy cost of
	// mixing. The default is false.
	Baseline bool `yaml:"baseline"`
	// Attacks lists the privacy attacks run on every DataMix cell after evaluation (see
	// AttackConfig). Empty, the default, runs none.
	Attacks []AttackConfig `yaml:"attacks,omitempty"`
	// Sweep lists the fields to vary; see Expand. Empty means a single cell.
	Sweep Sweep `yaml:"sweep,omitempty"`

	src  *source   // the file the config came from; nil for a config built in Go
	cell *cellInfo // the sweep assignments of a config made by Expand; nil otherwise
}

// DatasetConfig selects the data.
type DatasetConfig struct {
	// Name is one of datasets.Names(). Default "mnist".
	Name string `yaml:"name"`
	// Path is the dataset's directory or file in its distributed format. "" (the default)
	// selects the MNIST copy embedded in the build and is allowed only for mnist. A relative
	// path is resolved against the directory of the config file, never the working directory.
	Path string `yaml:"path"`
	// TrainLimit and TestLimit cap the number of training and test examples used (the first
	// ones in file order); 0, the default, uses all of them.
	TrainLimit int `yaml:"train_limit"`
	TestLimit  int `yaml:"test_limit"`
	// Label (celeba only) names the CelebA attribute the network learns to predict, as a
	// binary label (−1 → class 0, 1 → class 1): Male, Smiling, …, as line 2 of
	// list_attr_celeba.txt spells it. "" (the default) means datasets.DefaultCelebALabel
	// (Male); a cell's resolved config holds the name. Not allowed for other datasets.
	Label string `yaml:"label,omitempty"`
}

// ModelConfig selects the network and its split point.
type ModelConfig struct {
	// Arch is one of models.Names(); its input shape must match the dataset's.
	// Default models.DefaultArch.
	Arch string `yaml:"arch"`
	// Split is the number of blocks run on the edge before mixing, from 0 (mix raw inputs)
	// to the architecture's MaxSplit. Default 1: the first block on the edge, which keeps the
	// edge's share of the FLOPs small (DESIGN.md §1).
	Split int `yaml:"split"`
}

// MixingConfig says how a group of GroupSize inputs is mixed (M = C·H, DESIGN.md §1).
type MixingConfig struct {
	// GroupSize is k, the number of inputs mixed together, from 1 (plain split inference)
	// to MaxGroupSize. Default 2, the paper's worked example.
	GroupSize int `yaml:"group_size"`
	// Coefficients names how the rows of C are drawn: "dirichlet" (convex rows drawn from a
	// symmetric Dirichlet(Alpha), as in the paper's k=2 example), "uniform", "gaussian", or
	// "fixed" (the same Matrix for every group). Default "dirichlet".
	Coefficients string `yaml:"coefficients"`
	// Alpha is the Dirichlet concentration; used only with "dirichlet". Default 1, which makes
	// every convex row equally likely.
	Alpha float64 `yaml:"alpha"`
	// Matrix is the k×k mixing matrix C; required with "fixed" and not allowed otherwise.
	Matrix [][]float64 `yaml:"matrix,omitempty"`
	// Shuffle shuffles the uploads of many groups together before upload (inter-group
	// shuffling, DESIGN.md §1). Default true.
	Shuffle bool `yaml:"shuffle"`
	// MaxCond is the largest condition number of C accepted (drawn matrices above it are
	// redrawn; a fixed one is rejected); it must exceed 1. Default 100: de-mixing in float32
	// (about 7 significant digits) then loses at most about 2 digits.
	MaxCond float64 `yaml:"max_cond"`
}

// TrainConfig holds the optimisation settings of mixing-aware training.
type TrainConfig struct {
	// Epochs is the number of passes over the training set. Default 2 (a quick run).
	Epochs int `yaml:"epochs"`
	// BatchSize is the number of training examples per step; it must be a multiple of
	// mixing.group_size, since every batch is mixed in whole groups. Default 64, a multiple
	// of every power-of-two group size up to MaxGroupSize.
	BatchSize int `yaml:"batch_size"`
	// LR is the Adam learning rate. Default 0.001, Adam's recommended default
	// (Kingma & Ba, 2015, Algorithm 1).
	LR float64 `yaml:"lr"`
	// LRSchedule is how the learning rate changes over training: "constant" (the default) or
	// "cosine", which decays it from LR to 0 along half a cosine over all steps (Loshchilov &
	// Hutter, "SGDR", ICLR 2017, eq. 5 without restarts).
	LRSchedule string `yaml:"lr_schedule"`
	// AugmentShift is the largest random translation, in pixels, applied to each training
	// image (independently in x and y, uniform in [−s, s], zero fill); 0, the default, turns
	// augmentation off. Must be less than half the image side.
	AugmentShift int `yaml:"augment_shift"`
	// EvalBatchSize is the number of test examples per evaluation step; like BatchSize it
	// must be a multiple of mixing.group_size. Default 500 (it divides the 10,000-image
	// MNIST and CIFAR test sets).
	EvalBatchSize int `yaml:"eval_batch_size"`
}

// MaxGroupSize is the largest mixing group size a config may ask for. It is a harness limit,
// not the paper's: the k×k matrices drawn per group get ill-conditioned as k grows, and the
// published attacks are evaluated for k ≤ 4.
const MaxGroupSize = 64

// maxConfigBytes bounds the size of a config file; real configs are a few hundred bytes.
const maxConfigBytes = 1 << 20

// lrSchedules lists the accepted values of train.lr_schedule.
var lrSchedules = []string{"constant", "cosine"}

// coefficientKinds lists the accepted values of mixing.coefficients.
var coefficientKinds = []string{"dirichlet", "uniform", "gaussian", "fixed"}

// safeName is the pattern of an experiment name: usable as a directory name on every OS.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Defaults returns the configuration every field falls back to when the file leaves it out.
// Name is empty (a config must set it); the other defaults are documented on the fields.
func Defaults() Config {
	return Config{
		Seed:    0,
		Dataset: DatasetConfig{Name: "mnist", Path: "", TrainLimit: 0, TestLimit: 0},
		Model:   ModelConfig{Arch: models.DefaultArch, Split: 1},
		Mixing: MixingConfig{
			GroupSize:    2,
			Coefficients: "dirichlet",
			Alpha:        1,
			Shuffle:      true,
			MaxCond:      100,
		},
		Train:    TrainConfig{Epochs: 2, BatchSize: 64, LR: 0.001, LRSchedule: "constant", EvalBatchSize: 500},
		Baseline: false,
	}
}

// source records where a loaded config came from, so that errors can name the line of a field.
type source struct {
	file string     // the name given to Load or Parse
	dir  string     // the directory relative dataset paths are resolved against
	root *yaml.Node // the document's top-level mapping
}

// FieldError is a config error the user can fix. It names the file, the line (when the
// offending value came from the file), the sweep cell, the field and what is wrong, in the
// form "configs/x.yaml:7: mixing.group_size: 0, need an integer ≥ 1".
type FieldError struct {
	File  string  // the config file; "" for a config built in Go
	Line  int     // 1-based line of the offending value; 0 when unknown (a default, a value set in Go)
	Cell  []Param // the assignments of the sweep cell the error is in; nil outside a sweep
	Field string  // dotted yaml path, e.g. "mixing.group_size"; "sweep: <key>" in the sweep; "" for the file
	Msg   string  // what is wrong and what is allowed
	Err   error   // the underlying error, if any
}

// Error formats e on one line, starting with the file path (or "experiments" when there is
// no file).
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	} else {
		b.WriteString("experiments")
		if e.Line > 0 {
			fmt.Fprintf(&b, ": line %d", e.Line)
		}
	}
	b.WriteString(": ")
	if len(e.Cell) > 0 {
		b.WriteString("sweep cell ")
		b.WriteString(formatParams(e.Cell))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	b.WriteString(oneLine(msg))
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// oneLine keeps the first line of s.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Load reads the experiment config at path. Fields the file leaves out keep the defaults of
// Defaults; unknown keys, wrongly typed values, an empty file, YAML syntax errors and
// multiple documents are errors that name the file and line. A relative dataset.path is
// resolved against the file's directory. Load does not validate: call Validate (or Expand,
// which validates every cell) before running anything.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FieldError{File: path, Msg: "cannot read config: " + err.Error(), Err: err}
	}
	return Parse(path, data)
}

// Parse decodes a config from data as Load does; name is the file name used in errors and
// whose directory relative dataset paths are resolved against ("" for none).
func Parse(name string, data []byte) (*Config, error) {
	fail := func(line int, format string, args ...any) error {
		return &FieldError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > maxConfigBytes {
		return nil, fail(0, "%d bytes, a config may have at most %d", len(data), maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, fail(0, "empty config, need a YAML mapping with at least name:")
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, fail(extra.Line, "a second YAML document, need exactly one config per file")
	case err != io.EOF:
		return nil, yamlError(name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fail(doc.Line, "not a YAML document")
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, fail(root.Line, "empty config, need a YAML mapping with at least name:")
	}
	if root.Kind != yaml.MappingNode {
		return nil, fail(root.Line, "%s, need a mapping of config fields (name:, dataset:, model:, ...)", describe(root))
	}
	if err := newChecker().check(root, configType, ""); err != nil {
		err.File = name
		return nil, err
	}
	// The schema walk above gives friendlier messages; the strict decoder is the contract
	// (DESIGN.md §5) and stays as the backstop.
	cfg := Defaults()
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&cfg); err != nil {
		return nil, yamlError(name, err)
	}
	cfg.src = &source{file: name, root: root}
	if name != "" {
		cfg.src.dir = filepath.Dir(name)
	}
	cfg.Dataset.Path = cfg.src.resolvePath(cfg.Dataset.Path)
	return &cfg, nil
}

// resolvePath resolves a relative dataset path against the config file's directory.
func (s *source) resolvePath(p string) string {
	if s == nil || p == "" || s.dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.dir, p)
}

// unresolvePath undoes resolvePath: it returns p relative to the config file's directory.
func (s *source) unresolvePath(p string) string {
	if s == nil || p == "" || s.dir == "" || filepath.IsAbs(p) {
		return p
	}
	if r, err := filepath.Rel(s.dir, p); err == nil {
		return r
	}
	return p
}

// yamlLine matches the "line N: message" form of yaml.v3 errors.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError turns an error of the yaml decoder into a one-line FieldError.
func yamlError(file string, err error) *FieldError {
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.File = file
		return fe
	}
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(oneLine(msg), "yaml: ")
	fe = &FieldError{File: file, Msg: msg, Err: err}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = m[2]
	}
	if parserProblems[fe.Msg] {
		// yaml.v3 reports the 0-based line for parser (not scanner) errors, and no line at
		// all when that is 0 (go-yaml/yaml#205; decode.go, parser.fail).
		fe.Line++
	}
	return fe
}

// parserProblems are the messages of yaml.v3's parser errors (parserc.go), whose line numbers
// need correcting; the scanner's errors carry the right line.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// Validate checks every field of c, and of every cell its sweep expands to, before anything
// runs. It returns the first problem found, as a *FieldError naming the file line of the
// offending value where it came from the file. It is Expand without the cells.
func (c *Config) Validate() error {
	_, err := Expand(c)
	return err
}

// validateFields checks the fields of one resolved config (a cell; its sweep is ignored).
func (c *Config) validateFields() error {
	if c.Name == "" {
		return c.fail(nil, "name", "missing, need a name for the experiment (it names the run directory)")
	}
	if !safeName.MatchString(c.Name) {
		return c.fail(nil, "name", "%q, need letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 characters (it names the run directory)", c.Name)
	}

	d := c.Dataset
	if !slices.Contains(datasets.Names(), d.Name) {
		return c.fail(nil, "dataset.name", "%q, want one of %s", d.Name, strings.Join(datasets.Names(), ", "))
	}
	if d.Path == "" {
		if d.Name != "mnist" {
			return c.fail(nil, "dataset.path", "missing, dataset %s is read from disk (only mnist is embedded)", d.Name)
		}
	} else if _, err := os.Stat(d.Path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return c.fail(err, "dataset.path", "%q: %v", d.Path, err)
	}
	// celebaAttrs are the attribute names of a CelebA folder, read from its attribute file's
	// header so that a misspelt label or attack attribute is reported before anything loads.
	var celebaAttrs []string
	if d.Name == "celeba" {
		names, err := datasets.CelebAAttrNames(d.Path)
		if err != nil {
			return c.fail(err, "dataset.path", "%v", err)
		}
		celebaAttrs = names
		label := cmp.Or(d.Label, datasets.DefaultCelebALabel)
		if !slices.Contains(names, label) {
			return c.fail(nil, "dataset.label", "%q is not an attribute of the CelebA folder %s, want one of %s (line 2 of its %s)",
				label, d.Path, strings.Join(names, ", "), datasets.CelebAAttrFile)
		}
	} else if d.Label != "" {
		return c.fail(nil, "dataset.label", "%q, but only dataset celeba has attributes to take a label from (%s has classes)", d.Label, d.Name)
	}
	if d.TrainLimit < 0 {
		return c.fail(nil, "dataset.train_limit", "%d, need an integer ≥ 0 (0 = all)", d.TrainLimit)
	}
	if d.TestLimit < 0 {
		return c.fail(nil, "dataset.test_limit", "%d, need an integer ≥ 0 (0 = all)", d.TestLimit)
	}

	arch, err := models.Lookup(c.Model.Arch)
	if err != nil {
		return c.fail(nil, "model.arch", "%q, want one of %s", c.Model.Arch, strings.Join(models.Names(), ", "))
	}
	if dc, dh, dw, _, ok := datasets.Shape(d.Name); ok && (dc != arch.C || dh != arch.H || dw != arch.W) {
		return c.fail(nil, "model.arch", "%s takes %d×%d×%d inputs, but dataset %s has %d×%d×%d",
			arch.Name, arch.C, arch.H, arch.W, d.Name, dc, dh, dw)
	}
	if s := c.Model.Split; s < 0 || s > arch.MaxSplit() {
		return c.fail(nil, "model.split", "%d, need 0 ≤ split ≤ %d for %s", s, arch.MaxSplit(), arch.Name)
	}

	m := c.Mixing
	k := m.GroupSize
	if k < 1 {
		return c.fail(nil, "mixing.group_size", "%d, need an integer ≥ 1", k)
	}
	if k > MaxGroupSize {
		return c.fail(nil, "mixing.group_size", "%d, need at most %d", k, MaxGroupSize)
	}
	if !slices.Contains(coefficientKinds, m.Coefficients) {
		return c.fail(nil, "mixing.coefficients", "%q, want one of %s", m.Coefficients, strings.Join(coefficientKinds, ", "))
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

	t := c.Train
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
	if err := c.validateAttacks(celebaAttrs); err != nil {
		return err
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

// lookup returns the value node at the dotted path in the mapping root, or nil.
func lookup(root *yaml.Node, path string) *yaml.Node {
	n := resolve(root)
	for _, seg := range strings.Split(path, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == seg && n.Content[i].Kind == yaml.ScalarNode {
				next = resolve(n.Content[i+1])
			}
		}
		n = next
	}
	return n
}

// resolve follows aliases. yaml.v3 rejects unknown anchors, and an alias always refers to a
// node that is complete or an ancestor, so following the chain of aliases terminates.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
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

// Marshal writes c as YAML, every field explicit (defaults included), with its sweep: the
// resolved config a run directory keeps. Parse(name, c.Marshal()) gives back c.
func (c *Config) Marshal() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("experiments: marshal config: %w", err)
	}
	flowRows(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("experiments: marshal config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("experiments: marshal config: %w", err)
	}
	return buf.Bytes(), nil
}

// flowRows writes every sequence of scalars (a matrix row, a sweep's list) in flow style.
func flowRows(n *yaml.Node) {
	if n.Kind == yaml.SequenceNode {
		flat := true
		for _, c := range n.Content {
			flat = flat && c.Kind == yaml.ScalarNode
		}
		if flat {
			n.Style |= yaml.FlowStyle
		}
	}
	for _, c := range n.Content {
		flowRows(c)
	}
}

// ---- schema walk ----

// configType is the schema the YAML is checked against.
var configType = reflect.TypeOf(Config{})

// sweepType is the type of Config.Sweep, checked by its own rules.
var sweepType = reflect.TypeOf(Sweep(nil))

// maxNodes bounds the number of values the schema walk visits, so that a small file
// expanding to a huge one through aliases is rejected rather than walked. A sweep over 30
// matrices of the largest group size (64×64) stays below it.
const maxNodes = 1 << 17

// checker walks a YAML node tree against a Go type, reporting what the strict decoder would
// reject (and non-integral numbers for integer fields, which yaml.v3 would truncate) with the
// dotted field path and the node's line.
type checker struct{ visited int }

func newChecker() *checker { return &checker{} }

// fieldInfo is one field of a config struct as seen by YAML.
type fieldInfo struct {
	name  string
	index int
}

// yamlFields lists the yaml-visible fields of struct type t, in declaration order.
func yamlFields(t reflect.Type) []fieldInfo {
	var fs []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs = append(fs, fieldInfo{name, i})
	}
	return fs
}

// fieldNames lists the yaml names of struct type t.
func fieldNames(t reflect.Type) string {
	var names []string
	for _, f := range yamlFields(t) {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

// typeByPath returns the type of the field at the dotted yaml path.
func typeByPath(t reflect.Type, path string) (reflect.Type, error) {
	prefix := ""
	for _, seg := range strings.Split(path, ".") {
		if t.Kind() != reflect.Struct || t == sweepType {
			return nil, fmt.Errorf("%s is not a section, it has no field %q", prefix, seg)
		}
		var found *reflect.StructField
		for _, f := range yamlFields(t) {
			if f.name == seg {
				sf := t.Field(f.index)
				found = &sf
			}
		}
		if found == nil {
			where := "the config"
			if prefix != "" {
				where = prefix
			}
			return nil, fmt.Errorf("no such field, %s has %s", where, fieldNames(t))
		}
		t = found.Type
		if prefix != "" {
			prefix += "."
		}
		prefix += seg
	}
	return t, nil
}

// fieldByPath returns the field of the struct value v at the dotted yaml path.
func fieldByPath(v reflect.Value, path string) (reflect.Value, bool) {
	for _, seg := range strings.Split(path, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		ok := false
		for _, f := range yamlFields(v.Type()) {
			if f.name == seg {
				v, ok = v.Field(f.index), true
				break
			}
		}
		if !ok {
			return reflect.Value{}, false
		}
	}
	return v, true
}

// describe names the kind of a node for an error message: the scalar as written, or
// "a list" / "a mapping".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "a YAML node"
}

// need says in words what a value of type t must be.
func need(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "an integer"
	case reflect.Uint64:
		return "an integer ≥ 0"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Slice {
			return "a matrix (a list of rows, each a list of numbers)"
		}
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(need(t.Elem()), "an "), "a ") + "s"
	case reflect.Struct:
		return "a mapping of fields (" + fieldNames(t) + ")"
	}
	return t.String()
}

// check walks n against t; path is the field's dotted yaml path (used in messages).
func (ck *checker) check(n *yaml.Node, t reflect.Type, path string) *FieldError {
	n = resolve(n)
	ck.visited++
	if ck.visited > maxNodes {
		return &FieldError{Line: n.Line, Field: path, Msg: fmt.Sprintf("more than %d values after expanding aliases", maxNodes)}
	}
	bad := func(format string, args ...any) *FieldError {
		return &FieldError{Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)}
	}
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	if t == sweepType {
		return ck.checkSweep(n, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if isNull { // an empty section keeps its defaults
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return bad("%s, need %s", describe(n), need(t))
		}
		return ck.checkMapping(n, t, path, map[string]int{})
	case reflect.Slice:
		if isNull && t.Elem().Kind() == reflect.Slice {
			return nil // an empty matrix field means no matrix
		}
		if n.Kind != yaml.SequenceNode {
			return bad("%s, need %s", describe(n), need(t))
		}
		for _, item := range n.Content {
			if err := ck.check(item, t.Elem(), path); err != nil {
				return err
			}
		}
		return nil
	}
	if isNull {
		return bad("no value, need %s (leave the key out to use the default)", need(t))
	}
	if n.Kind != yaml.ScalarNode {
		return bad("%s, need %s", describe(n), need(t))
	}
	tag := n.ShortTag()
	ok := true
	switch t.Kind() {
	case reflect.Int, reflect.Uint64:
		ok = tag == "!!int"
	case reflect.Float64:
		ok = tag == "!!int" || tag == "!!float"
	case reflect.Bool:
		ok = tag == "!!bool"
	case reflect.String:
		ok = tag != "!!binary"
	}
	if ok {
		ok = n.Decode(reflect.New(t).Interface()) == nil
	}
	if !ok {
		return bad("%s, need %s", describe(n), need(t))
	}
	return nil
}

// checkMapping checks the keys of mapping n against the fields of struct type t; seen maps
// each key already given to its line (merge keys share it with the mapping they merge into).
func (ck *checker) checkMapping(n *yaml.Node, t reflect.Type, path string, seen map[string]int) *FieldError {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	fields := yamlFields(t)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return &FieldError{Line: k.Line, Field: path, Msg: describe(k) + " as a key, need a field name"}
		}
		if line, dup := seen[k.Value]; dup {
			return &FieldError{Line: k.Line, Field: join(k.Value), Msg: fmt.Sprintf("given twice, first at line %d", line)}
		}
		seen[k.Value] = k.Line
		idx := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == k.Value })
		if idx < 0 {
			return &FieldError{Line: k.Line, Field: join(k.Value), Msg: "unknown field, want one of " + fieldNames(t)}
		}
		if err := ck.check(v, t.Field(fields[idx].index).Type, join(k.Value)); err != nil {
			return err
		}
	}
	// Keys merged in with "<<" are overridden by the mapping's own keys, so they may repeat
	// them; only repeats within one merged mapping are errors.
	for _, m := range merges {
		m = resolve(m)
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, s := range sources {
			s = resolve(s)
			if s.Kind != yaml.MappingNode {
				return &FieldError{Line: s.Line, Field: path, Msg: "a merge key (<<) needs a mapping or a list of mappings"}
			}
			if err := ck.checkMapping(s, t, path, map[string]int{}); err != nil {
				return err
			}
		}
	}
	return nil
}
