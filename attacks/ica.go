package attacks

import (
	"fmt"
	"math"
	"slices"

	"github.com/datamix/harness/attacks/algo"

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

// ica is the ICA key-recovery attack and its stronger variant. Per group (known from the upload
// order, given by the oracle, or recovered by group matching), FastICA separates the k uploads;
// the strong variant uses StrongUnmix instead. Its estimate (Separation) is the groups, their
// sources and the sources' images as the attacker normalises them. Sources are scored against
// the members of the group(s) their uploads came from, matched by the Hungarian method on
// |correlation| with the members' true unmixed uploads (an oracle alignment: the order of the
// sources is unknowable, and the attacker does not need it to see the images): <name>_corr in
// upload space (pixels at split 0, head features deeper); images, decoded at split > 0 by a
// ridge decoder trained on unmixed head features of auxiliary images, are scored blind
// (<name>_psnr, <name>_ssim and imageColumns: sign by skewness and min-max to [0,1] for FastICA;
// the strong variant's sources are already in input units) and after an oracle affine fit to
// the matched member (<name>_oracle_…). The strong variant's columns are <name>_strong_….
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
		names = append(names, v+"corr")
		names = append(names, imageColumns(v)...)
		names = append(names, imageColumns(v+"oracle_")...)
	}
	return names
}

// Separation is the estimate of the ICA attack: the groups it separated (each a list of upload
// positions), and per group the k sources of each variant in upload space (k × d, row-major)
// and, when the attack reports images, the image of each source as the attacker normalises
// it (per group, per source). Strong and StrongImages are nil when the strong variant does not
// run; the images are nil without image metrics. At k ≥ 2 it is also rmle's estimate and the
// decoder's Members, which hold the images they recover from the variant they invert only
// (the strong one where it runs, else FastICA's).
type Separation struct {
	Groups                    [][]int
	Plain, Strong             [][]float64
	PlainImages, StrongImages [][][]float32
}

// run finds the groups, trains the feature decoder (split > 0), separates every group and
// normalises each source into an image: the estimate. It then scores and records each
// variant. The attacker's generator is drawn in that order: the decoder's auxiliary images and
// fit, the convexity check (convexRows), then FastICA's starting matrices group by group.
func (ica) run(a *attack) error {
	k := a.k
	nv := a.victims()
	groups, grouping := a.icaGroups(nv)
	dec, images, err := a.featureDecoder(len(a.obs.Uploads) / a.obs.N)
	if err != nil {
		return err
	}
	s, desc, err := a.assumed()
	if err != nil {
		return err
	}
	if altersUploads(s.Defences) && (a.env.Net.Split() == 0 || a.HeadWeights) {
		aux, err := a.auxImages()
		if err != nil {
			return err
		}
		if err := a.clean(a.env.Net.Head, aux, s, nv); err != nil {
			return err
		}
	}
	strong := convexRows(s.Sampler, k, a.env.RNG)
	est, stats := a.separate(groups, strong)
	pixels := a.env.Net.Split() == 0
	var norm float64 // the scale of FastICA's blind normalisation at split > 0
	if dec != nil {
		norm = dec.norm
	}
	plain := dec.sourceImages(est.Plain, k)
	var strongIm sourceImages
	if images {
		est.PlainImages = plain.blindImages(est.Plain, k, func(src []float64) (float64, float64) { return blindPlain(src, pixels, norm) })
	}
	if strong {
		strongIm = dec.sourceImages(est.Strong, k)
		if images {
			// StrongUnmix's sources are in input units already: no blind rescaling.
			est.StrongImages = strongIm.blindImages(est.Strong, k, func([]float64) (float64, float64) { return 1, 0 })
		}
	}

	truth := a.reveal(est)
	a.recordVariant("", a.prefix, a.scoreVariant(truth, est.Groups, est.Plain, est.PlainImages, plain))
	a.note("%s", grouping)
	a.note("coefficients %s", desc)
	a.headNote()
	a.note("FastICA parallel logcosh on %d groups of %d (%d failed, %d not converged in 200 iterations)", len(groups), k, stats.failed, stats.notConverged)
	if strong {
		a.recordVariant("strong_", a.prefix+" strong", a.scoreVariant(truth, est.Groups, est.Strong, est.StrongImages, strongIm))
		a.note("strong variant: convex rows, non-negative sparse sources (groups by route: %v)", stats.routeCounts())
	} else {
		a.note("strong variant skipped: the assumed coefficients are not convex rows")
	}
	switch {
	case !images:
		a.note("no image metrics: decoding head features needs the head's weights")
	case dec != nil:
		a.note("images decoded by a ridge decoder of unmixed head features (%d auxiliary images, alpha %g)", a.Aux, dec.Alpha)
	}
	a.note("scoring: each source matched to a member of its group by |corr| with the true unmixed uploads (oracle alignment of the sources' order); oracle_ columns also fit scale and offset to that member")
	a.done()
	return nil
}

