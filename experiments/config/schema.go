package config

import (
	"cmp"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

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
	Dataset Dataset `yaml:"dataset"`
	// Model says which network and where it is split.
	Model Model `yaml:"model"`
	// Mixing says how each group of inputs is mixed before upload.
	Mixing Mixing `yaml:"mixing"`
	// Defences lists the edge-side defences applied on top of mixing in every DataMix cell,
	// in training and inference (see Defence and package defence), in this order at
	// each stage. Empty, the default, applies none. A baseline has none.
	Defences []Defence `yaml:"defences,omitempty"`
	// Train holds the optimisation settings.
	Train Train `yaml:"train"`
	// Baseline adds, per distinct dataset/arch/train/seed combination, a cell that trains the
	// same network unsplit and unmixed, so that results can report the accuracy cost of
	// mixing. The default is false.
	Baseline bool `yaml:"baseline"`
	// Attacks lists the privacy attacks run on every DataMix cell after evaluation (see
	// Attack). Empty, the default, runs none.
	Attacks []Attack `yaml:"attacks,omitempty"`
	// Sweep lists the fields to vary; see Expand. Empty means a single cell.
	Sweep Sweep `yaml:"sweep,omitempty"`
	// Wire, when present, makes the experiment a study of DataMix over the network as well
	// (runexp wire): each trained cell is served by a cloud process to edges over emulated
	// links, and latency, throughput, bytes and CPU time are measured (see Wire). Absent
	// (nil), the default, the experiment only trains and evaluates. It is not part of the
	// cells' IDs and cannot be swept.
	Wire *Wire `yaml:"wire,omitempty"`

	src  *source   // the file the config came from; nil for a config built in Go
	cell *cellInfo // the sweep assignments of a config made by Expand; nil otherwise

	arch    *models.Arch // the network, once validateModel has built it
	digests digests      // of the files model.file and model.weights, once validated
}

// digests are the SHA-256 (hex) of the files a config's model reads, for cell IDs.
type digests struct{ file, weights string }

// Dataset selects the data.
type Dataset struct {
	// Name is one of datasets.Names(). Default "mnist".
	Name string `yaml:"name"`
	// Path is the dataset's directory or file in its distributed format. "" (the default)
	// selects the MNIST copy embedded in the build for mnist and the installed files for
	// fashion-mnist (datasets.FashionMNISTDir), and is not allowed for the others. A relative
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
	// Size (image-folder only) is the [height, width] every image is brought to: scaled so
	// that it covers the size, keeping its aspect ratio, then cropped to it around the centre
	// (the datasets package documentation has the details). Required for image-folder, not allowed otherwise.
	Size []int `yaml:"size,omitempty"`
	// Channels (image-folder only) is 1 (grey) or 3 (RGB); 0, the default, means 3.
	Channels int `yaml:"channels,omitempty"`
	// SkipBad (image-folder only) skips the images that cannot be read or decoded, and notes
	// how many (the row's notes), instead of stopping at the first with an error naming it.
	// Default false.
	SkipBad bool `yaml:"skip_bad,omitempty"`
}

// Model selects the network and its split point. The network is a built-in architecture
// (Arch), an architecture file (File) or a list of layers written in the config (Layers):
// at most one of the three, the default being Arch models.DefaultArch.
type Model struct {
	// Arch is one of models.Names(); its input shape must match the dataset's. Default
	// models.DefaultArch when neither File nor Layers is given; left out ("") with them.
	Arch string `yaml:"arch,omitempty"`
	// File is an architecture file (a YAML description: see models.Description), for your own
	// network. A relative path is resolved against the directory of the config file. Its
	// input shape, if it gives one, must match the dataset's; its layers are checked against
	// the dataset's shape and classes before anything runs.
	File string `yaml:"file,omitempty"`
	// Layers describes your own network in the config itself, as an architecture file's
	// layers (models.LayerSpec); the input shape is the dataset's.
	Layers []models.LayerSpec `yaml:"layers,omitempty"`
	// Split is the number of blocks run on the edge before mixing, from 0 (mix raw inputs)
	// to the architecture's MaxSplit, or (written as a name) the name of a layer, whose block
	// is then the last on the edge (SplitName keeps the name; Validate resolves it into
	// Split). Default 1: the first block on the edge, which keeps the edge's share of the
	// FLOPs small (models.Net.FLOPs counts them) while it uploads features rather than raw
	// inputs.
	Split int `yaml:"split"`
	// Weights is a NumPy .npz archive of the network's weights with PyTorch's names (as
	// runexp export writes them; models.Net.ReadNPZ): the cells use them as they are and
	// train nothing, so that a model trained elsewhere can be evaluated and attacked. A
	// relative path is resolved against the directory of the config file. "" (the default)
	// trains the network.
	Weights string `yaml:"weights,omitempty"`

	// SplitName is model.split when the config names a layer instead of giving a number.
	SplitName string `yaml:"-"`
}

