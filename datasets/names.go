package datasets

// Names lists the dataset names a config may use, in a fixed order.
func Names() []string {
	return []string{"mnist", "fashion-mnist", "cifar10", "cifar100", "celeba", "spoken-digits", "speech-commands", ImageFolderName}
}

// Shape returns the image shape (channels c, height h, width w) and the class count of the named
// dataset; ok is false for a name Names does not list. celeba is loaded at DefaultCelebASize
// with two classes: its label is one binary attribute (Spec.Label). The speech datasets are
// log-mel spectrograms of the ten spoken digits, 1 × mel bands × frames (SpokenDigitsMel,
// SpeechCommandsMel). An image folder has no fixed shape (its Spec gives the size and
// channels, its folders the classes): ok is false for it.
func Shape(name string) (c, h, w, classes int, ok bool) {
	switch name {
	case "mnist", "fashion-mnist":
		return 1, 28, 28, 10, true
	case "cifar10":
		return 3, 32, 32, 10, true
	case "cifar100":
		return 3, 32, 32, 100, true
	case "celeba":
		return 3, DefaultCelebASize, DefaultCelebASize, 2, true
	case "spoken-digits":
		m := SpokenDigitsMel()
		return 1, m.Mels, m.Frames, 10, true
	case "speech-commands":
		m := SpeechCommandsMel()
		return 1, m.Mels, m.Frames, 10, true
	}
	return 0, 0, 0, 0, false
}

// AttrNames returns the names of the attributes the images of dataset name in folder dir carry
// (Dataset.Attrs) without loading it — a cheap check of an attack's attributes before a long
// load: celeba's from line 2 of its attribute file (CelebAAttrNames); speaker, and gender when
// the corpus has speakers.csv, for the speech datasets; an image folder's manifest columns;
// nil for datasets with classes only.
func AttrNames(name, dir string) ([]string, error) {
	switch name {
	case "celeba":
		return CelebAAttrNames(dir)
	case "spoken-digits", "speech-commands":
		return speechAttrNames(name, dir), nil
	case ImageFolderName:
		return imageFolderAttrNames(dir)
	}
	return nil, nil
}
