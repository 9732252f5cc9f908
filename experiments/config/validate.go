package config

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
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
	if err := c.validateImageFolder(); err != nil {
		return nil, err
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

// validateImageFolder checks the fields only an image folder reads: a size of two sides in
// 1..4096 and 1 or 3 channels for it, none of them for another dataset.
func (c *Config) validateImageFolder() error {
	d := c.Dataset
	if d.Name != datasets.ImageFolderName {
		for _, f := range []struct {
			key string
			set bool
		}{{"dataset.size", d.Size != nil}, {"dataset.channels", d.Channels != 0}, {"dataset.skip_bad", d.SkipBad}} {
			if f.set {
				return c.fail(nil, f.key, "given, but only dataset %s reads it (%s has a fixed shape)", datasets.ImageFolderName, d.Name)
			}
		}
		return nil
	}
	if len(d.Size) != 2 || d.Size[0] < 1 || d.Size[1] < 1 || d.Size[0] > maxImageSide || d.Size[1] > maxImageSide {
		fe := c.fail(nil, "dataset.size", "%v, need [height, width], each in 1..%d: the size every image is brought to", d.Size, maxImageSide)
		if d.Size == nil {
			fe.Msg = "missing, dataset image-folder needs [height, width]: the size every image is brought to"
			fe.Line = c.lineOf("dataset.size", "dataset.name")
		}
		return fe
	}
	if d.Channels != 0 && d.Channels != 1 && d.Channels != 3 {
		return c.fail(nil, "dataset.channels", "%d, need 1 (grey) or 3 (RGB)", d.Channels)
	}
	if _, err := datasets.ImageFolderClasses(d.Path); err != nil {
		return c.fail(err, "dataset.path", "%v", err)
	}
	return nil
}

// maxImageSide bounds dataset.size (datasets' own limit).
const maxImageSide = 4096

// validateModel checks the model section: one network given (a built-in arch, a file or
// layers), built for the dataset's shape and classes; a split point within it (a layer's name
// is resolved into the number); weights, if given, that fit it. The built network is kept for
// Architecture, and the digests of the files for the cell ID.
func (c *Config) validateModel() error {
	m := &c.Model
	arch, err := c.buildArch()
	if err != nil {
		return err
	}
	if dc, dh, dw, _, ok := c.dataShape(); ok && (dc != arch.C || dh != arch.H || dw != arch.W) {
		field := "model.arch"
		if m.Arch == "" {
			field = "model.file"
		}
		return c.fail(nil, field, "%s takes %d×%d×%d inputs, but dataset %s has %d×%d×%d",
			arch.Name, arch.C, arch.H, arch.W, c.Dataset.Name, dc, dh, dw)
	}
	if m.SplitName != "" {
		s, err := arch.SplitOf(m.SplitName)
		if err != nil {
			return c.fail(err, splitKey, "%v", err)
		}
		m.Split = s
	} else if s := m.Split; s < 0 || s > arch.MaxSplit() {
		return c.fail(nil, splitKey, "%d, need 0 ≤ split ≤ %d for %s (or the name of a layer)", s, arch.MaxSplit(), arch.Name)
	}
	if _, _, _, classes, ok := c.dataShape(); ok {
		if cl := arch.Tail[len(arch.Tail)-1]; cl.Out != 0 && cl.Out != classes {
			fe := c.fail(nil, "model", "%s's last layer has %d units, but dataset %s has %d classes (leave units out: one per class)", arch.Name, cl.Out, c.Dataset.Name, classes)
			if m.File == "" {
				fe.Field = fmt.Sprintf("%s[%d].units", layersKey, len(m.Layers)-1)
				fe.Line = c.layerLine(len(m.Layers)-1, "units")
			} else {
				fe.Field, fe.Line = "model.file", c.lineOf("model.file")
			}
			return fe
		}
		if m.Weights != "" {
			if err := c.checkWeights(arch, classes); err != nil {
				return err
			}
		}
	}
	c.arch = &arch
	return nil
}

// buildArch builds the network the model section gives: a built-in one, a file's or the
// layers', for the dataset's shape. Faults name the config line; a file's name its own file
// and line as well.
func (c *Config) buildArch() (models.Arch, error) {
	m := c.Model
	given := []string{}
	for _, g := range []struct {
		key string
		set bool
	}{{"model.arch", m.Arch != ""}, {"model.file", m.File != ""}, {layersKey, len(m.Layers) > 0}} {
		if g.set {
			given = append(given, g.key)
		}
	}
	if len(given) > 1 {
		return models.Arch{}, c.fail(nil, given[1], "given with %s; give the network one way: arch (built in), file or layers", given[0])
	}
	dc, dh, dw, _, _ := c.dataShape()
	switch {
	case m.File != "":
		data, err := os.ReadFile(m.File)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return models.Arch{}, c.fail(err, "model.file", "%q: %v", m.File, err)
		}
		name := strings.TrimSuffix(filepath.Base(m.File), filepath.Ext(m.File))
		d, err := models.ParseDescription(m.File, data)
		var a models.Arch
		if err == nil {
			if d.Input != nil && dc > 0 && !slices.Equal(d.Input, []int{dc, dh, dw}) {
				return models.Arch{}, c.fail(nil, "model.file", "%s takes %s inputs (its input:), but dataset %s has %d×%d×%d",
					m.File, shapeText(d.Input), c.Dataset.Name, dc, dh, dw)
			}
			a, err = d.Build(name, dc, dh, dw)
		}
		if err != nil {
			var ae *models.ArchError
			if errors.As(err, &ae) {
				return models.Arch{}, c.fail(err, "model.file", "%s: %s", ae.Where(), ae.Msg)
			}
			return models.Arch{}, c.fail(err, "model.file", "%v", err)
		}
		sum := sha256.Sum256(data)
		c.digests.file = hex.EncodeToString(sum[:])
		return a, nil
	case len(m.Layers) > 0:
		if dc == 0 {
			return models.Arch{}, c.fail(nil, layersKey, "dataset %s has no fixed input shape to build the layers for", c.Dataset.Name)
		}
		d := &models.Description{Layers: m.Layers}
		a, err := d.Build(InlineArch, dc, dh, dw)
		if err != nil {
			var ae *models.ArchError
			if !errors.As(err, &ae) {
				return models.Arch{}, c.fail(err, layersKey, "%v", err)
			}
			fe := c.fail(err, layersKey, "%s", ae.Msg)
			if ae.Layer >= 0 {
				fe.Field = fmt.Sprintf("%s[%d]", layersKey, ae.Layer)
				if ae.Field != "" {
					fe.Field += "." + ae.Field
				}
				fe.Line = c.layerLine(ae.Layer, ae.Field)
			}
			return models.Arch{}, fe
		}
		return a, nil
	}
	name := cmp.Or(m.Arch, models.DefaultArch)
	a, err := models.Lookup(name)
	if err != nil {
		return models.Arch{}, c.fail(nil, "model.arch", "%q, want one of %s (or give your own network: model.file or model.layers)", name, strings.Join(models.Names(), ", "))
	}
	return a, nil
}

