#include "physics/sample_distances.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace jetimg {
namespace {

void require_finite(const std::vector<double>& values, const char* what) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) fail(what, ": value ", i, " is ", values[i], ", expected a finite number");
}

}  // namespace

int Binning::bin_of(double x) const {
  const double k = std::floor((x - lo) / (hi - lo) * bins);
  if (!(k >= 0)) return 0;  // also NaN
  return k >= bins ? bins - 1 : static_cast<int>(k);
}

Binning common_binning(const std::vector<double>& a, const std::vector<double>& b, int bins, double step) {
  if (bins < 1) fail("histogram binning: ", bins, " bins, expected at least 1");
  double min = INFINITY, max = -INFINITY;
  for (const std::vector<double>* sample : {&a, &b})
    for (double v : *sample) min = std::min(min, v), max = std::max(max, v);
  if (!std::isfinite(min) || !std::isfinite(max)) return Binning{0, 1, bins};  // both samples empty
  if (step > 0) {
    // Whole steps per bin, edges half a step away from the values.
    const double steps = std::round((max - min) / step) + 1;
    const double per_bin = std::ceil(steps / bins);
    const int used = static_cast<int>(std::ceil(steps / per_bin));
    const double lo = min - step / 2;
    return Binning{lo, lo + used * per_bin * step, used};
  }
  if (!(max > min)) return Binning{min - 0.5, min + 0.5, bins};
  return Binning{min, max, bins};
}

std::vector<double> histogram(const std::vector<double>& values, const Binning& binning) {
  std::vector<double> counts(static_cast<size_t>(binning.bins), 0.0);
  for (double v : values) counts[static_cast<size_t>(binning.bin_of(v))] += 1;
  return counts;
}

SampleMoments moments(const std::vector<double>& values) {
  SampleMoments m;
  if (values.empty()) return m;
  for (double v : values) m.mean += v;
  m.mean /= values.size();
  double sum2 = 0, largest = 0;  // two passes: no cancellation for values far from zero
  for (double v : values) sum2 += (v - m.mean) * (v - m.mean), largest = std::max(largest, std::abs(v));
  m.std = std::sqrt(sum2 / values.size());
  if (m.std <= 1e-12 * largest) m.std = 0;  // a constant sample, up to the rounding of its mean
  return m;
}

double wasserstein_1d(std::vector<double> a, std::vector<double> b) {
  require_finite(a, "Wasserstein distance, first sample");
  require_finite(b, "Wasserstein distance, second sample");
  if (a.empty() || b.empty()) return 0.0;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  // Walk the merged sorted values; between consecutive ones both empirical
  // distribution functions are constant, so the integral is a sum of boxes.
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double x = std::min(a[0], b[0]), distance = 0;
  while (i < a.size() || j < b.size()) {
    const double next = (j == b.size() || (i < a.size() && a[i] <= b[j])) ? a[i] : b[j];
    distance += std::abs(i / na - j / nb) * (next - x);
    x = next;
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
  }
  return distance;
}

double normalised_wasserstein_1d(const std::vector<double>& reference, const std::vector<double>& candidate) {
  const double w1 = wasserstein_1d(reference, candidate);
  double scale = moments(reference).std;
  if (!(scale > 0)) {
    std::vector<double> pooled(reference);
    pooled.insert(pooled.end(), candidate.begin(), candidate.end());
    scale = moments(pooled).std;
  }
  return scale > 0 ? w1 / scale : 0.0;
}

ChiSquare chi_square(const std::vector<double>& counts_a, const std::vector<double>& counts_b) {
  if (counts_a.size() != counts_b.size())
    fail("χ² of two histograms: ", counts_a.size(), " bins against ", counts_b.size(), ", expected the same binning");
  double total_a = 0, total_b = 0;
  for (size_t k = 0; k < counts_a.size(); ++k) {
    if (!(counts_a[k] >= 0) || !(counts_b[k] >= 0))
      fail("χ² of two histograms: bin ", k, " holds a negative or non-finite count");
    total_a += counts_a[k], total_b += counts_b[k];
  }
  ChiSquare result;
  if (total_a == 0 || total_b == 0) return result;
  int filled = 0;
  for (size_t k = 0; k < counts_a.size(); ++k) {
    const double sum = counts_a[k] + counts_b[k];
    if (sum == 0) continue;
    ++filled;
    const double difference = total_b * counts_a[k] - total_a * counts_b[k];
    result.chi2 += difference * difference / (total_a * total_b * sum);
  }
  result.ndf = std::max(0, filled - 1);
  return result;
}

ChiSquare chi_square(const std::vector<double>& a, const std::vector<double>& b, const Binning& binning) {
  return chi_square(histogram(a, binning), histogram(b, binning));
}

}  // namespace jetimg
