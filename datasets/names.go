package datasets

// Names lists the dataset names a config may use, in a fixed order.
func Names() []string { return []string{"mnist", "fashion-mnist", "cifar10", "cifar100", "celeba"} }

// Shape returns the image shape (channels c, height h, width w) and the class count of the named
// dataset; ok is false for a name Names does not list. celeba is loaded at DefaultCelebASize
// with two classes: its label is one binary attribute (Spec.Label).
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
	}
	return 0, 0, 0, 0, false
}