// InlineArch is the architecture name of a network given by model.layers (results' arch
// column); a network from model.file is named after the file.
const InlineArch = "layers"

// layerLine returns the file line of field of model.layers[i] (the entry's own line when the
// field is "" or not written), or 0 when the layers did not come from the file.
func (c *Config) layerLine(i int, field string) int {
	if c.src == nil || c.src.root == nil {
		return 0
	}
	list := lookup(c.src.root, layersKey)
	if list == nil || list.Kind != yaml.SequenceNode || i >= len(list.Content) {
		return c.lineOf(layersKey)
	}
	item := resolve(list.Content[i])
	if field != "" && item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			if item.Content[j].Value == field {
				return item.Content[j+1].Line
			}
		}
	}
	return item.Line
}

// checkWeights checks that model.weights holds the network's weights: an .npz archive with
// an array of the right shape for every weight.
func (c *Config) checkWeights(arch models.Arch, classes int) error {
	data, err := os.ReadFile(c.Model.Weights)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return c.fail(err, "model.weights", "%q: %v", c.Model.Weights, err)
	}
	n, err := models.New(arch, classes, 0, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return c.fail(err, "model.weights", "%v", err)
	}
	if err := n.ReadNPZ(bytes.NewReader(data), int64(len(data)), c.Model.Weights); err != nil {
		return c.fail(err, "model.weights", "%s", strings.TrimPrefix(err.Error(), "models: "))
	}
	sum := sha256.Sum256(data)
	c.digests.weights = hex.EncodeToString(sum[:])
	return nil
}

// Architecture returns the network the config's model section gives, built for its dataset
// (validation builds it; a config not yet validated builds it now).
func (c *Config) Architecture() (models.Arch, error) {
	if c.arch != nil {
		return *c.arch, nil
	}
	if err := c.validateModel(); err != nil {
		return models.Arch{}, err
	}
	return *c.arch, nil
}

// dataShape returns the shape (channels, height, width) and class count of the config's
// dataset, where they are known before it loads: fixed per dataset, or for an image folder
// the configured size and channels and its class folders; ok is false otherwise (c is 0
// then).
func (c *Config) dataShape() (ch, h, w, classes int, ok bool) {
	d := c.Dataset
	if d.Name != datasets.ImageFolderName {
		return datasets.Shape(d.Name)
	}
	if len(d.Size) != 2 {
		return 0, 0, 0, 0, false
	}
	names, err := datasets.ImageFolderClasses(d.Path)
	if err != nil {
		return 0, 0, 0, 0, false
	}
	return cmp.Or(d.Channels, 3), d.Size[0], d.Size[1], len(names), true
}

// shapeText writes a shape as 1×28×28.
func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "×")
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
	if _, h, w, _, ok := c.dataShape(); ok && (t.AugmentShift < 0 || 2*t.AugmentShift >= min(h, w)) {
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
	if f == splitKey && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" { // a layer's name
		if n.Value == c.Model.SplitName {
			return n.Line, true
		}
		return 0, true
	}
	v := reflect.New(cur.Type())
	if n.Decode(v.Interface()) != nil {
		return 0, true
	}
	if slices.Contains(pathFields, f) {
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
