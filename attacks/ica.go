package attacks

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/metrics"
)

// Groupings for the ICA attack.
const (
	// GroupingAuto uses what the cloud can know: the upload order without shuffling, the
	// groups recovered by group matching with it.
	GroupingAuto = "auto"
	// GroupingOracle gives the attacker the true groups even under shuffling: the upper bound.
	GroupingOracle = "oracle"
)

// KindICA is the ICA key-recovery attack: blind source separation of a group's uploads.
const KindICA = "ica"

// ica is the ICA key-recovery attack and its stronger variant. Per group
// (known from the upload order, given by the oracle, or recovered by group matching), FastICA
// separates the k uploads; the strong variant uses StrongUnmix instead. Sources are scored
// against the members of the group(s) their uploads came from, matched by the Hungarian method
// on |correlation| (order is unknowable): <name>_corr in upload space (pixels at split 0,
// head features deeper); images, decoded at split > 0 by a ridge decoder trained on unmixed
// head features of auxiliary images, are scored blind (<name>_psnr, <name>_ssim: sign by
// skewness and min-max to [0,1] for FastICA; the strong variant's sources are already in input
// units) and after an oracle affine fit to the matched member (<name>_oracle_psnr,
// <name>_oracle_ssim). The strong variant's columns are <name>_strong_….
type ica struct{}

func (ica) Name() string      { return KindICA }
func (ica) Prefix() string    { return "ica" }
func (ica) Options() []Option { return []Option{OptionGrouping, OptionAffinity} }

func (ica) Needs() []Need {
	return []Need{needGroups("one upload per group, nothing to separate (the inversion attack covers k = 1)")}
}

func (ica) Columns(Spec, int) []string {
	var names []string
	for _, v := range []string{"", "strong_"} {
		names = append(names, v+"corr", v+"psnr", v+"ssim", v+"oracle_psnr", v+"oracle_ssim")
	}
	return names
}

