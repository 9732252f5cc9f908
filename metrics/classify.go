package metrics

import "math"

// Accuracy is the fraction of positions where pred equals truth.
func Accuracy(pred, truth []int) float64 {
	checkPair("Accuracy", len(pred), len(truth))
	n := 0
	for i, p := range pred {
		if p == truth[i] {
			n++
		}
	}
	return float64(n) / float64(len(pred))
}

// Chance is the majority-class rate of labels: the accuracy of always guessing the most
// frequent label, the score an attack must beat to have learned anything about them.
func Chance(labels []int) float64 {
	if len(labels) == 0 {
		panic("metrics: Chance of no labels")
	}
	count := map[int]int{}
	top := 0
	for _, l := range labels {
		count[l]++
		top = max(top, count[l])
	}
	return float64(top) / float64(len(labels))
}

// ARI is the adjusted Rand index of two clusterings of the same items, given as cluster
// labels: 1 for identical partitions (whatever the label names), about 0 for independent
// ones, negative when they agree less than chance (Hubert and Arabie 1985). It follows
// scikit-learn's adjusted_rand_score, written over the pair confusion matrix:
// 2(tp·tn − fn·fp) / ((tp+fn)(fn+tn) + (tp+fp)(fp+tn)), and 1 when fn = fp = 0 (both
// partitions put every pair on the same side, e.g. both all-in-one or both all singletons).
func ARI(a, b []int) float64 {
	checkPair("ARI", len(a), len(b))
	type pair struct{ x, y int }
	cont := map[pair]int64{}
	na, nb := map[int]int64{}, map[int]int64{}
	for i := range a {
		cont[pair{a[i], b[i]}]++
		na[a[i]]++
		nb[b[i]]++
	}
	n := int64(len(a))
	var sumSq, sumA, sumB int64
	for _, v := range cont {
		sumSq += v * v
	}
	for _, v := range na {
		sumA += v * v
	}
	for _, v := range nb {
		sumB += v * v
	}
	// Ordered pairs, as sklearn's pair_confusion_matrix counts them.
	tp := sumSq - n
	fp := sumB - sumSq // same cluster in b, different in a
	fn := sumA - sumSq // same cluster in a, different in b
	tn := n*n - tp - fp - fn - n
	if fn == 0 && fp == 0 {
		return 1
	}
	ftp, ffp, ffn, ftn := float64(tp), float64(fp), float64(fn), float64(tn)
	return 2 * (ftp*ftn - ffn*ffp) / ((ftp+ffn)*(ffn+ftn) + (ftp+ffp)*(ffp+ftn))
}

// Pearson is the Pearson correlation coefficient of x and y, computed in float64 with the
// means subtracted first. It is NaN when either is constant, as numpy's corrcoef gives.
func Pearson[T Float](x, y []T) float64 {
	checkPair("Pearson", len(x), len(y))
	var mx, my float64
	for i := range x {
		mx += float64(x[i])
		my += float64(y[i])
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := float64(x[i])-mx, float64(y[i])-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
