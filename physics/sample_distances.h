// Distances between two samples of one observable (a shower shape of
// reference showers against generated ones): the exact 1-D Wasserstein-1
// distance, and the two-sample χ² of their histograms over common bins.
// Samples may have different sizes; values must be finite.
#pragma once

#include <cstdint>
#include <vector>

namespace jetimg {

// Equal-width bins over [lo, hi]. A value x falls in bin
//   k = floor((x - lo) / (hi - lo) * bins),
// clamped to [0, bins - 1], so that lo and hi are both inside.
struct Binning {
  double lo = 0, hi = 1;
  int bins = 50;
  int bin_of(double x) const;
  double edge(int k) const { return lo + (hi - lo) * k / bins; }
};

// At most `bins` bins covering both samples, [min, max] over their union.
// For a shape whose values are multiples of `step` (> 0; a sparsity is a
// count of cells over the cells of the layer) the edges fall half-way
// between those values and each bin holds the same number of them, so the
// histogram has no comb of empty bins. A single repeated value v gets
// [v - 0.5, v + 0.5] (or one bin of width `step` around it).
Binning common_binning(const std::vector<double>& a, const std::vector<double>& b, int bins, double step = 0);

// Counts of `values` per bin of `binning`.
std::vector<double> histogram(const std::vector<double>& values, const Binning& binning);

struct SampleMoments {
  double mean = 0, std = 0;  // std with 1/n (the population standard deviation); 0 for an empty sample
};
// The mean and standard deviation of `values`; a spread below 1e-12 of the
// largest |value| is rounding (a constant sample) and counts as 0.
SampleMoments moments(const std::vector<double>& values);

// W1 = ∫ |F_a(x) - F_b(x)| dx over the two empirical distribution functions:
// for equal sizes, the mean |a_(i) - b_(i)| of the sorted samples. Exact, in
// O((n + m) log(n + m)); the same number as scipy.stats.wasserstein_distance.
// 0 when either sample is empty.
double wasserstein_1d(std::vector<double> a, std::vector<double> b);

// W1 in units of the reference's spread, so that shapes in different units
// can be averaged: W1 / std(reference), or W1 / std(a ∪ b) where the
// reference is a single repeated value; 0 where both are the same constant.
double normalised_wasserstein_1d(const std::vector<double>& reference, const std::vector<double>& candidate);

// The two-sample χ² of two unweighted histograms (Gagunashvili; ROOT's
// Chi2Test "UU"), the Pearson χ² of the 2 × bins contingency table:
//   χ² = Σ_k (N_b a_k - N_a b_k)² / (N_a N_b (a_k + b_k)),   ndf = K - 1,
// over the K bins where a_k + b_k > 0 (N_a, N_b: the sample sizes; bins
// empty in both samples are skipped). Compatible samples give χ²/ndf ≈ 1.
struct ChiSquare {
  double chi2 = 0;
  int ndf = 0;
  double per_ndf() const { return ndf > 0 ? chi2 / ndf : 0.0; }  // 0 when all entries share one bin
};
ChiSquare chi_square(const std::vector<double>& counts_a, const std::vector<double>& counts_b);
ChiSquare chi_square(const std::vector<double>& a, const std::vector<double>& b, const Binning& binning);

}  // namespace jetimg
