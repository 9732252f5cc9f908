package experiments

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/attacks/nets"
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
	specs, victims := attackSpecs(cfg, ds)
	capt, err := captureVictims(res.Net, ds.Test, victims, shufflePool(cfg), cfg.Train.EvalBatchSize, scheme, cellRNG(cfg.Seed, streamAttackCapture))
	if err != nil {
		return err
	}
	row := &res.Row
	if row.Metrics == nil {
		row.Metrics = map[string]float64{}
	}
	if row.Notes == nil {
		row.Notes = map[string]string{}
	}
	row.Notes["attacks"] = fmt.Sprintf("victims: the first %d test images in pools of %d uploads, fresh secrets; auxiliary images drawn from the %d training images", capt.N, capt.Pool, ds.Train.N)
	out, err := attackCapture(ctx, cfg, ds, res.Net, scheme, specs, capt, progress)
	if err != nil {
		return err
	}
	for name, v := range out.Metrics {
		row.Metrics[name] = v
	}
	for name, v := range out.Notes {
		row.Notes[name] = v
	}
	gridRows := min(capt.N, ((gridVictims+scheme.K-1)/scheme.K)*scheme.K) // whole groups
	res.Attacks = &AttackReport{Grid: attackGrid(capt, gridRows, res.Net, out.Recon)}
	return nil
}

// attackSpecs returns the attack specifications of cfg, their auxiliary images adapted to
// the training split, and the most victims any of them attacks.
func attackSpecs(cfg *config.Config, ds *datasets.Dataset) ([]attacks.Spec, int) {
	specs := make([]attacks.Spec, len(cfg.Attacks))
	victims := 0
	for i, a := range cfg.Attacks {
		specs[i] = a.Spec()
		if a.Aux == 0 { // the default adapts to a small training split
			specs[i].Aux = min(specs[i].Aux, ds.Train.N)
		}
		victims = max(victims, specs[i].Victims)
	}
	return specs, victims
}

// AttackOutput is what a cell's attacks found on a capture: their metric columns and notes,
// and their reconstructions for the image grid.
type AttackOutput struct {
	Metrics map[string]float64
	Notes   map[string]string
	Recon   []attacks.ReconColumn
}

// attackCapture runs the attacks specs on capt, a capture of net served under scheme, each
// with its own stream of the cell's seeded generator, and gathers their output.
func attackCapture(ctx context.Context, cfg *config.Config, ds *datasets.Dataset, net *models.Net, scheme datamix.Scheme, specs []attacks.Spec, capt *attacks.Capture, progress func(Progress)) (*AttackOutput, error) {
	target := nets.Target(net)
	out := &AttackOutput{Metrics: map[string]float64{}, Notes: map[string]string{}}
	for i, s := range specs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("experiments: stopped during attacks: %w", err)
		}
		progress(Progress{Phase: "attack", Step: i, Steps: len(specs), Attack: s.ColumnPrefix()})
		o, err := attacks.Run(s, &attacks.Env{Net: target, Scheme: scheme, Capture: capt, Pool: ds.Train, Classes: ds.Classes,
			Attrs: ds.Attrs, AttrClasses: ds.AttrClasses, RNG: cellRNG(cfg.Seed, streamAttack+uint64(i)), Learner: nets.Learner(net)})
		if err != nil {
			return nil, err
		}
		for name, v := range o.Metrics {
			out.Metrics[name] = v
		}
		for name, v := range o.Notes {
			out.Notes[name] = v
		}
		out.Recon = append(out.Recon, o.Recon...)
	}
	progress(Progress{Phase: "attack", Step: len(specs), Steps: len(specs)})
	return out, nil
}

// AttackCapture runs the attacks of cell c on capt, a capture of net's exchange under the
// cell's scheme made elsewhere — a cloud's capture file over the wire (wire.Pools) with the
// edge's secrets file for the truth — with the same specifications, seeds and columns as a
// run of the cell: the same capture gives the same scores.
func AttackCapture(ctx context.Context, c *config.Cell, ds *datasets.Dataset, net *models.Net, capt *attacks.Capture) (*AttackOutput, error) {
	scheme, err := c.Scheme()
	if err != nil {
		return nil, err
	}
	specs, _ := attackSpecs(&c.Config, ds)
	return attackCapture(ctx, &c.Config, ds, net, scheme, specs, capt, func(Progress) {})
}

// writeAttackFiles writes the image grid of a cell's attacks into its directory.
func writeAttackFiles(dir string, res *CellResult) error {
	if res.Attacks == nil || len(res.Attacks.Grid) == 0 {
		return nil
	}
	return results.WriteGrid(filepath.Join(dir, AttackGridFile), res.Attacks.Grid, gridScale)
}

// captureVictims serves the first n test images, in whole shuffling pools and at least one,
// through the edge and cloud, batch images at a time, and returns the pipeline's record of
// it (datamix.Pipeline.Record) with the victims. A test split smaller than one pool is one
// pool.
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
	var rec datamix.Record
	p.Record(&rec)
	logits := make([]float32, pool*net.Classes)
	dim := test.Dim()
	for lo := 0; lo < n; lo += pool {
		if err := p.Logits(logits, test.X[lo*dim:(lo+pool)*dim]); err != nil {
			return nil, err
		}
	}
	return &attacks.Capture{Observed: rec.Observed, Truth: attacks.Truth{Images: test.Subset(seqInts(n)), Secrets: rec.Secrets}}, nil
}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// attackGrid lays out the grid of the first rows victims (whole groups: gridRows),
// each victim's original, the upload that carries its row of the mixing (at split > 0 the
// channel mean of the head features, min-max scaled), and each attack's reconstruction.
func attackGrid(c *attacks.Capture, rows int, net *models.Net, recon []attacks.ReconColumn) []results.GridColumn {
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
