#include "models/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "physics/random.h"

namespace jetimg {

RocCurve roc_curve(const std::vector<float>& scores, const std::vector<int32_t>& labels,
                   const std::vector<float>& weights) {
  const size_t n = scores.size();
  if (labels.size() != n || (!weights.empty() && weights.size() != n))
    fail("roc_curve: ", n, " scores but ", labels.size(), " labels and ", weights.size(), " weights");
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double total_s = 0, total_b = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(scores[i])) fail("roc_curve: score ", i, " is not finite (", scores[i], ")");
    if (labels[i] != 0 && labels[i] != 1) fail("roc_curve: label ", i, " is ", labels[i], ", expected 0 or 1");
    const double w = weights.empty() ? 1.0 : weights[i];
    if (!(w >= 0) || !std::isfinite(w)) fail("roc_curve: weight ", i, " is ", w, ", expected a finite value >= 0");
    (labels[i] == 1 ? total_s : total_b) += w;
  }
  if (total_s <= 0 || total_b <= 0) fail("roc_curve: need both signal and background jets with positive weight");
  RocCurve roc;
  roc.signal_efficiency.push_back(0);
  roc.background_efficiency.push_back(0);
  roc.threshold.push_back(std::numeric_limits<double>::infinity());
  double s = 0, b = 0;
  for (size_t k = 0; k < n;) {
    const float cut = scores[order[k]];
    for (; k < n && scores[order[k]] == cut; ++k) {
      const double w = weights.empty() ? 1.0 : weights[order[k]];
      (labels[order[k]] == 1 ? s : b) += w;
    }
    roc.signal_efficiency.push_back(s / total_s);
    roc.background_efficiency.push_back(b / total_b);
    roc.threshold.push_back(cut);
  }
  return roc;
}

double auc(const RocCurve& roc) {
  double area = 0;
  for (size_t i = 1; i < roc.signal_efficiency.size(); ++i)
    area += (roc.background_efficiency[i] - roc.background_efficiency[i - 1]) *
            0.5 * (roc.signal_efficiency[i] + roc.signal_efficiency[i - 1]);
  return area;
}

double background_rejection(const RocCurve& roc, double working_point) {
  const auto& es = roc.signal_efficiency;
  const auto it = std::lower_bound(es.begin(), es.end(), working_point);
  if (it == es.end()) return 1.0;
  const size_t i = static_cast<size_t>(it - es.begin());
  double eb = roc.background_efficiency[i];
  if (i > 0 && es[i] > es[i - 1]) {
    const double f = (working_point - es[i - 1]) / (es[i] - es[i - 1]);
    eb = roc.background_efficiency[i - 1] + f * (roc.background_efficiency[i] - roc.background_efficiency[i - 1]);
  }
  return eb > 0 ? 1.0 / eb : std::numeric_limits<double>::infinity();
}

double accuracy(const std::vector<float>& scores, const std::vector<int32_t>& labels,
                const std::vector<float>& weights, double threshold) {
  if (scores.size() != labels.size() || (!weights.empty() && weights.size() != scores.size()))
    fail("accuracy: ", scores.size(), " scores, ", labels.size(), " labels and ", weights.size(), " weights");
  double right = 0, total = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    right += ((scores[i] >= threshold) == (labels[i] == 1)) ? w : 0.0;
    total += w;
  }
  return total > 0 ? right / total : 0.0;
}

TaggerSummary summarise_tagger(const std::vector<float>& scores, const std::vector<int32_t>& labels,
                               const std::vector<float>& weights, int bootstrap, uint64_t seed) {
  const RocCurve roc = roc_curve(scores, labels, weights);
  TaggerSummary s;
  s.auc = auc(roc);
  s.accuracy = accuracy(scores, labels, weights);
  s.rejection_30 = background_rejection(roc, 0.3);
  s.rejection_50 = background_rejection(roc, 0.5);
  if (bootstrap < 2) return s;
  const size_t n = scores.size();
  std::vector<double> aucs, r30, r50, accuracies;
  std::vector<float> bs(n), bw(n);
  std::vector<int32_t> bl(n);
  for (int b = 0; b < bootstrap; ++b) {
    Random rng(seed, static_cast<uint64_t>(b));
    for (size_t i = 0; i < n; ++i) {
      const size_t pick = std::min(n - 1, static_cast<size_t>(rng.uniform() * n));
      bs[i] = scores[pick], bl[i] = labels[pick], bw[i] = weights.empty() ? 1.0f : weights[pick];
    }
    try {
      const RocCurve r = roc_curve(bs, bl, bw);
      aucs.push_back(auc(r));
      accuracies.push_back(accuracy(bs, bl, bw));
      r30.push_back(background_rejection(r, 0.3));
      r50.push_back(background_rejection(r, 0.5));
    } catch (const Error&) {
      // a resampling without one of the classes: skip it
    }
  }
  const auto stddev = [](const std::vector<double>& v) {
    std::vector<double> finite;
    for (double x : v)
      if (std::isfinite(x)) finite.push_back(x);
    if (finite.size() < 2) return 0.0;
    const double mean = std::accumulate(finite.begin(), finite.end(), 0.0) / finite.size();
    double var = 0;
    for (double x : finite) var += (x - mean) * (x - mean);
    return std::sqrt(var / (finite.size() - 1));
  };
  s.auc_error = stddev(aucs);
  s.accuracy_error = stddev(accuracies);
  s.rejection_30_error = stddev(r30);
  s.rejection_50_error = stddev(r50);
  return s;
}

}  // namespace jetimg
