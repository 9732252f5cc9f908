package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
)

// The streams of the cell's seeded generator that the attacks use, apart from run.go's
// (1 to 4): one for the victims' secrets, then one per attack of the list, in order, so that
// adding an attack at the end leaves the others' numbers unchanged.
const (
	streamAttackCapture = 100
	streamAttack        = 101
)

// AttackGridFile is the image grid each DataMix cell with attacks writes into its directory:
// originals | uploads | each attack's reconstructions, one row per displayed victim.
const AttackGridFile = "attacks.png"

// gridScale is the nearest-neighbour upscaling of the grid: 28-pixel digits become 84 pixels.
const gridScale = 3

// gridVictims is how many victims the grid shows: whole groups, at least this many images.
const gridVictims = 8

// AttackReport is what the attacks of a cell produced besides their columns: the image grid.
type AttackReport struct {
	Grid []results.GridColumn
}

// runAttacks runs the config's attacks on a trained DataMix cell and adds their metrics and
// notes to res.Row; baseline cells and configs without attacks are left alone. The victims'
// uploads are captured through the same edge/cloud Pipeline as evaluation, with fresh secrets
// from their own stream.
func runAttacks(ctx context.Context, c *config.Cell, ds *datasets.Dataset, res *CellResult, scheme datamix.Scheme, progress func(Progress)) error {
	cfg := &c.Config
	if len(cfg.Attacks) == 0 || c.Variant != config.VariantDataMix {
		return nil
	}
	specs := make([]attacks.Spec, len(cfg.Attacks))
	victims := 0
	for i, a := range cfg.Attacks {
		specs[i] = a.Spec()
		if a.Aux == 0 { // the default adapts to a small training split
			specs[i].Aux = min(specs[i].Aux, ds.Train.N)
		}
		victims = max(victims, specs[i].Victims)
	}
	capt, err := captureVictims(res.Net, ds.Test, victims, shufflePool(cfg), cfg.Train.EvalBatchSize, scheme, cellRNG(cfg.Seed, streamAttackCapture))
	if err != nil {
		return err
	}
	net := &attackNet{net: res.Net}
	row := &res.Row
	if row.Metrics == nil {
		row.Metrics = map[string]float64{}
	}
	if row.Notes == nil {
		row.Notes = map[string]string{}
	}
	row.Notes["attacks"] = fmt.Sprintf("victims: the first %d test images in pools of %d uploads, fresh secrets; auxiliary images drawn from the %d training images", capt.N, capt.Pool, ds.Train.N)
	var recon []attacks.ReconColumn
	for i, s := range specs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("experiments: stopped during attacks: %w", err)
		}
		progress(Progress{Phase: "attack", Step: i, Steps: len(specs)})
		out, err := attacks.Run(s, &attacks.Env{Net: net, Capture: capt, Pool: ds.Train, Classes: ds.Classes, Attrs: ds.Attrs, AttrClasses: ds.AttrClasses,
			Sampler: scheme.Sampler, Guard: scheme.Guard, Defences: scheme.Defences, RNG: cellRNG(cfg.Seed, streamAttack+uint64(i)),
			Learner: &attackLearner{net: res.Net}})
		if err != nil {
			return err
		}
		for name, v := range out.Metrics {
			row.Metrics[name] = v
		}
		for name, v := range out.Notes {
			row.Notes[name] = v
		}
		recon = append(recon, out.Recon...)
	}
	progress(Progress{Phase: "attack", Step: len(specs), Steps: len(specs)})
	res.Attacks = &AttackReport{Grid: attackGrid(capt, res.Net, recon)}
	return nil
}

// writeAttackFiles writes the image grid of a cell's attacks into its directory.
func writeAttackFiles(dir string, res *CellResult) error {
	if res.Attacks == nil || len(res.Attacks.Grid) == 0 {
		return nil
	}
	return results.WriteGrid(filepath.Join(dir, AttackGridFile), res.Attacks.Grid, gridScale)
}

// captureVictims runs the first n test images, in whole shuffling pools and at least one,
// through the edge and cloud, batch images at a time, and records the exchange with its
// secrets. A test split smaller than one pool is one pool.
func captureVictims(net *models.Net, test *datasets.Images, n, pool, batch int, scheme datamix.Scheme, rng *rand.Rand) (*attacks.Capture, error) {
	k := scheme.K
	n = min(max(n, pool), test.N)
	if pool > n {
		pool = n - n%k
		if pool%batch != 0 {
			batch = pool
		}
	}
	if pool < k {
		return nil, fmt.Errorf("experiments: attacks need at least one group of %d test images, have %d", k, test.N)
	}
	n -= n % pool
	p := datamix.NewPipeline(net, scheme, rng)
	p.SetBatch(batch)
	up, down, dim := net.UploadDim(), net.DownloadDim(), test.Dim()
	c := &attacks.Capture{
		Observed: attacks.Observed{K: k, N: n, Pool: pool, Shuffled: scheme.Shuffle,
			Uploads: make([]float32, n*up), Returns: make([]float32, n*down)},
		Truth: attacks.Truth{Features: make([]float32, n*up), Pos: make([]int, n), Images: test.Subset(seqInts(n))},
	}
	logits := make([]float32, pool*net.Classes)
	var ex datamix.Exchange
	for lo := 0; lo < n; lo += pool {
		if err := p.Logits(logits, test.X[lo*dim:(lo+pool)*dim], &ex); err != nil {
			return nil, err
		}
		copy(c.Uploads[lo*up:], ex.Uploads)
		copy(c.Returns[lo*down:], ex.Returns)
		copy(c.Features[lo*up:], ex.Features)
		for i := range pool {
			c.Pos[lo+i] = lo + i
			if ex.Perm != nil {
				c.Pos[lo+i] = lo + ex.Perm[i]
			}
		}
		for _, m := range ex.C {
			c.C = append(c.C, mat.DenseCopyOf(m))
		}
	}
	return c, nil
}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// attackNet gives the attacks the trained network's head and body at any batch size.
type attackNet struct {
	net  *models.Net
	inf  *models.Inferer
	pad  []float32
	outs []float32
}