// icaGroups returns the groups of upload positions, among the first nv uploads, that the attack
// separates, and a note on where they come from: the upload order when the uploads are not
// shuffled, the true groups under GroupingOracle, else group matching (recoverGroups).
func (a *attack) icaGroups(nv int) (groups [][]int, how string) {
	k := a.k
	switch {
	case !a.env.Scheme.Shuffle:
		for lo := 0; lo < nv; lo += k {
			groups = append(groups, []int{})
			for p := lo; p < lo+k; p++ {
				groups[len(groups)-1] = append(groups[len(groups)-1], p)
			}
		}
		return groups, "grouping known (uploads not shuffled)"
	case a.Grouping == GroupingOracle:
		for g := 0; g < nv/k; g++ {
			var ps []int
			for j := range k {
				ps = append(ps, a.oraclePos[g*k+j])
			}
			groups = append(groups, ps)
		}
		return groups, "grouping given by an oracle (uploads are shuffled: an upper bound)"
	}
	m := a.recoverGroups(nv)
	return m.Groups, "grouping recovered by group matching (" + m.Affinity + " affinity)"
}

// featureDecoder turns sources in head-feature space into images at split > 0: a ridge decoder
// trained on the unmixed head features of auxiliary images. The decoder is affine, so the image
// of a·s + b is a·(s·W) + b·(1·W) + (ȳ − x̄·W): oneW holds 1·W and c0 holds ȳ − x̄·W, and the
// blind and oracle images of a source share one projection s·W.
type featureDecoder struct {
	*algo.Ridge
	// norm is the median norm of the auxiliary head features: the scale FastICA's blind
	// normalisation gives a source (blindPlain).
	norm     float64
	oneW, c0 []float64
}

// featureDecoder trains the decoder of d-dimensional head features. It returns nil at split 0,
// where sources are images already, and nil with images false when the spec withholds the
// head's weights, without which the attack reports no image metrics.
func (a *attack) featureDecoder(d int) (dec *featureDecoder, images bool, err error) {
	net := a.env.Net
	if net.Split() == 0 {
		return nil, true, nil
	}
	if !a.HeadWeights {
		return nil, false, nil
	}
	aux, err := a.auxImages()
	if err != nil {
		return nil, false, err
	}
	feat, err := net.Head(aux.X, aux.N)
	if err != nil {
		return nil, false, err
	}
	r, err := algo.FitRidge(dense32(feat, aux.N, d), dense32(aux.X, aux.N, aux.Dim()), a.env.RNG, nil)
	if err != nil {
		return nil, false, err
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
	dec = &featureDecoder{Ridge: r, norm: norms[len(norms)/2]}
	_, o := r.W.Dims()
	dec.oneW, dec.c0 = make([]float64, o), append([]float64(nil), r.YMean...)
	for j := range d {
		row := r.W.RawRowView(j)
		for t := range o {
			dec.oneW[t] += row[t]
			dec.c0[t] -= r.XMean[j] * row[t]
		}
	}
	return dec, true, nil
}

// separationStats counts, over all groups, FastICA's failures and runs that did not converge,
// and the routes StrongUnmix took.
type separationStats struct {
	failed, notConverged int
	routes               map[string]int
}

// routeCounts lists the groups by StrongUnmix route, sorted by route: [vertices 90 …].
func (s separationStats) routeCounts() []string {
	keys := make([]string, 0, len(s.routes))
	for r := range s.routes {
		keys = append(keys, r)
	}
	slices.Sort(keys)
	var parts []string
	for _, r := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", r, s.routes[r]))
	}
	return parts
}

