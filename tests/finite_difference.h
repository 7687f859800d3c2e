// Element-by-element central-difference gradient checks on the CPU.
//
// An op becomes a scalar through a fixed random projection, L = Σ r ⊙ y
// (accumulated in double); its analytic gradient with respect to an input or
// parameter θ is what the op's backward returns for dy = r. Each element of θ
// is moved by ±h and
//   numeric[i] = (L(θ + h·e_i) - L(θ - h·e_i)) / 2h
// is compared with the analytic gradient by |numeric - analytic| <= atol +
// rtol·|analytic|. For ops linear in θ the difference is exact up to float
// rounding of L, about 1e-7·|L|/h; piecewise-linear ops (max pooling) are
// exact too as long as no ±h step changes a window's argmax, so tests keep
// their inputs separated by more than 2h. The check fails when the numeric
// gradient is all but zero, so a forward that ignores θ cannot pass it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <vector>

#include "core/tensor.h"

namespace jetimg::testing {

// Σ r ⊙ y in double.
inline double projection(const Tensor& y, const Tensor& r) {
  const std::vector<float> yv = y.to_vector(), rv = r.to_vector();
  double acc = 0.0;
  for (size_t i = 0; i < yv.size(); ++i) acc += static_cast<double>(yv[i]) * rv[i];
  return acc;
}

// `forward` recomputes y from the current contents of `at` (a CPU tensor,
// perturbed in place and restored); `analytic` is ∂L/∂at for L = Σ r ⊙ y.
inline ::testing::AssertionResult gradient_matches(const std::function<Tensor()>& forward, Tensor& at,
                                                   const Tensor& r, const Tensor& analytic, float h = 1e-2f,
                                                   double atol = 2e-3, double rtol = 2e-2) {
  if (analytic.shape() != at.shape())
    return ::testing::AssertionFailure() << "gradient shape " << analytic.shape().str() << " vs " << at.shape().str();
  const std::vector<float> grad = analytic.to_vector();
  std::ostringstream report;
  int failures = 0;
  double largest_numeric = 0.0;
  for (int64_t i = 0; i < at.numel(); ++i) {
    const float saved = at.data()[i];
    at.data()[i] = saved + h;
    const double plus = projection(forward(), r);
    at.data()[i] = saved - h;
    const double minus = projection(forward(), r);
    at.data()[i] = saved;
    const double numeric = (plus - minus) / (2.0 * h);
    largest_numeric = std::max(largest_numeric, std::abs(numeric));
    if (std::abs(numeric - grad[i]) > atol + rtol * std::abs(grad[i]) && failures++ < 5)
      report << "\n  [" << i << "] analytic " << grad[i] << ", numeric " << numeric;
  }
  if (largest_numeric < 10 * atol)
    return ::testing::AssertionFailure() << "the numeric gradient is all but zero (largest " << largest_numeric
                                         << "): the check would pass trivially";
  if (failures)
    return ::testing::AssertionFailure() << failures << " of " << at.numel() << " elements differ" << report.str();
  return ::testing::AssertionSuccess();
}

}  // namespace jetimg::testing
