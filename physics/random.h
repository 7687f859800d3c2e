// Random numbers for event generation: one Philox stream per event, so an
// event is a pure function of (seed, process, event number) whatever the
// thread count or the order in which events are made.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/philox.h"

namespace jetimg {

class Random {
 public:
  Random(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}

  // Uniform in the open interval (0, 1).
  double uniform() {
    if (used_ == 2) {
      block_ = philox_block(seed_, stream_, counter_++);
      used_ = 0;
    }
    const int i = 2 * used_++;
    return uniform_double_from_bits(block_.v[i], block_.v[i + 1]);
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2 * 3.14159265358979323846 * uniform()); }
  double exponential(double mean) { return -mean * std::log(uniform()); }
  // Poisson by multiplying uniforms. exp(-mean) underflows above a mean of
  // about 745, so larger means are drawn as a sum of Poisson variables of
  // mean at most kPoissonPiece (a sum of Poisson variables is Poisson).
  int poisson(double mean) {
    if (mean <= 0) return 0;
    constexpr double kPoissonPiece = 500;
    if (mean > kPoissonPiece) {
      const int pieces = static_cast<int>(std::ceil(mean / kPoissonPiece));
      int n = 0;
      for (int i = 0; i < pieces; ++i) n += poisson(mean / pieces);
      return n;
    }
    const double limit = std::exp(-mean);
    double product = uniform();
    int n = 0;
    while (product > limit) {
      ++n;
      product *= uniform();
    }
    return n;
  }

 private:
  uint64_t seed_, stream_;
  uint64_t counter_ = 0;
  Philox4 block_{};
  int used_ = 2;
};

}  // namespace jetimg
