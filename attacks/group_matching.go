package attacks

import (
	"github.com/datamix/harness/attacks/algo"
	"github.com/datamix/harness/metrics"
)

// The affinities of Spec.Affinity: how group matching (algo.MatchGroups) compares uploads.
const (
	AffinityAuto        = algo.AffinityAuto        // support when the uploads have exact zeros, else subspace
	AffinitySupport     = algo.AffinitySupport     // Jaccard index of the non-zero sets
	AffinityCorrelation = algo.AffinityCorrelation // |Pearson correlation|
	AffinitySubspace    = algo.AffinitySubspace    // a group's uploads span one k-dimensional subspace
)

// KindGroupMatching is the group-matching attack: it undoes the shuffling across groups.
const KindGroupMatching = "group_matching"

// groupMatching is the group-matching attack: per pool, the shuffled uploads are clustered
// into groups of k by their affinity (MatchGroups). Its estimate is the recovered groups
// (Grouping). Columns <name>_acc (the fraction of groups recovered exactly) and <name>_ari (the
// adjusted Rand index of recovered against true groups, over all uploads).
type groupMatching struct{}

func (groupMatching) Name() string               { return KindGroupMatching }
func (groupMatching) Prefix() string             { return "group_match" }
func (groupMatching) Options() []Option          { return []Option{OptionAffinity} }
func (groupMatching) Columns(Spec, int) []string { return []string{"acc", "ari"} }

func (groupMatching) Needs() []Need {
	return []Need{
		needGroups("every upload is its own group"),
		needShuffled("the cloud knows the groups from the upload order"),
	}
}

// Grouping is the estimate of group matching: the recovered groups, each a list of upload
// positions, pool after pool, and the affinity they were found with.
type Grouping struct {
	Groups   [][]int
	Affinity string
}

func (groupMatching) run(a *attack) error {
	obs := a.obs
	nv := a.victims()
	est := a.recoverGroups(nv)

	truth := a.reveal(est)
	at := truth.inputAt()
	want := make([]int, nv)
	found := make([]int, nv)
	exact := 0
	for gi, g := range est.Groups {
		same := true
		for _, p := range g {
			found[p] = gi
			want[p] = at[p] / a.k
			same = same && at[p]/a.k == at[g[0]]/a.k
		}
		if same {
			exact++
		}
	}
	a.metric("acc", float64(exact)/float64(len(est.Groups)))
	a.metric("ari", metrics.ARI(want, found))
	a.note("%s affinity, %s", est.Affinity, algo.MatchingMethod)
	a.note("pools of %d shuffled uploads (k = %d), %d test victims", obs.Pool, a.k, nv)
	a.note("needs no auxiliary data, no head weights, no coefficient distribution")
	a.done()
	return nil
}

// recoverGroups runs group matching (MatchGroups) on the first nv uploads, pool by pool.
func (a *attack) recoverGroups(nv int) Grouping {
	obs := a.obs
	d := len(obs.Uploads) / obs.N
	var est Grouping
	for lo := 0; lo < nv; lo += obs.Pool {
		m := algo.MatchGroups(obs.Uploads[lo*d:(lo+obs.Pool)*d], obs.Pool, d, a.k, a.Affinity)
		est.Affinity = m.Affinity
		for _, g := range m.Groups {
			for i := range g {
				g[i] += lo
			}
			est.Groups = append(est.Groups, g)
		}
	}
	return est
}
