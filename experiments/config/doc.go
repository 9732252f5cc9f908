// Package config is the language of experiments: one YAML file describes an experiment, is
// checked before anything runs, and expands through its sweep into the cells to run. Package
// experiments runs the cells; cmd/runexp is the command line over both.
//
// # Concept
//
// An experiment trains and evaluates a network with DataMix split inference: the edge runs the
// first model.split blocks, mixes each group of mixing.group_size inputs with a secret matrix,
// the cloud runs the body on the mixed tensors, and the edge de-mixes and classifies. A
// Config is one such experiment; its optional sweep varies any of its fields, and Expand turns
// it into Cells, each a fully resolved config plus a variant: "datamix" (the method) or
// "baseline" (the same network trained unsplit and unmixed, the reference accuracy). Attack
// and Defence entries become the attacks package's Specs (Attack.Spec) and a defence.Stack
// (Config.DefenceStack) for the runner; Tiny shrinks a config into a smoke test of itself.
//
// # Config reference
//
// Every key below is optional except name; a key left out keeps the default shown (Defaults
// returns them all). Keys not listed are errors.
//
//	name: quickstart            # required; names the run directory: [A-Za-z0-9][A-Za-z0-9._-]*, ≤ 100 chars
//	seed: 0                     # uint64; seeds every random draw of a cell; 0 is a valid seed
//	dataset:
//	  name: mnist               # mnist, fashion-mnist, cifar10, cifar100, celeba, spoken-digits, speech-commands, image-folder (datasets.Names)
//	  path: ""                  # "" = the embedded MNIST (mnist), the installed Fashion-MNIST (fashion-mnist:
//	                            # $DATAMIX_FASHION_MNIST_DIR, else Debian's dataset-fashion-mnist); else a file
//	                            # or directory that must exist; relative paths are resolved against the config
//	                            # file's directory
//	  train_limit: 0            # use the first N training examples; 0 = all
//	  test_limit: 0             # use the first N test examples; 0 = all
//	  label: ""                 # celeba only: the attribute learnt as the binary label (Male, Smiling, …,
//	                            # as spelt in list_attr_celeba.txt); "" = Male. Not allowed for other datasets
//	  size: [32, 32]            # image-folder only, required: [height, width] every image is brought to
//	                            # (scaled to cover it, aspect kept, centre-cropped, area-averaged)
//	  channels: 3               # image-folder only: 1 (grey) or 3 (RGB); 0 = 3
//	  skip_bad: false           # image-folder only: skip unreadable images (counted in the notes) instead of failing
//	model:                      # the network: arch, or your own as file or layers (at most one of the three)
//	  arch: mnist-cnn           # mnist-cnn, mnist-resnet8, mnist-resnet20 (28×28×1); cifar-cnn, cifar-resnet8, cifar-resnet20 (32×32×3); speech-cnn (1×32×64)
//	                            # (models.Names); its input shape must equal the dataset's. Default when
//	                            # neither file nor layers is given
//	  file: archs/my-net.yaml   # an architecture file (doc:, input: [C, H, W], layers:), relative to this file
//	  layers:                   # or the layers here (models.LayerSpec); the input is the dataset's shape
//	    - kind: conv            # conv, batchnorm, relu, maxpool, avgpool, residual, gap, flatten, dense, dropout
//	      name: conv1           # optional; unique; model.split may name it
//	      channels: 8           # conv, residual: output channels (required)
//	      kernel: 3             # conv, maxpool, avgpool (required); residual (default 3, odd)
//	      stride: 1             # conv, residual: default 1; pools: default the kernel
//	      padding: 1            # conv, maxpool, avgpool: zero padding, default 0 (pools: at most kernel/2)
//	      bias: true            # conv only: default true
//	      shortcut: pad         # residual only: identity (default when the shape is kept), pad (option A) or projection (option B)
//	      units: 10             # dense: required, except on the last layer (default: one per class)
//	      rate: 0.5             # dropout only, required: 0 < rate < 1
//	  split: 1                  # blocks on the edge, 0 … MaxSplit, or the name of a layer whose block ends the head
//	  weights: ""               # a .npz of the network's weights (runexp export; PyTorch's names): no training
//	mixing:
//	  group_size: 2             # k, 1 … 64; 1 with C=[1] is plain split inference
//	  coefficients: dirichlet   # dirichlet, uniform, gaussian, or fixed
//	  alpha: 1                  # Dirichlet concentration, finite and > 0 (dirichlet only)
//	  matrix: [[0.7, 0.3], [0.6, 0.4]]  # k×k; required with fixed, not allowed otherwise
//	  shuffle: true             # shuffle uploads across groups
//	  shuffle_pool: 0           # uploads shuffled together: 0 = one evaluation batch, else a multiple
//	                            # of train.eval_batch_size (the pool runs through the network batch by batch)
//	  max_cond: 100             # largest accepted condition number of C, > 1
//	defences:                   # optional: edge-side defences on top of mixing (Defence, package defence)
//	  - kind: gaussian          # gaussian, laplace, offset, mask, quantise, nopeek; required. Each reads
//	                            # exactly one strength, required; the others must be left out:
//	    scale: 0.5              # gaussian, laplace: noise s.d.; offset: largest offset; both in units of
//	                            # the s.d. of the row they are added to (an input's features, an upload); > 0
//	    rate: 0.3               # mask: fraction of values zeroed (kept ones scaled by 1/(1−rate)); 0 < rate < 1
//	    bits: 8                 # quantise: bits per uploaded value, 1 … 16; at most once, last after mixing
//	    weight: 1               # nopeek: weight of dCor(inputs, head outputs) in the training loss; > 0;
//	                            # at most once; not at model.split 0 (no head to train)
//	    stage: after_mix        # before_mix or after_mix; "" = the kind's own (after_mix: gaussian, laplace,
//	                            # quantise; before_mix: offset, mask; nopeek trains only); only gaussian,
//	                            # laplace, offset and mask may choose. Cells' resolved configs name it
//	train:
//	  epochs: 2                 # ≥ 1
//	  batch_size: 64            # ≥ 1 and a multiple of group_size (batches are mixed in whole groups)
//	  lr: 0.001                 # Adam learning rate, finite and > 0
//	  lr_schedule: constant     # constant, or cosine: lr decays to 0 along half a cosine over all steps
//	  augment_shift: 0          # shift each training image by up to n pixels in x and y (uniform, zero
//	                            # fill); 0 = off; less than half the image side
//	  eval_batch_size: 500      # ≥ 1 and a multiple of group_size
//	baseline: false             # also train the unsplit, unmixed network for comparison
//	attacks:                    # optional: privacy attacks run on every DataMix cell (Attack)
//	  - kind: ica               # inversion, ica, group_matching, attribute, output, decoder, rmle, fora,
//	                            # unsplit; required
//	    name: ""                # column prefix; "" = the kind's (inversion, ica, group_match, attr, output,
//	                            # decoder, rmle, fora, unsplit)
//	    victims: 0              # test images attacked; 0 = 500
//	    aux: 0                  # auxiliary training images; 0 = 2000 (or the whole training split)
//	    head: known             # known or unknown: does the attacker know the head's weights (decoder and
//	                            # rmle then train a shadow head through the frozen body at split > 0;
//	                            # fora and unsplit never read them: they are head-withheld attacks)
//	    coefficients: known     # the distribution the attacker assumes: known (the edge's; under fixed
//	                            # coefficients Dirichlet(1), the matrix being secret), oracle (the edge's
//	                            # sampler: under fixed, the secret C), dirichlet, uniform, gaussian
//	    grouping: auto          # ica, decoder, rmle, unsplit: auto (upload order, or group matching when shuffled)
//	                            # or oracle
//	    affinity: auto          # group_matching, ica, decoder, rmle, unsplit: auto (support if the uploads have exact
//	                            # zeros, else subspace), support, correlation or subspace
//	    attributes: []          # attribute only: label, ink, colour, and on celeba any CelebA attribute
//	                            # (Male, Smiling, …; columns lower-case it: attr_male_acc), on the speech
//	                            # datasets speaker (one class per speaker) and gender (spoken-digits with
//	                            # speakers.csv); [] = label+ink (grey), label+colour (RGB, celeba included)
//	    epochs: 0               # decoder, fora, and rmle with init decoder: decoder training epochs,
//	                            # 0 … 100000; 0 = 20
//	    iterations: 0           # rmle: Adam steps per image, 0 = 300; unsplit: joint Adam steps per batch
//	                            # and pass, 0 = 200; 0 … 100000
//	    init: grey              # rmle only: grey, or decoder (start from a decoder of the head's features)
//	    shadow_epochs: 0        # decoder and rmle with head unknown at split > 0, and fora: epochs of the
//	                            # shadow (fora: substitute) head and tail trained through the frozen body,
//	                            # 0 … 100000; 0 = 20
//	wire:                       # optional: serve the trained cells over the network and measure (runexp wire);
//	                            # needs baseline: true; not part of cell IDs, not sweepable (Wire)
//	  links: [3g, lte, wifi, datacentre]  # latency sweep, one edge per link: 3g, lte, wifi, datacentre, loopback
//	  edges: [1, 4, 16, 64]     # scaling sweep: edges at once, each 1 … 256
//	  scaling_link: loopback    # the link of every edge in the scaling sweep: 3g, lte, wifi, datacentre, loopback
//	  pool: 8                   # inputs per exchange (an edge's shuffling pool), a multiple of mixing.group_size
//	  inputs: 64                # test images one edge serves per link, a multiple of pool
//	  seconds: 10               # length of each scaling point, (0, 3600]
//	  max_batch: 64             # the cloud's dynamic batcher: most rows per body run, ≥ pool, ≤ 4096
//	  max_delay_ms: 2           # … and the longest the oldest request waits for others, 0 … 10000
//	  conn_queue: 16            # most requests one edge may have waiting in the cloud, ≥ 1
//	sweep:                      # optional: field path → non-empty list of values
//	  mixing.group_size: [1, 2, 4]
//	  defences: [[], [{kind: mask, rate: 0.3}]]   # a list field is swept as whole lists
//	  model.split: [0, 1]
//	  zip:                      # optional: paired lists of equal length, one axis of the product
//	    train.lr: [0.001, 0.002]
//	    train.epochs: [4, 2]
//
// The reasons for the defaults are given on the fields of Config and its sections.
//
// # Sweeps and cells
//
// A sweep key is the dotted yaml path of any field except name, baseline and sweep
// (e.g. seed, dataset.train_limit, model.split, mixing.coefficients, mixing.matrix). A key may
// also name a whole section, each value then being a mapping merged into it, which sweeps
// fields together instead of crossing them:
//
//	sweep:
//	  mixing: [{coefficients: dirichlet}, {coefficients: fixed, matrix: [[0.7, 0.3], [0.6, 0.4]]}]
//
// The key zip holds paired lists instead of crossed ones: a mapping from field paths to lists
// of one length, whose i-th values go into the same cell. The group counts as one axis of the
// product, at the place of the zip key; a sweep has at most one, and a field is swept at most
// once, inside or outside it. Typical use: a group size with the batch sizes it divides,
//
//	sweep:
//	  zip:
//	    mixing.group_size: [1, 3, 6]
//	    train.batch_size: [64, 48, 96]
//	    train.eval_batch_size: [500, 480, 480]
//	  seed: [1, 2, 3]               # 9 cells: each (k, batch) pair for each seed
//
// The cells are the Cartesian product of the lists, the first key varying slowest. Each cell
// is made by assigning its values to a copy of the config's YAML tree and decoding that
// strictly again, then validated on its own: the base values of swept fields never matter.
// With baseline: true, one baseline cell is added per distinct combination of the fields a
// baseline depends on (seed, dataset.*, train.*, and the model section's arch, file, layers
// and weights), right before the first datamix cell that needs it. Two datamix cells with the
// same ID are an error.
//
// A fashion-mnist dataset with path "" is read from the folder DATAMIX_FASHION_MNIST_DIR names,
// else from Debian's package dataset-fashion-mnist; Validate checks that one of them holds the
// four files and otherwise says, with the config line, what to install or where to put which
// files. The speech datasets spoken-digits and speech-commands (1×32×64 log-mel spectrograms,
// for speech-cnn) are read from their folder; Validate names their attributes (speaker, and
// gender when a spoken-digit corpus has speakers.csv) without reading audio.
//
// A celeba dataset (3×32×32, for cifar-cnn) is CelebA in its distributed layout; see the
// datasets package for the files and the train/test split. Validate reads the attribute names
// from line 2 of its list_attr_celeba.txt, so a dataset.label or attack attribute the folder
// lacks is reported with its config line before anything loads; the cell's resolved config
// names the label even when the file left it out (Male), and each celeba row notes it in the
// notes column ("label": "Smiling"), since its accuracy is that attribute's.
//
// A cell's ID is the first 12 hex digits of the SHA-256 of its canonical form: the line
// "variant=<variant>" followed by one "path=value" line per field in declaration order
// (strings quoted, floats in shortest round-trip form, matrices as [[a,b],[c,d]]). It leaves
// out name and baseline, which describe the experiment rather than the cell, and
// dataset.path, model.file and model.weights, which say where the data and files are rather
// than what they hold: renaming an experiment or moving a checkout keeps the IDs of finished
// cells. What model.file and model.weights hold counts instead: the SHA-256 of each file's
// bytes is a line of its own ("model.file.sha256=…"), so editing an architecture file or
// replacing the weights gives new cells. Every other field counts, including ones the variant
// ignores (alpha under uniform coefficients, say), except that fields added later (attacks,
// dataset.label, mixing.shuffle_pool, defences, model.layers, dataset.size, dataset.channels,
// dataset.skip_bad) are left out when empty or zero, so older configs keep their IDs; a
// split given by a layer's name counts as its number.
//
// # Your own network and images
//
// model.file or model.layers describe a network as data (models.Description: a list of layers
// in the order they run, blocks starting at every conv, dense and residual layer); Validate
// builds it for the dataset's shape and classes, so a layer that does not fit is reported with
// its config line (for a file, with the file's own line too):
//
//	configs/x.yaml:9: model.layers[2].kernel: 15 does not fit the input 4×13×13 with padding 0 (the padded input is 13×13)
//
// model.split may name a layer (its block is the last on the edge); model.weights reads a
// trained network's .npz (runexp export), and the cells then train nothing. dataset
// image-folder reads a folder of your own images (train/<class>/, test/<class>/, or train.csv
// and test.csv manifests with attribute columns) at dataset.size and dataset.channels; see the
// datasets package.
//
// # Overrides
//
// LoadWith applies command-line overrides (runexp -set KEY=VALUE; see Overrides) to the file's
// YAML tree before it is checked, so that they are checked like the file and recorded in the
// resolved config: a field by its dotted path, the values of one swept field
// (sweep.FIELD=[…]), or the whole sweep. An error about an overridden value names the override
// instead of a file line:
//
//	-set mixing.group_size=0: mixing.group_size: 0, need an integer ≥ 1
//
// # Errors
//
// Load rejects, with a one-line error naming the file and line: an unreadable or empty file,
// YAML syntax errors, more than one document, a top level that is not a mapping, unknown keys
// (listing the known ones), repeated keys, values of the wrong type (including fractions for
// integer fields, which the YAML decoder would otherwise truncate, and integers beyond the
// field's range, named with the range), a key with no value, and a malformed sweep (unknown
// field path, empty or non-list values, values of the wrong type).
// Validate and Expand then check every field of every cell before anything runs and report
// the first problem as a *FieldError, in the form
//
//	configs/x.yaml:7: mixing.group_size: 0, need an integer ≥ 1
//	configs/x.yaml:12: sweep cell {mixing.group_size: 3}: train.batch_size: 64, need a multiple of mixing.group_size (3): batches are mixed in whole groups
//
// The line is that of the offending value where it came from the file (a swept value's line
// in the sweep); it is left out for defaults and for values set in Go after Load. Configs
// built in Go, with no file, report "config: …" instead of the file name. Other errors of
// this package start with "config:".
package config