// attackBatch is the batch size of the attacker's forward passes.
const attackBatch = 250

func (a *attackNet) Split() int { return a.net.Split }
func (a *attackNet) InputShape() (int, int, int) {
	return a.net.Arch.C, a.net.Arch.H, a.net.Arch.W
}
func (a *attackNet) UploadShape() []int { return a.net.UploadShape() }
func (a *attackNet) ReturnDim() int     { return a.net.DownloadDim() }

func (a *attackNet) Head(x []float32, n int) ([]float32, error) {
	if a.net.Split == 0 {
		return slices.Clone(x[:n*a.net.InputDim()]), nil
	}
	return a.run(x, n, a.net.InputDim(), a.net.UploadDim(), (*models.Inferer).Head)
}

func (a *attackNet) Body(m []float32, n int) ([]float32, error) {
	return a.run(m, n, a.net.UploadDim(), a.net.DownloadDim(), (*models.Inferer).Body)
}

// run applies a stage of the inferer to n rows of in values each, in batches, padding the
// last batch with zeros.
func (a *attackNet) run(x []float32, n, in, out int, stage func(*models.Inferer, []float32, []float32) error) ([]float32, error) {
	if a.inf == nil {
		inf, err := models.NewInferer(a.net, attackBatch)
		if err != nil {
			return nil, err
		}
		a.inf = inf
	}
	res := make([]float32, n*out)
	src := make([]float32, attackBatch*in)
	dst := make([]float32, attackBatch*out)
	for lo := 0; lo < n; lo += attackBatch {
		hi := min(lo+attackBatch, n)
		clear(src)
		copy(src, x[lo*in:hi*in])
		if err := stage(a.inf, dst, src); err != nil {
			return nil, err
		}
		copy(res[lo*out:hi*out], dst)
	}
	return res, nil
}

// attackGrid lays out the grid: the first groups of victims (at least gridVictims images),
// each victim's original, the upload that carries its row of the mixing (at split > 0 the
// channel mean of the head features, min-max scaled), and each attack's reconstruction.
func attackGrid(c *attacks.Capture, net *models.Net, recon []attacks.ReconColumn) []results.GridColumn {
	rows := min(c.N, ((gridVictims+c.K-1)/c.K)*c.K)
	ch, h, w := net.Arch.C, net.Arch.H, net.Arch.W
	up := net.UploadShape()
	d := net.UploadDim()
	orig := results.GridColumn{Title: "original"}
	upl := results.GridColumn{Title: "upload"}
	for i := range rows {
		orig.Images = append(orig.Images, results.GridImage{Pix: c.Images.Row(i), C: ch, H: h, W: w})
		u := c.Uploads[c.Pos[i]*d : (c.Pos[i]+1)*d]
		upl.Images = append(upl.Images, uploadImage(u, up))
	}
	cols := []results.GridColumn{orig, upl}
	for _, r := range recon {
		col := results.GridColumn{Title: strings.ReplaceAll(r.Title, "_", " ")}
		for i := range rows {
			img := results.GridImage{C: ch, H: h, W: w}
			if p, ok := r.Images[i]; ok {
				img.Pix = p
			}
			col.Images = append(col.Images, img)
		}
		cols = append(cols, col)
	}
	return cols
}

// uploadImage renders one upload: an image at split 0 (clipped by the grid), else the mean
// over channels of the C×H×W head features, min-max scaled to [0,1].
func uploadImage(u []float32, shape []int) results.GridImage {
	if len(shape) != 3 {
		side := int(math.Ceil(math.Sqrt(float64(len(u)))))
		pix := make([]float32, side*side)
		copy(pix, u)
		return results.GridImage{Pix: minMax(pix), C: 1, H: side, W: side}
	}
	c, h, w := shape[0], shape[1], shape[2]
	if c == 1 || c == 3 {
		if c*h*w == len(u) && isPixels(u) {
			return results.GridImage{Pix: u, C: c, H: h, W: w}
		}
	}
	mean := make([]float32, h*w)
	for k := range c {
		for j := range mean {
			mean[j] += u[k*h*w+j] / float32(c)
		}
	}
	return results.GridImage{Pix: minMax(mean), C: 1, H: h, W: w}
}

// isPixels reports whether every value lies in [0,1]: an upload that can be shown as it is.
func isPixels(u []float32) bool {
	for _, v := range u {
		if !(v >= 0 && v <= 1) {
			return false
		}
	}
	return true
}

func minMax(v []float32) []float32 {
	lo, hi := slices.Min(v), slices.Max(v)
	out := make([]float32, len(v))
	if hi > lo {
		for i, x := range v {
			out[i] = (x - lo) / (hi - lo)
		}
	}
	return out
}
