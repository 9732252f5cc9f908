// Package algo holds the general algorithms the privacy attacks are built from, each
// independent of DataMix, of networks and of the attack kinds (package attacks) that use
// them. Everything is plain Go on gonum.
//
//   - Blind source separation: FastICA (Hyvärinen, IEEE TNN 10(3), 1999; scikit-learn's
//     algorithm, parallel and deflation, logcosh contrast) and the stronger separation of
//     convex mixtures of non-negative sparse signals: SimplexUnmix (the successive projection
//     algorithm: Araújo et al., Chemometr. Intell. Lab. 57, 2001; Gillis and Vavasis, IEEE
//     TPAMI 36(4), 2014), RowSumScale, RefineSparse, and StrongUnmix, which combines them with
//     FastICA. Sources applies an unmixing matrix.
//   - Assignment: Assign, the Hungarian algorithm (minimum-cost matching of n rows to m ≥ n
//     columns).
//   - Clustering into equal groups: Affinity (support, correlation) and BalancedClusters on a
//     dense affinity matrix, and MatchGroups, which clusters pools of tens of thousands of
//     rows on a nearest-neighbour graph, under the support, correlation or subspace affinity
//     (rows of one group span one k-dimensional subspace).
//   - Regression: FitRidge, ridge regression with its strength chosen on held-out rows (primal
//     or dual form, whichever is cheaper), and ClassLoss, the held-out loss of a one-vs-rest
//     classifier.
//
// # Errors
//
// As in gonum: inputs whose sizes disagree, or an unknown affinity name, are the caller's
// errors and panic; what depends on the data (linearly dependent mixtures, a system that is
// not positive definite, data that do not fit a prior) is returned as an error. Messages
// start with "algo: ".
package algo
