package datamix

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Record is a recording of an edge's calls (Edge.Record, Pipeline.Record), pool after pool: what the
// cloud observed, and the edge's secrets, which never leave the edge and serve only to score
// what an attacker concludes from the cloud's view.
type Record struct {
	Observed
	Secrets
}

// Observed is what the cloud observed over the recorded calls: every upload it received and
// every value it returned, in the order they crossed the network (shuffled within each call's
// pool when the scheme shuffles; defences applied, quantised uploads as the cloud decodes
// them). N is the number of uploads, Pool the number of uploads per call: the shuffling pool,
// which the protocol makes public like the rest of the scheme.
type Observed struct {
	N, Pool          int
	Uploads, Returns []float32 // N × UploadDim, N × DownloadDim, in arrival order
}

// Secrets is the edge's side of a recording. Input i is the i-th row of the recorded calls'
// inputs, call after call; groups are consecutive inputs [g·K, (g+1)·K), and input i's row
// of its group's mixing (its group's C, row i mod K) was uploaded at position Pos[i] of the
// cloud's view. Without shuffling Pos is the identity.
type Secrets struct {
	Features []float32    // N × UploadDim: each input's head output before any defence, in input order
	Pos      []int        // upload position of input i's mixture
	C        []*mat.Dense // per group (nil when unmixed)
}

// add appends one call of n inputs to r: its uploads and returns in upload order, its
// features in input order, perm (the upload position of the call's input i; nil without
// shuffling) and its groups' C's. It panics when n differs from the earlier calls' pool.
func (r *Record) add(n int, uploads, returns, features []float32, perm []int, cs []*mat.Dense) {
	if r.N > 0 && n != r.Pool {
		panic(fmt.Sprintf("datamix: recording a call of %d inputs after calls of %d: a record holds pools of one size", n, r.Pool))
	}
	r.Pool = n
	r.Uploads = append(r.Uploads, uploads...)
	r.Returns = append(r.Returns, returns...)
	r.Features = append(r.Features, features...)
	for i := range n {
		pos := i
		if perm != nil {
			pos = perm[i]
		}
		r.Pos = append(r.Pos, r.N+pos)
	}
	r.C = append(r.C, cs...)
	r.N += n
}
