package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/metrics"
	"github.com/datamix/harness/mixing"
)

// StrongUnmix estimates the unmixing matrix C⁻¹ of one group (m: k × d uncentred uploads)
// under the convex-coefficient prior: SimplexUnmix's vertex estimate when its sources come out
// non-negative (less than 0.1% of their mass below zero), else RefineSparse started from it
// (or, when SimplexUnmix fails, from FastICA's unmixing rescaled to unit row sums), keeping
// whichever of start and refinement is less negative. ica may be nil. It returns the matrix
// and the route taken ("vertices", "vertices+refined", "ica+refined").
func StrongUnmix(m []float64, k, d int, ica *ICA) (*mat.Dense, string) {
	var start *mat.Dense
	route := "vertices"
	if c, err := SimplexUnmix(m, k, d); err == nil {
		start = invert(c)
	}
	if start == nil {
		route = "ica"
		if ica != nil {
			start = RowSumScale(ica.Unmixing)
		} else {
			start = mat.NewDense(k, k, nil)
			for i := range k {
				start.Set(i, i, 1)
			}
		}
	} else if negativity(Sources(start, m, k, d)) < 1e-3 {
		return start, route
	}
	ref := RefineSparse(start, m, k, d, 0.05, 20)
	if negativity(Sources(ref, m, k, d)) < negativity(Sources(start, m, k, d)) {
		return ref, route + "+refined"
	}
	return start, route
}

// negativity is the share of the mass of x below zero: Σmax(0,−x)/Σ|x|.
func negativity(x []float64) float64 {
	var neg, all float64
	for _, v := range x {
		all += math.Abs(v)
		if v < 0 {
			neg -= v
		}
	}
	if all == 0 {
		return 0
	}
	return neg / all
}

// convexRows reports whether sampler s draws non-negative rows summing to 1 at group size k,
// judged on 20 draws: the prior StrongUnmix needs.
func convexRows(s mixing.Sampler, k int, rng *rand.Rand) bool {
	for range 20 {
		c := s.Sample(rng, k)
		for i := range k {
			var sum float64
			for _, v := range c.RawRowView(i) {
				if v < 0 {
					return false
				}
				sum += v
			}
			if math.Abs(sum-1) > 1e-9 {
				return false
			}
		}
	}
	return true
}

