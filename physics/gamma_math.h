// The Gamma distribution, as the calorimeter simulator needs it: its
// cumulative distribution (the regularised lower incomplete gamma function,
// for the energy a longitudinal profile puts into a slab of depth) and
// sampling from it (for sampling fluctuations and shower-to-shower
// variations).
#pragma once

#include <cmath>

#include "physics/random.h"

namespace jetimg {

// P(a, x) = γ(a, x) / Γ(a), the probability that a Gamma(a, 1) variable is
// below x: a power series below x = a + 1, a continued fraction (Lentz's
// method) for 1 - P above it; both to ~1e-12.
inline double gamma_cdf(double a, double x) {
  if (x <= 0) return 0;
  int sign = 0;
  const double log_front = a * std::log(x) - x - ::lgamma_r(a, &sign);  // lgamma_r: no shared state
  if (x < a + 1) {
    double term = 1 / a, sum = term;
    for (int n = 1; n < 1000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-13) break;
    }
    return std::fmin(1.0, sum * std::exp(log_front));
  }
  constexpr double kTiny = 1e-300;
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, fraction = d;
  for (int n = 1; n < 1000; ++n) {
    const double an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    fraction *= step;
    if (std::fabs(step - 1) < 1e-13) break;
  }
  return std::fmax(0.0, 1 - std::exp(log_front) * fraction);
}

// A Gamma(shape, 1) variate (Marsaglia & Tsang, ACM TOMS 26 (2000) 363; for
// shape < 1 through Gamma(shape + 1) · U^(1/shape)).
inline double sample_gamma(double shape, Random& rng) {
  if (!(shape > 0)) return 0;
  if (shape < 1) return sample_gamma(shape + 1, rng) * std::pow(rng.uniform(), 1 / shape);
  const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  for (;;) {
    double x, v;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

}  // namespace jetimg
