// Package datamix is the DataMix protocol: privacy-preserving edge-cloud inference by mixing
// and de-mixing (Liu, Wu, Gan, Zhu and Han, "DataMix: Efficient Privacy-Preserving
// Edge-Cloud Inference", ECCV 2020). Start here to read how the method works; the rest of
// the repository trains it, measures it and attacks it.
//
// # The method
//
// A network f is cut into three parts, f(x) = t(g(h(x))): an edge head h (the first
// blocks, cheap), a cloud body g (most of the FLOPs) and an edge tail t (the classifier, so
// that the cloud never sees predictions). The split point is the number of blocks in the
// head; split 0 mixes raw pixels.
//
//	edge                                     cloud                 edge
//	X = [x₁…x_k] ─ h ─▶ H ─ C· ─▶ M ─ shuffle ─▶ g(M) ─ unshuffle ─▶ Z̃ ─ C⁻¹· ─▶ Z ─ t ─▶ ŷ
//
// The edge takes a group of k private inputs, computes their features H = h(X) (k rows),
// draws a secret invertible k×k matrix C and uploads the k mixtures M = C·H. With shuffling,
// the uploads of many groups are permuted together so that the cloud does not know which
// uploads belong to one group; the edge keeps the permutation. The cloud runs the body on
// each upload and returns Z̃ = g(M); the edge restores the order, de-mixes Z = C⁻¹·Z̃ and runs
// the tail. In the paper's k = 2 example C = [[0.7, 0.3], [0.6, 0.4]]: every upload is a
// convex blend of the group. With k = 1 and C = [1] the protocol is plain split inference.
//
// The body is not linear, so C⁻¹·g(C·H) ≠ g(H): the network is trained mixing-aware
// ([Trainer]): every step draws a fresh C per group and minimises the cross-entropy of
// t(C⁻¹·g(C·h(X))) end to end.
//
// # The exchange, edge and cloud
//
// The protocol has two halves joined by a [Transport]. The [Edge] holds every secret; the
// [Cloud] holds the body and nothing else:
//
//	Edge.Logits(x)                                  Cloud (over a Transport)
//	  H  = head(X)                 (batch by batch)
//	  H' = before_mix defences(H)
//	  C, C⁻¹ drawn per group       (Scheme.Draw: the secret)
//	  M  = C·H' per group          (float64, stored float32)
//	  M' = after_mix defences(M)
//	  U  = shuffle(M') by π        (π secret; one pool)
//	  Transport.Exchange(U) ─────────────────────▶   Z̃ = body(U), upload by upload
//	                         ◀─────────────────────   (batched with other edges' uploads)
//	  Z  = C⁻¹·unshuffle(Z̃) per group
//	  ŷ  = tail(Z)                 (batch by batch)
//
// [Local] is the in-process transport, the cloud running in the caller's goroutine; a
// [Pipeline] is an Edge over Local, which is what experiments evaluate through. Package wire
// carries the same Exchange over gRPC between two processes, its cloud batching the uploads
// of many edges: since the body acts on each upload on its own, the predictions do not depend
// on the transport (the harness tests them equal, bit for bit). An edge is given a network
// with its head and tail weights only, a cloud one with its body weights only
// (models.LoadPart of a cell's part files).
//
// # In this package
//
//   - [Scheme] is how the edge serves: how it mixes (the embedded [mixing.Scheme]: group size
//     k, the coefficient sampler, the guard against ill-conditioned C, shuffling, and the one
//     Draw of a batch's secrets), the edge-side defences applied on top of mixing (package
//     defence: noise, offsets, masking, quantisation, the NoPeek penalty; the Scheme's
//     documentation lists where each acts), and what serving costs the edge, the cloud and
//     the network, defences included ([Scheme.Cost]). It is passed whole to everything that
//     mixes: the edge, training, and the attacks that simulate uploads.
//   - [Edge] runs inference through the protocol, one shuffling pool per call (head and tail
//     batch by batch, [Edge.SetBatch]), and on request records its calls ([Edge.Record]) in a
//     [Record]: what the cloud observed ([Observed]: every upload and return in arrival order,
//     the attacker's view) and the edge's [Secrets] (features, upload positions and each
//     group's C, for scoring attacks only). [NewEdge] takes the generator of its secrets: a
//     seeded one for experiments that must repeat, mixing.CryptoRand for a deployment.
//   - [Cloud] runs the body on the uploads it is sent, in batches of bounded size; [Transport]
//     is what joins the two; [Local] the in-process one.
//   - [Pipeline] is an Edge and a Cloud in one process: [NewPipeline] draws the secrets from a
//     seeded generator, for experiments that must repeat; [NewCryptoPipeline] draws them from
//     crypto/rand, as a real deployment must.
//   - [Trainer] is mixing-aware training: the per-step draw of C around a training graph.
//
// The matrix primitives (samplers, guard, mix, de-mix, shuffle) live in package mixing; the
// defences' transforms in package defence; the networks and their head/body/tail split in
// package models. This package imports only those three.
//
// # Defences act the same way in training and inference
//
// The Edge applies a scheme's defences with package defence's kernels at their stages —
// before mixing on each input's features, after mixing on each upload — so the recorded
// uploads are what the cloud really receives (quantised uploads as it decodes them); the
// Trainer hands the same defences to models.NewTrainer, which builds the same kernels into
// the training graph, with fresh draws every step. A NoPeek defence acts in training only.
//
// # What the cloud can learn
//
// The cloud is honest but curious: it sees every upload and every value it returns, knows
// the architecture and the body's weights and has auxiliary data from the same
// distribution; it does not know C nor, with shuffling, the grouping. Two threat models are
// evaluated by package attacks: head known (the cloud trained the network and shipped the
// head) and head withheld (the edge keeps its own head). The paper claims that nothing
// private leaks; the harness's attacks test that claim.
//
// # Errors
//
// A batch that is not a whole number of groups is a caller's error and panics; a failed
// coefficient draw, a failing forward pass or a failed exchange with the cloud is returned as
// an error (the pool then has no prediction).
package datamix
