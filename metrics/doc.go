// Package metrics scores what the harness measures: classification accuracy and its chance
// level, image reconstruction quality (PSNR, SSIM), agreement of two clusterings (adjusted Rand
// index) and linear correlation. They are the numbers the privacy attacks (package attacks) report.
//
// # Conventions
//
// Every function is pure: it reads its arguments and allocates what it returns. Images are
// row-major channel-first slices (channel, row, column), as package datasets stores them, in
// float32 or float64. The image metrics follow scikit-image (van der Walt et al., PeerJ 2:e453,
// 2014), so the numbers compare with the literature:
//
//   - PSNR is skimage.metrics.peak_signal_noise_ratio: 10·log10(R²/MSE) for a data range R.
//   - SSIM is skimage.metrics.structural_similarity with gaussian_weights=True, sigma=1.5,
//     use_sample_covariance=True, K1=0.01, K2=0.03 (the settings of Wang et al., "Image
//     quality assessment: from error visibility to structural similarity", IEEE TIP 13(4),
//     2004, eq. 13): an 11×11 Gaussian window, the mean taken over the pixels at least 5 from
//     every edge, and the mean over channels for colour images.
//
// The clustering score follows scikit-learn's adjusted_rand_score (Hubert and Arabie,
// "Comparing partitions", Journal of Classification 2, 1985). The tests check all of them
// against values worked by hand and against scikit-image 0.19.3 and scikit-learn 1.2.1
// (testdata/golden.json, made by testdata/gen.py).
//
// # Errors
//
// Following gonum, arguments a caller can check first (mismatched lengths, an image smaller
// than the SSIM window, a non-positive data range, an empty input) panic with a message
// starting "metrics:". Degenerate but valid data give the value the references give: PSNR of
// identical images is +Inf; the Pearson correlation of a constant vector is NaN.
package metrics
