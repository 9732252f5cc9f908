package experiments

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
)

// CheckpointFile is the trained network a cell's directory holds (models.Net.Save).
const CheckpointFile = "model.ckpt"

// Export writes the trained network of the cell whose directory is cellDir (its checkpoint)
// into the directory out, for use outside the harness: model.npz, the whole network's weights
// and batch-norm statistics as a NumPy archive with PyTorch's state_dict names
// (models.Net.WriteNPZ), head.npz, body.npz and tail.npz, the parts at the cell's split, and
// arch.yaml, the network's description, from which bench/torch_crosscheck.py builds the same
// network in PyTorch. model.npz is what a config's model.weights reads back. It returns the
// files written, in that order; each is written atomically.
func Export(cellDir, out string) ([]string, error) {
	ckpt := filepath.Join(cellDir, CheckpointFile)
	f, err := os.Open(ckpt)
	if err != nil {
		return nil, fmt.Errorf("experiments: export: %w (a cell's directory, runs/<name>/cells/<id>, holds %s once the cell finished)", err, CheckpointFile)
	}
	net, err := models.Load(f, ckpt)
	f.Close()
	if err != nil {
		return nil, err
	}
	desc, err := net.Arch.DescriptionText()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("experiments: export: %w", err)
	}
	var written []string
	for _, p := range []struct {
		file string
		part models.Part
	}{{"model.npz", models.Whole}, {"head.npz", models.Head}, {"body.npz", models.Body}, {"tail.npz", models.Tail}} {
		path := filepath.Join(out, p.file)
		if err := results.WriteFileAtomic(path, func(w io.Writer) error { return net.WriteNPZ(w, p.part) }); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	path := filepath.Join(out, "arch.yaml")
	if err := results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(desc)
		return err
	}); err != nil {
		return written, err
	}
	return append(written, path), nil
}