func (ica) run(a *attack) error {
	cap := a.env.Capture
	net := a.env.Net
	k := cap.K
	d := len(cap.Uploads) / cap.N
	nv := a.victims()
	var groups [][]int
	grouping := ""
	switch {
	case !cap.Shuffled:
		for lo := 0; lo < nv; lo += k {
			groups = append(groups, []int{})
			for p := lo; p < lo+k; p++ {
				groups[len(groups)-1] = append(groups[len(groups)-1], p)
			}
		}
		grouping = "grouping known (uploads not shuffled)"
	case a.Grouping == GroupingOracle:
		for g := 0; g < nv/k; g++ {
			var ps []int
			for j := range k {
				ps = append(ps, cap.Pos[g*k+j])
			}
			groups = append(groups, ps)
		}
		grouping = "grouping given by an oracle (uploads are shuffled: an upper bound)"
	default:
		var used string
		groups, used = a.recoverGroups(nv)
		grouping = "grouping recovered by group matching (" + used + " affinity)"
	}

	// At split > 0, images come from a decoder of unmixed head features.
	var dec *Ridge
	var featNorm float64
	imageMetrics := true
	if net.Split() > 0 {
		if !a.HeadWeights {
			imageMetrics = false
		} else {
			aux, err := a.auxImages()
			if err != nil {
				return err
			}
			feat, err := net.Head(aux.X, aux.N)
			if err != nil {
				return err
			}
			dec, err = FitRidge(dense32(feat, aux.N, d), dense32(aux.X, aux.N, aux.Dim()), a.env.RNG, nil)
			if err != nil {
				return err
			}
			norms := make([]float64, aux.N)
			for i := range aux.N {
				var s float64
				for _, v := range feat[i*d : (i+1)*d] {
					s += float64(v) * float64(v)
				}
				norms[i] = math.Sqrt(s)
			}
			slices.Sort(norms)
			featNorm = norms[len(norms)/2]
		}
	}
	s, desc, err := a.sampler()
	if err != nil {
		return err
	}
	strong := convexRows(s, k, a.env.RNG)

	c, h, w := net.InputShape()
	// Separate every group first, then decode all sources in one product: the decoder is
	// affine, so the image of a·s + b is a·(s·W) + b·(1·W) + (ȳ − x̄·W), and the blind and
	// oracle images of a source need one projection s·W between them.
	type group struct {
		plain, strong []float64 // k × d sources
		cands         []int
	}
	at := cap.inputAt()
	var gs []group
	failed, notConverged := 0, 0
	routes := map[string]int{}
	for _, g := range groups {
		m := make([]float64, k*d)
		for r, p := range g {
			for j, v := range cap.Uploads[p*d : (p+1)*d] {
				m[r*d+j] = float64(v)
			}
		}
		// Candidates: every member of every true group the uploads came from.
		var cands []int
		for _, p := range g {
			tg := at[p] / k
			for j := tg * k; j < (tg+1)*k; j++ {
				if !slices.Contains(cands, j) {
					cands = append(cands, j)
				}
			}
		}
		gr := group{cands: cands}
		res, err := FastICA(m, k, d, a.env.RNG, ICAOptions{})
		if err != nil {
			failed++
			gr.plain = make([]float64, k*d)
		} else {
			if !res.Converged {
				notConverged++
			}
			gr.plain = Sources(res.Unmixing, m, k, d)
		}
		if strong {
			u, route := StrongUnmix(m, k, d, res)
			routes[route]++
			gr.strong = Sources(u, m, k, d)
		}
		gs = append(gs, gr)
	}
	// proj[v][i] is source i of group g's variant v (0 plain, 1 strong) times W.
	var projPlain, projStrong *mat.Dense
	var oneW, c0 []float64
	if dec != nil {
		stack := func(pick func(group) []float64) *mat.Dense {
			out := mat.NewDense(len(gs)*k, d, nil)
			for gi, g := range gs {
				src := pick(g)
				for i := range k {
					copy(out.RawRowView(gi*k+i), src[i*d:(i+1)*d])
				}
			}
			var p mat.Dense
			p.Mul(out, dec.W)
			return &p
		}
		projPlain = stack(func(g group) []float64 { return g.plain })
		if strong {
			projStrong = stack(func(g group) []float64 { return g.strong })
		}
		_, o := dec.W.Dims()
		oneW, c0 = make([]float64, o), append([]float64(nil), dec.YMean...)
		for j := range d {
			row := dec.W.RawRowView(j)
			for t := range o {
				oneW[t] += row[t]
				c0[t] -= dec.XMean[j] * row[t]
			}
		}
	}
	image := func(src []float64, proj *mat.Dense, row int, a, b float64) []float32 {
		if proj == nil {
			out := make([]float64, len(src))
			for i, v := range src {
				out[i] = a*v + b
			}
			return clipImage(out)
		}
		p := proj.RawRowView(row)
		out := make([]float64, len(p))
		for t, v := range p {
			out[t] = a*v + b*oneW[t] + c0[t]
		}
		return clipImage(out)
	}
	plain := newSepScore()
	strongS := newSepScore()
	pixels := net.Split() == 0
	for gi, g := range gs {
		a.scoreGroup(plain, g.plain, k, d, g.cands, imageMetrics, c, h, w, func(i int, src []float64, alpha, beta float64) []float32 {
			return image(src, projPlain, gi*k+i, alpha, beta)
		}, func(src []float64) (float64, float64) { return blindPlain(src, pixels, featNorm) })
		if strong {
			a.scoreGroup(strongS, g.strong, k, d, g.cands, imageMetrics, c, h, w, func(i int, src []float64, alpha, beta float64) []float32 {
				return image(src, projStrong, gi*k+i, alpha, beta)
			}, func([]float64) (float64, float64) { return 1, 0 })
		}
	}
	put := func(prefix string, sc *sepScore) {
		f := float64(sc.n)
		a.metric(prefix+"corr", sc.corr/f)
		if imageMetrics {
			a.metric(prefix+"psnr", sc.psnr/f)
			a.metric(prefix+"ssim", sc.ssim/f)
			a.metric(prefix+"oracle_psnr", sc.opsnr/f)
			a.metric(prefix+"oracle_ssim", sc.ossim/f)
		}
	}
	put("", plain)
	a.res.Recon = append(a.res.Recon, ReconColumn{Title: a.prefix, Images: plain.recon})
	a.note("%s", grouping)
	a.note("coefficients %s", desc)
	a.headNote()
	a.note("FastICA parallel logcosh on %d groups of %d (%d failed, %d not converged in 200 iterations)", len(groups), k, failed, notConverged)
	if strong {
		put("strong_", strongS)
		a.res.Recon = append(a.res.Recon, ReconColumn{Title: a.prefix + " strong", Images: strongS.recon})
		keys := make([]string, 0, len(routes))
		for r := range routes {
			keys = append(keys, r)
		}
		slices.Sort(keys)
		var parts []string
		for _, r := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", r, routes[r]))
		}
		a.note("strong variant: convex rows, non-negative sparse sources (groups by route: %v)", parts)
	} else {
		a.note("strong variant skipped: the assumed coefficients are not convex rows")
	}
	switch {
	case !imageMetrics:
		a.note("no image metrics: decoding head features needs the head's weights")
	case dec != nil:
		a.note("images decoded by a ridge decoder of unmixed head features (%d auxiliary images, alpha %g)", a.Aux, dec.Alpha)
	}
	a.done()
	return nil
}