// separate separates the uploads of every group (lists of upload positions) with FastICA and,
// when strong, with StrongUnmix, which starts from FastICA's estimate when it needs one. A
// group FastICA fails on gets zero sources.
func (a *attack) separate(groups [][]int, strong bool) (Separation, separationStats) {
	k := a.k
	d := len(a.obs.Uploads) / a.obs.N
	est := Separation{Groups: groups}
	st := separationStats{routes: map[string]int{}}
	for _, g := range groups {
		m := make([]float64, k*d)
		for r, p := range g {
			for j, v := range a.src[p*d : (p+1)*d] {
				m[r*d+j] = float64(v)
			}
		}
		var plain []float64
		res, err := algo.FastICA(m, k, d, a.env.RNG, algo.ICAOptions{})
		if err != nil {
			st.failed++
			plain = make([]float64, k*d)
		} else {
			if !res.Converged {
				st.notConverged++
			}
			plain = algo.Sources(res.Unmixing, m, k, d)
		}
		est.Plain = append(est.Plain, plain)
		if strong {
			u, route := algo.StrongUnmix(m, k, d, res)
			st.routes[route]++
			est.Strong = append(est.Strong, algo.Sources(u, m, k, d))
		}
	}
	return est, st
}

// sourceImages turns the sources of one variant into images: at split 0 a source is an image
// already (dec nil); deeper, row g·k + i of proj is source i of group g times the decoder's W,
// all groups decoded in one product.
type sourceImages struct {
	dec  *featureDecoder
	proj *mat.Dense
}

// sourceImages projects the sources of every group (k × d each) through the decoder.
func (dec *featureDecoder) sourceImages(sources [][]float64, k int) sourceImages {
	if dec == nil {
		return sourceImages{}
	}
	d, _ := dec.W.Dims()
	out := mat.NewDense(len(sources)*k, d, nil)
	for gi, src := range sources {
		for i := range k {
			copy(out.RawRowView(gi*k+i), src[i*d:(i+1)*d])
		}
	}
	var p mat.Dense
	p.Mul(out, dec.W)
	return sourceImages{dec: dec, proj: &p}
}

// image returns the image of a·src + b, src being the source at row row of the projection,
// clipped to [0,1].
func (im sourceImages) image(src []float64, row int, a, b float64) []float32 {
	if im.proj == nil {
		out := make([]float64, len(src))
		for i, v := range src {
			out[i] = a*v + b
		}
		return clipImage(out)
	}
	p := im.proj.RawRowView(row)
	out := make([]float64, len(p))
	for t, v := range p {
		out[t] = a*v + b*im.dec.oneW[t] + im.dec.c0[t]
	}
	return clipImage(out)
}

// blindImages returns, per group and source, the image of the source under the attacker's own
// normalisation blind, as (a, b) of a·source + b.
func (im sourceImages) blindImages(sources [][]float64, k int, blind func([]float64) (float64, float64)) [][][]float32 {
	out := make([][][]float32, len(sources))
	for gi, src := range sources {
		d := len(src) / k
		out[gi] = make([][]float32, k)
		for i := range k {
			s := src[i*d : (i+1)*d]
			a, b := blind(s)
			out[gi][i] = im.image(s, gi*k+i, a, b)
		}
	}
	return out
}

