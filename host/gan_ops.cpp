// CPU reference implementation of the GAN ops (core/gan_ops.h): plain
// OpenMP loops over the element math of core/gan_math.h. Every output
// element is computed by one iteration with a fixed-order sum, so results do
// not depend on the thread count.
#include <algorithm>
#include <vector>

#include "core/gan_math.h"
#include "core/gan_ops.h"

namespace jetimg::host {

// --- minibatch discrimination --------------------------------------------------------------

void minibatch_discrimination_forward(Context&, const Tensor& m, Tensor& out) {
  const int64_t batch = m.dim(0), features = m.dim(1), dims = m.dim(2);
  const float* in = m.data();
  float* closeness = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < batch * features; ++row) {  // row = i·F + f
    const int64_t f = row % features;
    const float* a = in + row * dims;
    double total = 0.0;
    for (int64_t j = 0; j < batch; ++j)
      total += minibatch_closeness(minibatch_distance(a, 1, in + (j * features + f) * dims, 1, dims));
    closeness[row] = static_cast<float>(total);
  }
}

void minibatch_discrimination_backward(Context&, const Tensor& m, const Tensor& dout, Tensor& dm) {
  const int64_t batch = m.dim(0), features = m.dim(1), dims = m.dim(2);
  const float *in = m.data(), *grad_out = dout.data();
  float* grad_in = dm.data();
#pragma omp parallel
  {
    std::vector<double> acc(static_cast<size_t>(dims));
#pragma omp for schedule(static)
    for (int64_t row = 0; row < batch * features; ++row) {  // row = i·F + f
      const int64_t f = row % features;
      const float* a = in + row * dims;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = 0; j < batch; ++j) {
        const int64_t other = j * features + f;
        const float* b = in + other * dims;
        const float factor = minibatch_pair_factor(
            grad_out[row], grad_out[other], minibatch_closeness(minibatch_distance(a, 1, b, 1, dims)));
        for (int64_t v = 0; v < dims; ++v) acc[v] += factor * sign_or_zero(a[v] - b[v]);
      }
      for (int64_t v = 0; v < dims; ++v) grad_in[row * dims + v] = static_cast<float>(acc[v]);
    }
  }
}

// --- attention combine ----------------------------------------------------------------------------

void attention_combine_forward(Context&, const Tensor& x, const Tensor& logits, Tensor& y) {
  const int64_t batch = x.dim(0), channels = x.dim(1), plane = x.numel() / (batch * channels);
  const float *in = x.data(), *h = logits.data();
  float* out = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < batch * plane; ++i) {  // i = n·plane + p
    const int64_t n = i / plane, p = i % plane, first = n * channels * plane + p;
    out[i] = attention_combine_pixel(in + first, h + first, channels, plane);
  }
}

void attention_combine_backward(Context&, const Tensor& x, const Tensor& logits, const Tensor& dy, Tensor& dx,
                                Tensor& dlogits) {
  const int64_t batch = x.dim(0), channels = x.dim(1), plane = x.numel() / (batch * channels);
  const float *in = x.data(), *h = logits.data(), *grad_out = dy.data();
  float *grad_in = dx.data(), *grad_h = dlogits.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < batch * plane; ++i) {
    const int64_t n = i / plane, p = i % plane, first = n * channels * plane + p;
    attention_combine_pixel_grad(in + first, h + first, channels, plane, grad_out[i], grad_in + first,
                                 grad_h + first);
  }
}

// --- per-sample reductions --------------------------------------------------------------------------

void sum_per_sample(Context&, const Tensor& x, Tensor& out) {
  const int64_t batch = x.dim(0), size = x.numel() / batch;
  const float* in = x.data();
  float* sums = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    double total = 0.0;
    for (int64_t k = 0; k < size; ++k) total += in[n * size + k];
    sums[n] = static_cast<float>(total);
  }
}

void sum_per_sample_backward(Context&, const Tensor& dout, Tensor& dx) {
  const int64_t batch = dx.dim(0), size = dx.numel() / batch;
  const float* grad_out = dout.data();
  float* grad_in = dx.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < batch * size; ++i) grad_in[i] = grad_out[i / size];
}

void fraction_above(Context&, const Tensor& x, float threshold, Tensor& out) {
  const int64_t batch = x.dim(0), size = x.numel() / batch;
  const float* in = x.data();
  float* fractions = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    int64_t count = 0;
    for (int64_t k = 0; k < size; ++k) count += above_threshold(in[n * size + k], threshold) != 0.0f;
    fractions[n] = static_cast<float>(static_cast<double>(count) / static_cast<double>(size));
  }
}

}  // namespace jetimg::host