// sepScore accumulates the scores of one variant of the ICA attack.
type sepScore struct {
	corr, psnr, ssim, opsnr, ossim float64
	n                              int
	recon                          map[int][]float32
	best                           map[int]float64
}

func newSepScore() *sepScore {
	return &sepScore{recon: map[int][]float32{}, best: map[int]float64{}}
}

// scoreGroup matches the k sources (k × d) to the candidate victims by |correlation| with
// their unmixed uploads and adds each matched source's |corr| and image scores to sc. image
// returns the decoded image of a·source + b; blind gives the attacker's own (a, b).
func (a *attack) scoreGroup(sc *sepScore, src []float64, k, d int, cands []int, images bool, c, h, w int,
	image func(i int, src []float64, a, b float64) []float32, blind func([]float64) (float64, float64)) {
	cap := a.env.Capture
	m := len(cands)
	cost := make([]float64, k*m)
	feats := make([][]float64, m)
	for j, v := range cands {
		f := make([]float64, d)
		for t, x := range cap.Features[v*d : (v+1)*d] {
			f[t] = float64(x)
		}
		feats[j] = f
	}
	for i := range k {
		for j := range m {
			r := math.Abs(metrics.Pearson(src[i*d:(i+1)*d], feats[j]))
			if math.IsNaN(r) {
				r = 0
			}
			cost[i*m+j] = -r
		}
	}
	match := Assign(cost, k, m)
	for i, j := range match {
		r := -cost[i*m+j]
		sc.corr += r
		sc.n++
		if !images {
			continue
		}
		v := cands[j]
		s := src[i*d : (i+1)*d]
		x := cap.Images.Row(v)
		ba, bb := blind(s)
		img := image(i, s, ba, bb)
		sc.psnr += capPSNR(metrics.PSNR(x, img, 1))
		sc.ssim += metrics.SSIM(x, img, c, h, w, 1)
		oa, ob := affineFit(s, feats[j])
		oimg := image(i, s, oa, ob)
		sc.opsnr += capPSNR(metrics.PSNR(x, oimg, 1))
		sc.ossim += metrics.SSIM(x, oimg, c, h, w, 1)
		if prev, ok := sc.best[v]; !ok || r > prev {
			sc.best[v] = r
			sc.recon[v] = img
		}
	}
}

// blindPlain is the attacker's own normalisation of a FastICA source, which comes with an
// unknown sign and scale, as coefficients (a, b) of a·src + b: the sign that makes the
// skewness positive (images and ReLU features are sparse and non-negative, so their
// distributions have a long right tail); at split 0 min-max to [0,1]; deeper, the scale that
// gives the source the median norm of auxiliary head features (norm).
func blindPlain(src []float64, pixels bool, norm float64) (a, b float64) {
	var mean float64
	for _, v := range src {
		mean += v
	}
	mean /= float64(len(src))
	var skew float64
	for _, v := range src {
		t := v - mean
		skew += t * t * t
	}
	sign := 1.0
	if skew < 0 {
		sign = -1
	}
	if pixels {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range src {
			lo, hi = min(lo, sign*v), max(hi, sign*v)
		}
		if hi > lo {
			return sign / (hi - lo), -lo / (hi - lo)
		}
		return sign, 0
	}
	var ss float64
	for _, v := range src {
		ss += v * v
	}
	if ss > 0 {
		return sign * norm / math.Sqrt(ss), 0
	}
	return sign, 0
}

// affineFit returns the least-squares fit a·s + b of s to target, as (a, b): the oracle
// alignment that removes ICA's scale and sign ambiguity using the true signal.
func affineFit(s, target []float64) (a, b float64) {
	n := float64(len(s))
	var ms, mt float64
	for i := range s {
		ms += s[i]
		mt += target[i]
	}
	ms /= n
	mt /= n
	var sst, sss float64
	for i := range s {
		sst += (s[i] - ms) * (target[i] - mt)
		sss += (s[i] - ms) * (s[i] - ms)
	}
	if sss > 0 {
		a = sst / sss
	}
	return a, mt - a*ms
}
