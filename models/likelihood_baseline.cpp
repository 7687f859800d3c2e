#include "models/likelihood_baseline.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace jetimg {

LikelihoodBaseline::LikelihoodBaseline(Axis x, Axis y) : x_(x), y_(y) {
  if (x.bins < 1 || y.bins < 1 || !(x.hi > x.lo) || !(y.hi > y.lo))
    fail("likelihood baseline: need at least one bin and hi > lo on both axes");
}

int LikelihoodBaseline::bin(const Axis& a, double v) const {
  // Values outside the range go to the edge bins (under- and overflow folded in).
  const int b = static_cast<int>(std::floor((v - a.lo) / (a.hi - a.lo) * a.bins));
  return std::clamp(b, 0, a.bins - 1);
}

void LikelihoodBaseline::fit(const std::vector<double>& x, const std::vector<double>& y,
                             const std::vector<int32_t>& labels, const std::vector<float>& weights) {
  const size_t n = x.size();
  if (y.size() != n || labels.size() != n || (!weights.empty() && weights.size() != n))
    fail("likelihood baseline: the columns have different lengths");
  signal_.assign(static_cast<size_t>(x_.bins * y_.bins), 0.0);
  background_ = signal_;
  double total_s = 0, total_b = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    const double w = weights.empty() ? 1.0 : weights[i];
    const size_t k = static_cast<size_t>(bin(x_, x[i]) * y_.bins + bin(y_, y[i]));
    if (labels[i] == 1) {
      signal_[k] += w, total_s += w;
    } else {
      background_[k] += w, total_b += w;
    }
  }
  if (total_s <= 0 || total_b <= 0) fail("likelihood baseline: need signal and background jets to fit");
  for (double& v : signal_) v /= total_s;
  for (double& v : background_) v /= total_b;
}

std::vector<float> LikelihoodBaseline::score(const std::vector<double>& x, const std::vector<double>& y) const {
  if (signal_.empty()) fail("likelihood baseline: score() before fit()");
  std::vector<float> scores(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      scores[i] = 0.5f;  // no substructure to judge by: undecided
      continue;
    }
    const size_t k = static_cast<size_t>(bin(x_, x[i]) * y_.bins + bin(y_, y[i]));
    const double s = signal_[k], b = background_[k];
    scores[i] = s + b > 0 ? static_cast<float>(s / (s + b)) : 0.5f;  // empty in both: undecided
  }
  return scores;
}

Json LikelihoodBaseline::to_json() const {
  return {{"x", {{"bins", x_.bins}, {"lo", x_.lo}, {"hi", x_.hi}}},
          {"y", {{"bins", y_.bins}, {"lo", y_.lo}, {"hi", y_.hi}}},
          {"signal_density", signal_},
          {"background_density", background_}};
}

}  // namespace jetimg
