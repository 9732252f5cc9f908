package nets

import (
	"slices"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/models"
)

// targetBatch is the batch size of the attacker's forward passes.
const targetBatch = 250

// Target returns the trained network as the attacks run it (attacks.Network): its shapes,
// its body, and its head, which an attack calls only where its spec knows the head's weights
// (at split 0 the head is the identity). Passes run targetBatch inputs at a time.
func Target(net *models.Net) attacks.Network { return &target{net: net} }

// target is a trained network for the attacks, at any batch size.
type target struct {
	net *models.Net
	inf *models.Inferer
}

func (a *target) Split() int { return a.net.Split }
func (a *target) InputShape() (int, int, int) {
	return a.net.Arch.C, a.net.Arch.H, a.net.Arch.W
}
func (a *target) UploadShape() []int { return a.net.UploadShape() }
func (a *target) ReturnDim() int     { return a.net.DownloadDim() }

func (a *target) Head(x []float32, n int) ([]float32, error) {
	if a.net.Split == 0 {
		return slices.Clone(x[:n*a.net.InputDim()]), nil
	}
	return a.run(x, n, a.net.InputDim(), a.net.UploadDim(), (*models.Inferer).Head)
}

func (a *target) Body(m []float32, n int) ([]float32, error) {
	return a.run(m, n, a.net.UploadDim(), a.net.DownloadDim(), (*models.Inferer).Body)
}

// run applies a stage of the inferer to n rows of in values each, in batches, padding the
// last batch with zeros.
func (a *target) run(x []float32, n, in, out int, stage func(*models.Inferer, []float32, []float32) error) ([]float32, error) {
	if a.inf == nil {
		inf, err := models.NewInferer(a.net, targetBatch)
		if err != nil {
			return nil, err
		}
		a.inf = inf
	}
	res := make([]float32, n*out)
	src := make([]float32, targetBatch*in)
	dst := make([]float32, targetBatch*out)
	for lo := 0; lo < n; lo += targetBatch {
		hi := min(lo+targetBatch, n)
		clear(src)
		copy(src, x[lo*in:hi*in])
		if err := stage(a.inf, dst, src); err != nil {
			return nil, err
		}
		copy(res[lo*out:hi*out], dst)
	}
	return res, nil
}
