// Package attacks implements the privacy attacks of DESIGN.md §2 against DataMix: what an
// honest-but-curious cloud can learn from the uploads it receives and the values it returns.
//
// # Threat model and settings
//
// The cloud sees every upload (k mixtures M = C·h(X) per group, shuffled across groups within
// a pool when shuffling is on) and every value it returns. It knows the architecture and runs
// the body; it does not know C nor, under shuffling, the grouping. An attack may be given more:
// the head's weights (needed to turn auxiliary images into uploads at split > 0), the
// coefficient distribution (Spec.Coefficients "known", or an assumed sampler), the grouping
// (an oracle upper bound). Each attack records what it was given as its Notes entry
// ("setting: …"), and an attack that cannot apply records "skipped: <why>" instead of failing.
// Auxiliary images come from the training split; the victims are test images, so the two
// never overlap.
//
// # The attacks (issue 3)
//
//   - inversion: a ridge decoder from an upload to the image of its dominant member, trained
//     on auxiliary images mixed with coefficients from the assumed distribution. At split 0,
//     k = 1 it learns the identity.
//   - ica: FastICA (Hyvärinen 1999, scikit-learn's algorithm, on gonum) separates each group's
//     k uploads; the strong variant (StrongUnmix) uses the prior of convex coefficient rows,
//     non-negative inputs and sparsity: it finds the vertices of the simplex the normalised
//     upload columns fill (successive projection), fixes the scale by the row sums of C, and
//     refines on the sources' zeros when needed. At split > 0 sources are decoded to images by
//     a ridge decoder of unmixed head features.
//   - group_matching: the uploads of one group share one subspace and, exactly, one support;
//     balanced clustering on that affinity undoes the shuffle. ica feeds on its groups.
//   - attribute: a ridge classifier on uploads predicts attributes of the dominant member
//     (label, ink mass, dominant colour, or any attribute the dataset carries in Env.Attrs:
//     CelebA's Male, Smiling, …).
//   - output: a ridge classifier on returned values predicts the dominant member's label.
//
// All learners are closed-form ridge regressions (FitRidge) on gonum, with the strength chosen
// on held-out auxiliary rows: strong enough to show leakage, cheap enough to run in every cell,
// and free of gorgonia (DESIGN.md §3: only models imports it).
//
// # Columns
//
// Metrics are named <prefix>_<metric>, the prefix being Spec.Name or the kind's DefaultName:
// inversion_psnr, inversion_ssim, inversion_best_psnr, inversion_best_ssim; ica_corr, ica_psnr,
// ica_ssim, ica_oracle_psnr, ica_oracle_ssim and the same with ica_strong_; group_match_acc,
// group_match_ari; attr_<attribute>_acc, attr_<attribute>_chance, the attribute lower-cased
// (AttrColumn: CelebA's Male gives attr_male_acc); output_acc, output_chance.
// PSNR is capped at 100 dB (exact up to float32 storage) so that means stay finite.
//
// # Errors
//
// Misuse a caller could check (shapes) panics; failures of the data or numerics (a singular
// system, too few auxiliary images) are returned as errors starting "attacks:".
package attacks
