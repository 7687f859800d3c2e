// Per-element math of the basic ops, shared by host/ and cuda/.
#pragma once

#include "core/hd.h"

namespace jetimg {

JI_HD float scale_element(float x, float alpha) { return alpha * x; }
JI_HD float axpy_element(float alpha, float x, float y) { return y + alpha * x; }

// Adds one row's contribution to the weighted first and second moments.
JI_HD void accumulate_moments(float w, float x, double* sum_wx, double* sum_wx2) {
  const double wx = static_cast<double>(w) * x;
  *sum_wx += wx;
  *sum_wx2 += wx * x;
}

}  // namespace jetimg
