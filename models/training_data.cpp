#include "models/training_data.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace jetimg {

std::vector<float> flat_pt_weights(const std::vector<double>& pt, const std::vector<float>& labels, int bins) {
  if (pt.size() != labels.size()) fail("flat_pt_weights: ", pt.size(), " pT values but ", labels.size(), " labels");
  if (bins < 1) fail("flat_pt_weights: need at least one bin, got ", bins);
  if (pt.empty()) return {};
  const auto [lo_it, hi_it] = std::minmax_element(pt.begin(), pt.end());
  const double lo = *lo_it, width = std::max((*hi_it - lo) / bins, 1e-12);
  const auto bin_of = [&](double v) { return std::min(bins - 1, std::max(0, static_cast<int>((v - lo) / width))); };
  std::map<float, std::vector<int64_t>> counts;  // per class, per bin
  std::map<float, int64_t> totals;
  for (size_t i = 0; i < pt.size(); ++i) {
    auto& c = counts[labels[i]];
    if (c.empty()) c.assign(static_cast<size_t>(bins), 0);
    ++c[static_cast<size_t>(bin_of(pt[i]))];
    ++totals[labels[i]];
  }
  std::map<float, int> filled;
  for (const auto& [label, c] : counts) filled[label] = static_cast<int>(std::count_if(c.begin(), c.end(), [](int64_t n) { return n > 0; }));
  std::vector<float> weights(pt.size());
  for (size_t i = 0; i < pt.size(); ++i) {
    const float label = labels[i];
    const double per_bin = static_cast<double>(totals[label]) / filled[label];
    weights[i] = static_cast<float>(per_bin / counts[label][static_cast<size_t>(bin_of(pt[i]))]);
  }
  return weights;
}


}  // namespace jetimg