// scoreVariant scores one variant, whose sources (per group, k × d) and blind images (nil
// without image metrics) est gives, over all groups: each group's sources are matched to its
// candidate victims (matchSources), every member of every true group its uploads came from
// (one group unless group matching mixed two up).
func (a *attack) scoreVariant(truth *Truth, groups [][]int, sources [][]float64, images [][][]float32, im sourceImages) *sepScore {
	k := a.k
	at := truth.inputAt()
	sc := newSepScore()
	for gi, g := range groups {
		cands := groupCandidates(at, g, k)
		var blind [][]float32
		if images != nil {
			blind = images[gi]
		}
		a.scoreGroup(truth, sc, sources[gi], cands, blind, func(i int, src []float64, a, b float64) []float32 {
			return im.image(src, gi*k+i, a, b)
		})
	}
	return sc
}

// groupCandidates returns the victims a separated group (upload positions g) is scored
// against: every member of every true group its uploads came from (at: the victim behind each
// upload position, Truth.inputAt), in the order first met.
func groupCandidates(at, g []int, k int) []int {
	var cands []int
	for _, p := range g {
		tg := at[p] / k
		for j := tg * k; j < (tg+1)*k; j++ {
			if !slices.Contains(cands, j) {
				cands = append(cands, j)
			}
		}
	}
	return cands
}

// recordVariant writes one variant's scores as metrics <infix>corr and, with images,
// imageColumns(infix) and imageColumns(infix + "oracle_"), and its reconstructions as the grid
// column title.
func (a *attack) recordVariant(infix, title string, sc *sepScore) {
	a.metric(infix+"corr", sc.corr/float64(sc.n))
	if len(sc.blind.psnr) > 0 {
		a.recordImages(infix, &sc.blind)
		a.recordImages(infix+"oracle_", &sc.oracle)
	}
	a.res.Recon = append(a.res.Recon, ReconColumn{Title: title, Images: sc.recon})
}

// sepScore accumulates the scores of one variant of the ICA attack, and per victim the image
// of the source best correlated with it, for the grid.
type sepScore struct {
	corr          float64
	n             int
	blind, oracle imageScores
	recon         map[int][]float32
	best          map[int]float64
}

func newSepScore() *sepScore {
	return &sepScore{recon: map[int][]float32{}, best: map[int]float64{}}
}

// scoreGroup matches the k sources (k × d) of one group to its candidate victims
// (matchSources) and adds each matched source's |corr| and, when blind (the attacker's image of
// each source) is not nil, its image scores to sc: blind, and after the oracle's least-squares
// fit to the victim's unmixed upload, whose image image returns (of a·(source i) + b).
func (a *attack) scoreGroup(truth *Truth, sc *sepScore, src []float64, cands []int, blind [][]float32,
	image func(i int, src []float64, a, b float64) []float32) {
	d := len(a.obs.Uploads) / a.obs.N
	c, h, w := a.env.Net.InputShape()
	match, corr, feats := a.matchSources(truth, src, cands)
	for i, j := range match {
		r := corr[i]
		sc.corr += r
		sc.n++
		if blind == nil {
			continue
		}
		v := cands[j]
		s := src[i*d : (i+1)*d]
		x := truth.Images.Row(v)
		img := blind[i]
		sc.blind.add(x, img, c, h, w)
		oa, ob := affineFit(s, feats[j])
		sc.oracle.add(x, image(i, s, oa, ob), c, h, w)
		if prev, ok := sc.best[v]; !ok || r > prev {
			sc.best[v] = r
			sc.recon[v] = img
		}
	}
}

// matchSources matches the k sources (k × d) to the candidate victims by |correlation| with
// their unmixed uploads (Assign: the order of the sources is unknowable). It returns the
// candidate index matched to each source, the |corr| of each match (0 where undefined), and
// the candidates' unmixed uploads.
func (a *attack) matchSources(truth *Truth, src []float64, cands []int) (match []int, corr []float64, feats [][]float64) {
	k := a.k
	d := len(a.obs.Uploads) / a.obs.N
	m := len(cands)
	cost := make([]float64, k*m)
	feats = make([][]float64, m)
	for j, v := range cands {
		f := make([]float64, d)
		for t, x := range truth.Features[v*d : (v+1)*d] {
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
	match = algo.Assign(cost, k, m)
	corr = make([]float64, k)
	for i, j := range match {
		corr[i] = -cost[i*m+j]
	}
	return match, corr, feats
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
