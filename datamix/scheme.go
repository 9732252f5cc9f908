package datamix

import (
	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
)

// Scheme is how an edge device serves: how it mixes (the embedded mixing.Scheme: the group
// size K, the coefficient Sampler that draws each group's secret C, the Guard that rejects
// ill-conditioned draws, and whether the uploads of many groups are shuffled together) and
// the edge-side Defences applied on top of mixing. It is one value: the pipeline,
// mixing-aware training, the cost accounting and the attacks' simulation of uploads all read
// the same one, whole.
//
// A nil Sampler is the unmixed network (the baseline): no C is drawn and K must be 1. K = 1
// with a simplex sampler (dirichlet, uniform) draws C = [1]: plain split inference.
//
// # Defences
//
// Each defence (package defence) acts at a stage of the protocol; the edge applies them in
// the order listed, stage by stage:
//
//	head ─▶ before_mix defences ─▶ C· ─▶ after_mix defences ─▶ shuffle ─▶ upload
//
// The kinds and their default stages:
//
//   - gaussian, laplace: additive noise of standard deviation s·σ, σ the row's own spread
//     (after mixing: on every upload);
//   - offset: dense non-negative offsets up to s·σ (before mixing: on every input's
//     features), which leave no exact zero for group matching to match on;
//   - mask: dropout at the split layer, in training and inference (before mixing);
//   - quantise: b-bit uploads (after mixing, last: it is the wire format), which also cut
//     the upload bytes;
//   - nopeek: a distance-correlation penalty between a batch's inputs and head outputs, in
//     training only.
//
// Training builds the same transforms into its graph (Trainer), so the network learns through
// what it is served with; Cost adds what they cost the edge, the cloud and the wire.
type Scheme struct {
	mixing.Scheme
	// Defences are applied on the edge in this order at their stages (see above).
	Defences defence.Stack
}

// Cost is what one input costs the edge, the cloud and the network under a scheme: analytic
// FLOPs (a multiply-add counts 2) and bytes on the wire.
type Cost struct {
	Edge, Cloud                int64 // FLOPs per input
	UploadBytes, DownloadBytes int64 // bytes per input
}

// EdgeFrac is the edge's share of the FLOPs.
func (c Cost) EdgeFrac() float64 { return float64(c.Edge) / float64(c.Edge+c.Cloud) }

// Cost returns the per-input cost of serving net under s. The edge pays the head, the tail,
// and mixing and de-mixing: a k×k matrix times k vectors per group is 2k FLOPs per uploaded
// and per returned value. The cloud pays the body. Uploads and returns travel as float32.
// Defences add their own cost per uploaded value (defence.Defence.Cost: the edge's transform,
// the cloud's decoding of quantised uploads), and quantisation sets the upload's bytes.
func (s Scheme) Cost(net *models.Net) Cost {
	f := net.FLOPs()
	mix := int64(2 * s.K * (net.UploadDim() + net.DownloadDim()))
	if !s.Mixed() {
		mix = 0
	}
	d := s.Defences.Cost(net.UploadDim())
	up := int64(4 * net.UploadDim())
	if d.WireBytes > 0 {
		up = d.WireBytes
	}
	return Cost{
		Edge: f.Head + f.Tail + mix + d.Edge, Cloud: f.Body + d.Cloud,
		UploadBytes: up, DownloadBytes: int64(4 * net.DownloadDim()),
	}
}
