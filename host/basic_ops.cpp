// CPU reference implementation of the basic ops (core/ops.h), OpenMP-threaded.
#include <algorithm>
#include <vector>

#include "core/elementwise.h"
#include "core/ops.h"
#include "core/philox.h"

namespace jetimg::host {

void fill(Context&, Tensor& x, float value) {
  float* data = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) data[i] = value;
}

void accumulate_sum(Context& ctx, const Tensor& x, float alpha, Tensor& out, int64_t index) {
  const double total = x.numel() == 0 ? 0.0 : host::sum(ctx, x);
  add_scaled_total(out.data() + index, alpha, total);
}

void fill_flipped_labels(Context&, Tensor& out, float value, float other, double probability, uint64_t seed,
                         uint64_t stream) {
  float* data = out.data();
  const int64_t n = out.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    data[i] = flipped_label(seed, stream, static_cast<uint64_t>(i), value, other, probability);
}

void scale(Context&, Tensor& x, float alpha) {
  float* data = x.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) data[i] = scale_element(data[i], alpha);
}

void axpy(Context&, float alpha, const Tensor& x, Tensor& y) {
  const float* xs = x.data();
  float* ys = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) ys[i] = axpy_element(alpha, xs[i], ys[i]);
}

double sum(Context&, const Tensor& x) {
  // Fixed blocks summed in parallel, then the block sums in order: the result
  // does not depend on the number of threads (losses of a seeded run repeat
  // to the last bit).
  constexpr int64_t kBlock = 4096;
  const float* data = x.data();
  const int64_t n = x.numel(), blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    double acc = 0.0;
    for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) acc += data[i];
    partial[static_cast<size_t>(b)] = acc;
  }
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

void sum_rows(Context&, const Tensor& x, Tensor& out) {
  const int64_t rows = x.dim(0), cols = out.numel();
  const float* in = x.data();
  float* result = out.data();
  // Each chunk's column sums in row order, read in memory order; then each
  // column's chunks in order: the CUDA kernels' sums, term for term.
  const int64_t chunk = row_chunk(rows), chunks = (rows + chunk - 1) / chunk;
  std::vector<double> partial(static_cast<size_t>(chunks * cols), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < chunks; ++k) {
    double* acc = partial.data() + k * cols;
    for (int64_t r = k * chunk; r < std::min(rows, (k + 1) * chunk); ++r)
      for (int64_t c = 0; c < cols; ++c) acc[c] += in[r * cols + c];
  }
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < cols; ++c) {
    double total = 0.0;
    for (int64_t k = 0; k < chunks; ++k) total += partial[static_cast<size_t>(k * cols + c)];
    result[c] = static_cast<float>(total);
  }
}

void weighted_moments(Context&, const Tensor& x, const Tensor& w, Tensor& sum_wx, Tensor& sum_wx2) {
  const int64_t rows = x.dim(0), cols = sum_wx.numel();
  const float* in = x.data();
  const float* weights = w.data();
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t chunk = row_chunk(rows);
    double first = 0.0, second = 0.0;
    for (int64_t begin = 0; begin < rows; begin += chunk) {
      double part_first = 0.0, part_second = 0.0;
      for (int64_t r = begin; r < std::min(rows, begin + chunk); ++r)
        accumulate_moments(weights[r], in[r * cols + c], &part_first, &part_second);
      first += part_first, second += part_second;
    }
    sum_wx.data()[c] = static_cast<float>(first);
    sum_wx2.data()[c] = static_cast<float>(second);
  }
}

void random_uniform(Context& ctx, Tensor& x, uint64_t stream, float lo, float hi) {
  float* data = x.data();
  const int64_t n = x.numel();
  const uint64_t seed = ctx.seed();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) data[i] = philox_uniform(seed, stream, static_cast<uint64_t>(i), lo, hi);
}

void random_normal(Context& ctx, Tensor& x, uint64_t stream, float mean, float stddev) {
  float* data = x.data();
  const int64_t n = x.numel();
  const uint64_t seed = ctx.seed();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) data[i] = philox_normal(seed, stream, static_cast<uint64_t>(i), mean, stddev);
}

}  // namespace jetimg::host
