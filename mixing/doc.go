// Package mixing implements the edge side of DataMix's mixing and
// de-mixing: drawing secret coefficient matrices, mixing groups of feature
// vectors before upload, de-mixing what the cloud returns, and shuffling the
// uploads of many groups together.
//
// # The method
//
// DataMix (Liu, Wu, Gan, Zhu and Han, "DataMix: Efficient Privacy-Preserving
// Edge-Cloud Inference", ECCV 2020) splits a network into an edge head h, a
// cloud body g and an edge tail t. The edge takes a group of k private inputs,
// computes their features H = h(X) (k×d), draws a secret invertible k×k
// mixing matrix C and uploads the k mixed rows M = C·H. The cloud returns
// Z̃ = g(M) (k×d'), and the edge de-mixes Z = C⁻¹·Z̃ before applying the tail.
// In the paper's k = 2 example C = [[0.7, 0.3], [0.6, 0.4]]: each upload is a
// convex blend of the two inputs. With k = 1 and C = [1] the method reduces to
// plain split inference.
//
// This package provides the pieces that touch C and the uploads, and nothing
// else (no networks, no gorgonia). The protocol that composes them with a
// network — edge head, mixing, shuffling, cloud body, de-mixing, tail — and
// mixing-aware training are package datamix, the place to start reading:
//
//   - [Scheme] is how an edge mixes, as one value: the group size K, the Sampler, the Guard
//     and whether uploads are shuffled; [Scheme.Draw] draws a batch's secrets, the one place
//     they are drawn — by the edge's protocol, by mixing-aware training, and by an attacker
//     simulating uploads under the distribution it assumes ([Scheme.WithSampler]).
//   - [Sampler] draws C: "dirichlet" and "uniform" rows are convex weights as
//     in the paper's example, "gaussian" entries are signed, "fixed" repeats a
//     given matrix. [NewSampler] builds one by name.
//   - [Guard] resamples until C is non-singular and well conditioned, and
//     returns C⁻¹ with it; [CheckMatrix] validates a user-given matrix;
//     [Cond] is the 2-norm condition number both use.
//   - [Mix] and [Demix] apply C and C⁻¹ to one group; [DrawGroups],
//     [MixBatch] and [DemixBatch] do the same for a batch of consecutive
//     groups, and [BlockDiag] lays the per-group matrices out as one
//     block-diagonal matrix so that mixing can sit inside a training graph
//     (mixing-aware training draws a fresh C per group every step).
//   - [Permutation], [Shuffle] and [Unshuffle] implement inter-group
//     shuffling: the uploads of many groups are permuted together so the cloud
//     does not know which uploads belong to one group; the edge keeps the
//     permutation.
//
// # Layout
//
// Feature blocks are row-major []float32: row i of a k×d block h is
// h[i*d:(i+1)*d]. A batch of n rows holds consecutive groups: group j of
// size k occupies rows [j*k, (j+1)*k). Coefficient matrices are float64
// *mat.Dense, and Mix and Demix accumulate in float64 so that the only
// round-off of consequence is the float32 storage of their results.
//
// # Shuffle convention
//
// A permutation perm of n rows is read as a destination map: [Shuffle] puts
// row i of src at row perm[i] of dst, so dst[perm[i]] = src[i]. [Unshuffle]
// undoes it: dst[i] = src[perm[i]]. Unshuffle(Shuffle(x)) == x for every
// permutation. The cloud's replies come back in upload order, so the edge
// unshuffles them with the same perm before de-mixing.
//
// # Error policy
//
// As in gonum: a condition the caller could have checked before the call
// (slice lengths that disagree with the shapes, a group size below 1, a batch
// that is not a whole number of groups, a permutation that is not one) is a
// bug in the caller and panics. A condition that depends on the data or on
// the random draw (a singular or ill-conditioned matrix, a user-given matrix
// of the wrong size, an unknown sampler name) is returned as an error. Error
// and panic messages start with "mixing: ".
//
// # Randomness
//
// Every function that draws takes a *rand.Rand from math/rand/v2 explicitly;
// the package never uses the global generator. Experiments pass a seeded
// generator (rand.New(rand.NewPCG(seed, stream))) so that runs are
// reproducible. A deployment must not: InstaHide fell partly to an attack on
// the seeded, guessable generator that drew its secrets, so the mixing
// matrices and the permutation of a real deployment are drawn from
// [CryptoRand], whose source reads crypto/rand.
package mixing
