// Package defence holds the edge-side defences that DataMix can be composed with: transforms
// the edge applies to what it uploads, on top of (or instead of) mixing, and a training
// penalty. Each trades accuracy and edge cost for privacy; the harness measures all three.
//
// # Where a defence acts
//
// A DataMix edge computes each input's features h(x) (the head's output; the raw input at
// split 0), mixes each group of k with a secret C, and uploads the mixtures (package datamix).
// A defence acts at one [Stage]:
//
//   - [BeforeMix]: on each input's features, before mixing (the split layer);
//   - [AfterMix]: on each upload, after mixing and before shuffling (what the cloud receives);
//   - [Training]: only in mixing-aware training, as a term of the loss.
//
// The defences, their default stage and what they cost per uploaded value:
//
//	kind      transform (per row of d values: one input's features or one upload)  stage       edge FLOPs
//	gaussian  y = x + s·σ(x)·e,  e ~ N(0, 1)                                       after_mix   6
//	laplace   y = x + s·σ(x)·e,  e ~ Laplace with variance 1 (scale 1/√2)          after_mix   6
//	offset    y = x + s·σ(x)·u,  u ~ Uniform[0, 1): dense, non-negative offsets    before_mix  6
//	mask      y = x·m/(1−p),  m ~ Bernoulli(1−p): dropout at the split layer       before_mix  2
//	quantise  y = lo + Δ·round((x−lo)/Δ),  Δ = (hi−lo)/(2^b−1): b-bit uploads      after_mix   5 (+2 on the cloud)
//	nopeek    loss + w·dCor(X, H) in training; nothing at inference                training    0
//
// σ(x) is the standard deviation of the row's own d values (population form, 1/d): the
// spread is estimated from the very tensor being defended, one row at a time, so the noise
// scales with the features' magnitude at any split, in training and in inference alike, and
// needs no calibration data. A row whose values are all equal (a blank image at split 0) has
// σ = 0 and gets no noise. Gaussian and Laplace noise have the same variance (s·σ)² at the
// same s: they differ only in their tails. lo and hi are the row's minimum and maximum, sent
// with the codes as two float32 values.
//
// Offsets are there to break group matching: a ReLU head (or a blank image background) leaves
// many features exactly zero, and the uploads of one group share their zeros exactly, which
// is how package attacks regroups shuffled uploads (support affinity). A dense, non-negative
// offset on every feature before mixing leaves no zero behind, yet keeps the group's uploads
// in one k-dimensional subspace (they are still mixtures of the same k rows), unlike noise
// after mixing, which perturbs every upload on its own.
//
// NoPeek (Vepakomma, Singh, Gupta and Raskar, "NoPeek: Information leakage reduction to share
// activations in distributed deep learning", ICDM Workshops 2020) adds w·dCor(X, H) to the
// training loss: the sample distance correlation (Székely, Rizzo and Bakirov, "Measuring and
// testing dependence by correlation of distances", Ann. Statist. 2007) between a batch's raw
// inputs X and its head outputs H, so that training learns features that reveal less of the
// input's geometry. It needs a head to train: at split 0 H = X.
//
// # Training and inference act the same way
//
// [Defence.Form] is the transform as an operation on rows — add scaled draws, multiply by
// draws, quantise, or a loss penalty — and [Defence.Draw] fills the random input it takes. The
// inference path ([Stack.Apply], used by datamix.Pipeline and by the attacks' simulation of
// uploads) and the training graph (package models builds one op per form over the same
// kernels, [AddScaled], [Multiply] and [Quantise]) therefore compute the same function of the
// same draws. In training the gradient of the noise terms is exact (σ(x) depends on x);
// quantisation passes the gradient straight through (Bengio, Léonard and Courville 2013),
// since rounding has a zero derivative almost everywhere; masking multiplies it by the mask.
//
// # Cost accounting
//
// [Defence.Cost] gives the operations per row of d values, counted as models counts the
// networks' FLOPs (a multiply-add 2, an add, a comparison or a rounding 1), with each random
// draw counted as one operation (a convention: PCG output and its transform to a Gaussian
// or Laplace variate take a few integer and floating-point operations). Quantisation also
// changes the wire format: ⌈d·b/8⌉ bytes of codes plus 8 bytes (lo and Δ as float32) per
// upload instead of 4d, and the cloud pays 2 FLOPs per value to decode.
//
// # Errors
//
// Invalid parameters (a scale or weight ≤ 0 — zero would do nothing —, bits outside 1..16, a
// rate outside (0, 1), a stage the kind cannot act at) are rejected by [New] with an error;
// the experiment config reports them with their line.
// Shape mismatches in calls are callers' errors and panic.
package defence
