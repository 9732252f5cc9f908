// Package attacks implements privacy attacks against DataMix split inference: what an
// honest-but-curious cloud can learn from the uploads it receives and the values it returns.
//
// # Threat model and settings
//
// The cloud sees every upload (k mixtures M = C·h(X) per group, shuffled across groups within
// a pool when shuffling is on) and every value it returns. It knows the architecture and runs
// the body; it does not know C nor, under shuffling, the grouping. An attack may be given more:
// the head's weights (needed to turn auxiliary images into uploads at split > 0), the
// coefficient distribution (Spec.Coefficients "known", or an assumed sampler), and, as named
// oracle settings that give upper bounds, the grouping (Grouping "oracle") or the edge's own
// sampler, which under fixed coefficients is the secret C (Coefficients "oracle"). Attacks are
// run at their strongest setting as well as a realistic one, since a defence judged against
// weak attacks only proves nothing. Each attack records what it was given as its Notes entry
// ("setting: …"), and an attack that cannot apply records "skipped: <why>" instead of failing.
// Auxiliary images come from the training split; the victims are test images, so the two
// never overlap.
//
// # Estimate, then score
//
// A Capture holds what the cloud Observed and the edge's Truth apart. An attack first
// estimates from the observations alone (and the parts of the truth its oracle settings name),
// then hands its estimate over — reconstructions by upload position, predictions, groups,
// separated sources: Result.Estimate — and only then is given the truth to score it. The
// leak-canary test runs every kind of the registry with the secrets it is not given scrambled
// and requires identical estimates.
//
// # Attack kinds
//
// Each kind of attack is a Kind, in a file of its own named after it, listed once in the
// package's registry; Kinds, Lookup, DefaultName, Columns and Run all read that registry. A
// kind declares the metric columns it writes (Kind.Columns), what it needs of a cell
// (Kind.Needs: groups of two or more, shuffled uploads, the head's weights), which optional
// settings it reads (Kind.Options), and runs on a Capture through Env. Run checks the needs
// before the kind runs and writes the skip note; Spec.Applies answers the same question from a
// Cell, before anything runs. README.md shows how to add a kind.
//
// # The attacks
//
//   - inversion: a decoder from an upload to the image of its dominant member (largest
//     coefficient), trained on auxiliary images turned into uploads as the edge does (head,
//     then mixing with coefficients from the assumed distribution). Given the head's weights
//     at split > 0 and the coefficient distribution; not the grouping. At split 0, k = 1 it
//     learns the identity. Reference: He, Zhang and Lee (ACSAC 2019) report, on MNIST
//     without mixing, SSIM 0.99 after the first convolution and 0.80 after the second ReLU
//     for a learned inverse network, and count SSIM below 0.3 as unrecognisable.
//   - ica: FastICA (Hyvärinen 1999, scikit-learn's algorithm, on gonum) separates each group's
//     k uploads; the strong variant (algo.StrongUnmix) uses the prior of convex coefficient rows,
//     non-negative inputs and sparsity: it finds the vertices of the simplex the normalised
//     upload columns fill (successive projection), fixes the scale by the row sums of C, and
//     refines on the sources' zeros when needed. Given the grouping (the upload order, group
//     matching under shuffling, or an oracle) and, for images at split > 0, the head's
//     weights: sources are decoded by a ridge decoder of unmixed head features. Reference:
//     "Breaking DataMix" (2026) reports mean |corr| 0.92, 0.83 and 0.70 for scikit-learn's
//     FastICA on pixel-mixed MNIST at k = 2, 4 and 8.
//   - group_matching: the uploads of one group share one support exactly (where the inputs
//     have zeros) and one k-dimensional subspace (always); balanced clustering on that
//     affinity undoes the shuffle, and ica feeds on its groups. algo.MatchGroups finds each
//     upload's nearest neighbours and clusters on that graph, so pools of tens of thousands
//     of uploads take seconds; the subspace affinity needs no exact zeros. Given nothing but
//     the uploads. Reference: "Breaking DataMix" clusters by balanced blossom matching;
//     Carlini et al. (IEEE S&P 2021) undid InstaHide's mixing by clique finding.
//   - attribute: a ridge classifier on uploads predicts attributes of the dominant member
//     (label, ink mass, dominant colour, or any attribute the dataset carries in Env.Attrs:
//     CelebA's binary Male, Smiling, …; a speech corpus's binary gender and multi-class
//     speaker identity, Env.AttrClasses giving each one's number of values). Given the head's
//     weights at split > 0 and the coefficient
//     distribution. DataMix's paper names such attributes (the colour of a cat) as private;
//     there is no published figure to compare with, so accuracy is read against chance.
//   - output: a ridge classifier on returned values predicts the dominant member's label:
//     what the cloud learns of the prediction DataMix returns mixed. Given the head's weights
//     at split > 0 (to simulate uploads) and the body, which the cloud runs. Read against
//     chance.
//   - decoder: learned non-linear inversion, a convolutional inverse network (nearest-neighbour
//     upsampling, sigmoid output, squared-error loss) trained on auxiliary images turned into
//     uploads as the edge does. Two modes: from a single upload to its dominant member (what
//     mixing hides), and, at k ≥ 2, from each member feature the strong ICA variant separates
//     from a group (what mixing fails to hide). Given the head's weights (or, with the head
//     withheld at split > 0, a shadow head: see below), the coefficient distribution, and for
//     the second mode the grouping as ica. Reference: He, Zhang and Lee (ACSAC 2019) report an
//     inverse network on MNIST without mixing at SSIM 0.99 after the first convolution and
//     0.80 after the second ReLU.
//   - rmle: white-box inversion by optimisation (regularised maximum-likelihood estimation):
//     from a grey start (or a decoder's output), Adam on the image in [0,1] minimises the
//     squared distance of its head output to a target plus a total-variation prior. The
//     target is the upload at k = 1 and each separated member feature at k ≥ 2. Given the
//     head's weights or a shadow head, and the grouping at k ≥ 2. Reference: He, Zhang and
//     Lee report SSIM 0.997 after the first convolution and 0.60 after the second ReLU.
//   - fora: FORA (Xu et al., CVPR 2024), head withheld: a substitute head trained through the
//     frozen body with a multi-kernel MMD that pulls its simulated uploads towards the victims'
//     real ones, then an inverse network from its uploads to images (Learner.Substitute).
//   - unsplit: UnSplit (Erdoğan, Küpçü and Çiçek, WPES 2022), head withheld and without
//     auxiliary data: a surrogate head and the images optimised together until the surrogate
//     maps each image to its upload (Learner.JointInvert).
//
// With the head withheld (Spec.HeadWeights false) at split > 0, decoder and rmle run He, Zhang
// and Lee's query-free shadow-model attack: the cloud, which knows the architecture and runs
// the body, trains a head and tail of its own through the frozen body on its labelled
// auxiliary images (mixing-aware when k > 1) and inverts the real uploads through that shadow
// head. They report SSIM 0.74 after the first convolution and 0.50 after the second ReLU.
// The other kinds that need the head's weights are skipped instead.
//
// The general algorithms the kinds are built from — FastICA and the separation of convex
// mixtures, the Hungarian assignment, balanced clustering and group matching, ridge
// regression — are package attacks/algo. The closed-form learners are ridge regressions
// (algo.FitRidge), with the strength chosen on held-out auxiliary rows: strong enough to show
// leakage, cheap enough to run in every cell. The package reaches the network through the
// Network interface and trains networks of its own (decoders, shadow models, inversion by
// optimisation) through the Learner interface; package attacks/nets implements both on package
// models, and the tests here implement them in plain Go.
//
// # Adaptive attackers
//
// Every kind adapts to the scheme and the defences it attacks, with nothing but what the
// threat model grants: uploads it learns from are simulated under the assumed scheme — the
// coefficient distribution and the same defences at the same strengths, with draws of its own;
// when the assumed coefficients are signed, uploads are brought to a canonical sign and scale
// (canonicalRows) and inversion targets get the sign and scale of a blind prior; under defences
// that alter the uploads, the uploads are cleaned by a denoiser learnt on simulated pairs
// before separation and inversion by optimisation (clean); shadow and substitute heads train
// under the assumed scheme and its defences. README.md has the table of what each kind adapts
// to.
//
// # The scheme, whole
//
// An attack knows the protocol: Env.Scheme is the edge's datamix.Scheme — group size,
// shuffling, coefficient distribution and guard, defences and their strengths — never its
// random draws. Under fixed coefficients the edge's one matrix is the secret C, so the kinds
// reach the sampler only through the distribution the spec lets them assume; the attacker's
// scheme (the edge's with that sampler) is what simulates auxiliary uploads and what shadow
// models train under (ShadowOptions.Scheme). The capture is the pipeline's own record
// (datamix.Record): what the cloud observed, and the edge's secrets for scoring.
//
// # Columns
//
// Metrics are named <prefix>_<metric>, the prefix being Spec.Name or the kind's DefaultName:
// inversion_psnr, inversion_ssim and the same with inversion_best_; ica_corr, ica_psnr,
// ica_ssim, ica_oracle_psnr, ica_oracle_ssim and the same with ica_strong_; group_match_acc,
// group_match_ari; attr_<attribute>_acc, attr_<attribute>_chance, the attribute lower-cased
// (AttrColumn: CelebA's Male gives attr_male_acc); output_acc, output_chance; decoder_psnr,
// decoder_ssim and the same with decoder_best_ and, at k ≥ 2, decoder_sep_; rmle_psnr,
// rmle_ssim. Every column of reconstructions X_psnr, X_ssim comes with X_psnr_median and with
// X_recovered30 and X_recovered90, the fractions of victims reconstructed with SSIM ≥ 0.30
// (He et al.'s line of a recognisable reconstruction) and ≥ 0.90. PSNR is capped at 100 dB
// (exact up to float32 storage) so that means stay finite; the cap still pulls a mean up when
// a few reconstructions are exact, which the median resists.
//
// Columns that score with an oracle alignment say so: ICA's sources are matched to the
// victims of their group by |corr| with the true unmixed uploads (the sources' order is
// unknowable) in every ica column, and ica_oracle_… also fit scale and offset to the true
// member; the separated-member columns of decoder (decoder_sep_…) and rmle (at k ≥ 2) match
// each recovered image to a victim the same way; inversion_best_… and decoder_best_… score
// each reconstruction against the member of its group it resembles most. Their notes repeat
// it.
//
// # Errors
//
// Misuse a caller could check (shapes, an unknown kind passed to Spec.Applies) panics; failures
// of the data or numerics (a singular system, too few auxiliary images) are returned as errors
// starting "attacks:".
package attacks
