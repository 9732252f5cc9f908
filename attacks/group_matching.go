package attacks

import "github.com/datamix/harness/metrics"

// KindGroupMatching is the group-matching attack: it undoes the shuffling across groups.
const KindGroupMatching = "group_matching"

// groupMatching is the group-matching attack: per pool, the shuffled uploads are clustered
// into groups of k by their affinity (Affinity, BalancedClusters). Columns <name>_acc (the
// fraction of groups recovered exactly) and <name>_ari (the adjusted Rand index of recovered
// against true groups, over all uploads).
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

func (groupMatching) run(a *attack) error {
	cap := a.env.Capture
	nv := a.victims()
	groups, used := a.recoverGroups(nv)
	at := cap.inputAt()
	truth := make([]int, nv)
	found := make([]int, nv)
	exact := 0
	for gi, g := range groups {
		same := true
		for _, p := range g {
			found[p] = gi
			truth[p] = at[p] / cap.K
			same = same && at[p]/cap.K == at[g[0]]/cap.K
		}
		if same {
			exact++
		}
	}
	a.metric("acc", float64(exact)/float64(len(groups)))
	a.metric("ari", metrics.ARI(truth, found))
	a.note("%s affinity, balanced greedy clustering with swap refinement", used)
	a.note("pools of %d shuffled uploads (k = %d), %d test victims", cap.Pool, cap.K, nv)
	a.note("needs no auxiliary data, no head weights, no coefficient distribution")
	a.done()
	return nil
}

// recoverGroups runs group matching on the first nv uploads of the capture, pool by pool, and
// returns the recovered clusters as lists of upload positions, and the affinity used.
func (a *attack) recoverGroups(nv int) ([][]int, string) {
	cap := a.env.Capture
	d := len(cap.Uploads) / cap.N
	var out [][]int
	used := ""
	for lo := 0; lo < nv; lo += cap.Pool {
		aff, kind := Affinity(cap.Uploads[lo*d:(lo+cap.Pool)*d], cap.Pool, d, a.Affinity)
		used = kind
		label := BalancedClusters(aff, cap.K)
		groups := make([][]int, cap.Pool/cap.K)
		for i, l := range label {
			groups[l] = append(groups[l], lo+i)
		}
		out = append(out, groups...)
	}
	return out, used
}
