// Per-element math of the basic ops, shared by host/ and cuda/.
#pragma once

#include <cstdint>

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

// Column sums over rows (sum_rows, weighted_moments) add the rows in chunks
// of this many, each chunk in order into a double, then the chunks' sums in
// order: on the CPU one thread per column does exactly that, on CUDA a
// thread per (column, chunk) and then a thread per column, so both devices
// give the same bits and a GPU splits a long column over many blocks. At
// most 65535 chunks (a CUDA grid's second dimension).
// accumulate_sum's last step: *out += alpha · total, rounded to float once.
JI_HD void add_scaled_total(float* out, float alpha, double total) { *out += static_cast<float>(alpha * total); }

JI_HD int64_t row_chunk(int64_t rows) {
  const int64_t chunk = (rows + 65534) / 65535;
  return chunk < 64 ? 64 : chunk;
}

}  // namespace jetimg