// ica is the ICA key-recovery attack (issue 3, item 2) and its stronger variant. Per group
// (known from the upload order, given by the oracle, or recovered by group matching), FastICA
// separates the k uploads; the strong variant uses StrongUnmix instead. Sources are scored
// against the members of the group(s) their uploads came from, matched by the Hungarian method
// on |correlation| (order is unknowable): <name>_corr in upload space (pixels at split 0,
// head features deeper); images, decoded at split > 0 by a ridge decoder trained on unmixed
// head features of auxiliary images, are scored blind (<name>_psnr, <name>_ssim: sign by
// skewness and min-max to [0,1] for FastICA; the strong variant's sources are already in input
// units) and after an oracle affine fit to the matched member (<name>_oracle_psnr,
// <name>_oracle_ssim). The strong variant's columns are <name>_strong_….
func (a *attack) ica() error {
	cap := a.env.Capture
	net := a.env.Net
	if cap.K == 1 {
		return a.skip("k = 1: one upload per group, nothing to separate (the inversion attack covers k = 1)")
	}
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
	decode := func(src []float64) []float32 {
		if dec == nil {
			return clipImage(src)
		}
		x := mat.NewDense(1, d, append([]float64(nil), src...))
		return clipImage(dec.Predict(x).RawRowView(0))
	}
	at := cap.inputAt()
	type score struct {
		corr, psnr, ssim, opsnr, ossim float64
		n                              int
		recon                          map[int][]float32
		best                           map[int]float64
	}
	plain := &score{recon: map[int][]float32{}, best: map[int]float64{}}
	strongS := &score{recon: map[int][]float32{}, best: map[int]float64{}}
	failed, notConverged := 0, 0
	routes := map[string]int{}
	m := make([]float64, k*d)
	for _, g := range groups {
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
		res, err := FastICA(m, k, d, a.env.RNG, ICAOptions{})
		var srcPlain []float64
		if err != nil {
			failed++
			srcPlain = make([]float64, k*d)
		} else {
			if !res.Converged {
				notConverged++
			}
			srcPlain = Sources(res.Unmixing, m, k, d)
		}
		a.scoreGroup(srcPlain, k, d, cands, plain.recon, plain.best, func(src []float64) []float64 {
			return blindPlain(src, net.Split() == 0, featNorm)
		}, decode, imageMetrics, c, h, w, &plain.corr, &plain.psnr, &plain.ssim, &plain.opsnr, &plain.ossim)
		plain.n += k
		if strong {
			u, route := StrongUnmix(m, k, d, res)
			routes[route]++
			src := Sources(u, m, k, d)
			a.scoreGroup(src, k, d, cands, strongS.recon, strongS.best, func(src []float64) []float64 {
				out := append([]float64(nil), src...)
				for i, v := range out {
					out[i] = max(v, 0)
				}
				return out
			}, decode, imageMetrics, c, h, w, &strongS.corr, &strongS.psnr, &strongS.ssim, &strongS.opsnr, &strongS.ossim)
			strongS.n += k
		}
	}
	put := func(prefix string, sc *score) {
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

// scoreGroup matches the k sources (k × d) to the candidate victims by |correlation| with
// their unmixed uploads and adds each matched source's |corr| and image scores to the sums.
func (a *attack) scoreGroup(src []float64, k, d int, cands []int, recon map[int][]float32, best map[int]float64,
	blind func([]float64) []float64, decode func([]float64) []float32, images bool, c, h, w int,
	corr, psnr, ssim, opsnr, ossim *float64) {
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
		*corr += r
		if !images {
			continue
		}
		v := cands[j]
		s := src[i*d : (i+1)*d]
		x := cap.Images.Row(v)
		img := decode(blind(s))
		*psnr += capPSNR(metrics.PSNR(x, img, 1))
		*ssim += metrics.SSIM(x, img, c, h, w, 1)
		oimg := decode(affineFit(s, feats[j]))
		*opsnr += capPSNR(metrics.PSNR(x, oimg, 1))
		*ossim += metrics.SSIM(x, oimg, c, h, w, 1)
		if prev, ok := best[v]; !ok || r > prev {
			best[v] = r
			recon[v] = img
		}
	}
}

// blindPlain is the attacker's own normalisation of a FastICA source, which comes with an
// unknown sign and scale: the sign that makes the skewness positive (images and ReLU features
// are sparse and non-negative, so their distributions have a long right tail); at split 0
// min-max to [0,1]; deeper, the scale that gives the source the median norm of auxiliary head
// features (norm).
func blindPlain(src []float64, pixels bool, norm float64) []float64 {
	out := append([]float64(nil), src...)
	var mean float64
	for _, v := range out {
		mean += v
	}
	mean /= float64(len(out))
	var skew float64
	for _, v := range out {
		t := v - mean
		skew += t * t * t
	}
	if skew < 0 {
		for i := range out {
			out[i] = -out[i]
		}
	}
	if pixels {
		lo, hi := slices.Min(out), slices.Max(out)
		if hi > lo {
			for i, v := range out {
				out[i] = (v - lo) / (hi - lo)
			}
		}
		return out
	}
	var ss float64
	for _, v := range out {
		ss += v * v
	}
	if ss > 0 {
		s := norm / math.Sqrt(ss)
		for i := range out {
			out[i] *= s
		}
	}
	return out
}

// affineFit returns a·s + b with a, b the least-squares fit of s to target: the oracle
// alignment that removes ICA's scale and sign ambiguity using the true signal.
func affineFit(s, target []float64) []float64 {
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
	a := 0.0
	if sss > 0 {
		a = sst / sss
	}
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = a*(v-ms) + mt
	}
	return out
}
