// The physics baseline of the W-tagging study: a likelihood ratio of two
// jet-substructure variables (trimmed mass and τ21), estimated from binned
// 2-D histograms of signal and background training jets. Its score for a jet
// is p_S(bin) / (p_S(bin) + p_B(bin)), monotonic in the likelihood ratio.
#pragma once

#include <cstdint>
#include <vector>

#include "core/config.h"

namespace jetimg {

class LikelihoodBaseline {
 public:
  struct Axis {
    int bins;
    double lo, hi;
  };
  LikelihoodBaseline(Axis x, Axis y);

  // Fills the signal and background histograms (labels 1 and 0).
  void fit(const std::vector<double>& x, const std::vector<double>& y, const std::vector<int32_t>& labels,
           const std::vector<float>& weights);
  std::vector<float> score(const std::vector<double>& x, const std::vector<double>& y) const;
  Json to_json() const;

 private:
  int bin(const Axis& a, double v) const;
  Axis x_, y_;
  std::vector<double> signal_, background_;  // normalised densities per bin
};

}  // namespace jetimg
