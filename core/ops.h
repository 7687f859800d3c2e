// Basic tensor ops. Each is declared here once, checked here (shapes,
// devices), and implemented twice: host/basic_ops.cpp and cuda/basic_ops.cu,
// both calling the per-element functions of core/elementwise.h.
#pragma once

#include "core/context.h"
#include "core/tensor.h"

namespace jetimg {

// x[i] = value
void fill(Context& ctx, Tensor& x, float value);
// x[i] *= alpha
void scale(Context& ctx, Tensor& x, float alpha);
// y[i] += alpha * x[i]
void axpy(Context& ctx, float alpha, const Tensor& x, Tensor& y);
// The sum of all elements, accumulated in double.
double sum(Context& ctx, const Tensor& x);
// out[index] += alpha · Σ x, accumulated in double, on the context's device
// and without reading anything back: how a step keeps its losses until the
// training loop reads them (models/train_loop.h). out: float32, index in range.
void accumulate_sum(Context& ctx, const Tensor& x, float alpha, Tensor& out, int64_t index);
// out[i] = flipped_label(seed, stream, i, value, other, probability) (core/philox.h).
void fill_flipped_labels(Context& ctx, Tensor& out, float value, float other, double probability, uint64_t seed,
                         uint64_t stream);
// x: (N, ...) -> out: (...), the sum over the first dimension (e.g. a bias gradient).
void sum_rows(Context& ctx, const Tensor& x, Tensor& out);
// x: (N, ...), w: (N) -> per element of a row, sum_wx = Σ_n w[n]·x[n, ...] and
// sum_wx2 = Σ_n w[n]·x[n, ...]² (accumulated in double; written, not added).
void weighted_moments(Context& ctx, const Tensor& x, const Tensor& w, Tensor& sum_wx, Tensor& sum_wx2);
// Uniform on [lo, hi) / normal(mean, stddev) from the context's seed and its
// next random stream: identical numbers on the CPU and on CUDA.
void random_uniform(Context& ctx, Tensor& x, float lo, float hi);
void random_normal(Context& ctx, Tensor& x, float mean, float stddev);

// The implementations behind the dispatch (inputs already checked).
namespace host {
void fill(Context& ctx, Tensor& x, float value);
void accumulate_sum(Context& ctx, const Tensor& x, float alpha, Tensor& out, int64_t index);
void fill_flipped_labels(Context& ctx, Tensor& out, float value, float other, double probability, uint64_t seed,
                         uint64_t stream);
void scale(Context& ctx, Tensor& x, float alpha);
void axpy(Context& ctx, float alpha, const Tensor& x, Tensor& y);
double sum(Context& ctx, const Tensor& x);
void sum_rows(Context& ctx, const Tensor& x, Tensor& out);
void weighted_moments(Context& ctx, const Tensor& x, const Tensor& w, Tensor& sum_wx, Tensor& sum_wx2);
void random_uniform(Context& ctx, Tensor& x, uint64_t stream, float lo, float hi);
void random_normal(Context& ctx, Tensor& x, uint64_t stream, float mean, float stddev);
}  // namespace host

namespace cuda {
void fill(Context& ctx, Tensor& x, float value);
void accumulate_sum(Context& ctx, const Tensor& x, float alpha, Tensor& out, int64_t index);
void fill_flipped_labels(Context& ctx, Tensor& out, float value, float other, double probability, uint64_t seed,
                         uint64_t stream);
void scale(Context& ctx, Tensor& x, float alpha);
void axpy(Context& ctx, float alpha, const Tensor& x, Tensor& y);
double sum(Context& ctx, const Tensor& x);
void sum_rows(Context& ctx, const Tensor& x, Tensor& out);
void weighted_moments(Context& ctx, const Tensor& x, const Tensor& w, Tensor& sum_wx, Tensor& sum_wx2);
void random_uniform(Context& ctx, Tensor& x, uint64_t stream, float lo, float hi);
void random_normal(Context& ctx, Tensor& x, uint64_t stream, float mean, float stddev);
}  // namespace cuda

}  // namespace jetimg