// Name is the network's name in results (the arch column): the built-in architecture's, the
// architecture file's base name without extension, or InlineArch for layers in the config.
func (m Model) Name() string {
	switch {
	case m.File != "":
		return strings.TrimSuffix(filepath.Base(m.File), filepath.Ext(m.File))
	case len(m.Layers) > 0:
		return InlineArch
	}
	return cmp.Or(m.Arch, models.DefaultArch)
}

// splitKey is the field path of Model.Split, which accepts a name as well as a number;
// layersKey that of Model.Layers, whose entries errors name by index (model.layers[3]).
const (
	splitKey  = "model.split"
	layersKey = "model.layers"
)

// UnmarshalYAML decodes a model section: model.split may be a layer's name (kept in
// SplitName), and a section that gives file or layers without arch clears the default arch.
// The schema walk has already checked the section, so the plain decoding is enough.
func (m *Model) UnmarshalYAML(n *yaml.Node) error {
	type plain Model
	flat := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column} // merge keys (<<) applied
	if err := merge(flat, n, 0); err != nil {
		return err
	}
	c := *flat
	c.Content = nil
	hasArch, hasOwn := false, false
	for i := 0; i+1 < len(flat.Content); i += 2 {
		k, v := flat.Content[i], resolve(flat.Content[i+1])
		switch k.Value {
		case "split":
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
				m.SplitName, m.Split = v.Value, 0
				continue
			}
			m.SplitName = ""
		case "arch":
			hasArch = true
		case "file", "layers":
			hasOwn = true
		}
		c.Content = append(c.Content, flat.Content[i], flat.Content[i+1])
	}
	if hasOwn && !hasArch {
		m.Arch = ""
	}
	return c.Decode((*plain)(m))
}

// MarshalYAML writes a model section with model.split as the name it was given, if any.
func (m Model) MarshalYAML() (any, error) {
	type plain Model
	var n yaml.Node
	if err := n.Encode(plain(m)); err != nil {
		return nil, err
	}
	if m.SplitName != "" {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "split" {
				n.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: m.SplitName}
			}
		}
	}
	return &n, nil
}

// Mixing says how a group of GroupSize inputs is mixed: the edge uploads M = C·H, the
// rows of the head outputs H combined by the secret k×k matrix C, and de-mixes the cloud's
// answers with C⁻¹.
type Mixing struct {
	// GroupSize is k, the number of inputs mixed together, from 1 (plain split inference)
	// to MaxGroupSize. Default 2, the paper's worked example.
	GroupSize int `yaml:"group_size"`
	// Coefficients names how the rows of C are drawn, one of mixing.SamplerNames():
	// "dirichlet" (convex rows drawn from a symmetric Dirichlet(Alpha), as in the paper's k=2
	// example), "uniform", "gaussian", or "fixed" (the same Matrix for every group). Default
	// "dirichlet".
	Coefficients string `yaml:"coefficients"`
	// Alpha is the Dirichlet concentration; used only with "dirichlet". Default 1, which makes
	// every convex row equally likely.
	Alpha float64 `yaml:"alpha"`
	// Matrix is the k×k mixing matrix C; required with "fixed" and not allowed otherwise.
	Matrix [][]float64 `yaml:"matrix,omitempty"`
	// Shuffle shuffles the uploads of many groups together before upload (inter-group
	// shuffling: the cloud cannot tell which uploads were mixed together; the edge keeps the
	// permutation to undo it). Default true.
	Shuffle bool `yaml:"shuffle"`
	// ShufflePool is the number of uploads shuffled together: the pool from which the cloud
	// must find each group. It must be a multiple of train.eval_batch_size, which is also how
	// many inputs the network runs at once; 0, the default, means one evaluation batch.
	// Evaluation and the attacks' victims go through the protocol pool by pool. A larger pool
	// is the obvious counter-measure to group matching (algo.MatchGroups scales to it).
	ShufflePool int `yaml:"shuffle_pool"`
	// MaxCond is the largest condition number of C accepted (drawn matrices above it are
	// redrawn; a fixed one is rejected); it must exceed 1. Default 100: de-mixing in float32
	// (about 7 significant digits) then loses at most about 2 digits.
	MaxCond float64 `yaml:"max_cond"`
}

// Train holds the optimisation settings of mixing-aware training.
type Train struct {
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

// lrSchedules lists the accepted values of train.lr_schedule.
var lrSchedules = []string{"constant", "cosine"}

// Defaults returns the configuration every field falls back to when the file leaves it out.
// Name is empty (a config must set it); the other defaults are documented on the fields.
func Defaults() Config {
	return Config{
		Seed:    0,
		Dataset: Dataset{Name: "mnist", Path: "", TrainLimit: 0, TestLimit: 0},
		Model:   Model{Arch: models.DefaultArch, Split: 1},
		Mixing: Mixing{
			GroupSize:    2,
			Coefficients: "dirichlet",
			Alpha:        1,
			Shuffle:      true,
			MaxCond:      100,
		},
		Train:    Train{Epochs: 2, BatchSize: 64, LR: 0.001, LRSchedule: "constant", EvalBatchSize: 500},
		Baseline: false,
	}
}
