// CPU reference implementation of the network ops (core/nn_ops.h),
// OpenMP-threaded loops over the element math of core/nn_math.h.
#include "core/nn_math.h"
#include "core/nn_ops.h"

namespace jetimg::host {

void activation_forward(Context&, ActivationParams p, const Tensor& x, Tensor& y) {
  const float* in = x.data();
  float* out = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = activation_value(p, in[i]);
}

void activation_backward(Context&, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx) {
  const float *in = x.data(), *out = y.data(), *grad_out = dy.data();
  float* grad_in = dx.data();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) grad_in[i] = activation_grad(p, in[i], out[i], grad_out[i]);
}

void softmax_forward(Context&, const Tensor& x, Tensor& y) {
  const int64_t classes = x.dim(x.ndim() - 1), rows = x.numel() / classes;
  const float* in = x.data();
  float* out = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) softmax_row(in + r * classes, out + r * classes, classes);
}

void softmax_backward(Context&, const Tensor& y, const Tensor& dy, Tensor& dx) {
  const int64_t classes = y.dim(y.ndim() - 1), rows = y.numel() / classes;
  const float *out = y.data(), *grad_out = dy.data();
  float* grad_in = dx.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    softmax_backward_row(out + r * classes, grad_out + r * classes, grad_in + r * classes, classes);
}

void bias_add(Context&, Tensor& y, const Tensor& bias) {
  const int64_t rows = y.dim(0), cols = y.dim(1);
  float* out = y.data();
  const float* b = bias.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] += b[c];
}

void maxout_forward(Context&, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner) {
  const int64_t rows = y.dim(0), units = y.dim(1);
  const float* in = z.data();
  float *out = y.data(), *win = winner.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t u = 0; u < units; ++u) {
      int k = 0;
      maxout_unit(in + r * pieces * units, pieces, units, u, &out[r * units + u], &k);
      win[r * units + u] = static_cast<float>(k);
    }
}

void maxout_backward(Context&, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz) {
  const int64_t rows = dy.dim(0), units = dy.dim(1);
  const float *grad_out = dy.data(), *win = winner.data();
  float* grad_in = dz.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < pieces; ++k)
      for (int64_t u = 0; u < units; ++u)
        grad_in[(r * pieces + k) * units + u] =
            static_cast<int64_t>(win[r * units + u]) == k ? grad_out[r * units + u] : 0.0f;
}

void dropout_forward(Context& ctx, const Tensor& x, float rate, uint64_t stream, Tensor& mask, Tensor& y) {
  const float* in = x.data();
  float *keep = mask.data(), *out = y.data();
  const int64_t n = x.numel();
  const uint64_t seed = ctx.seed();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    keep[i] = dropout_mask_value(seed, stream, static_cast<uint64_t>(i), rate);
    out[i] = in[i] * keep[i];
  }
}

void multiply(Context&, const Tensor& a, const Tensor& b, Tensor& out) {
  const float *lhs = a.data(), *rhs = b.data();
  float* result = out.data();
  const int64_t n = a.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) result[i] = lhs[i] * rhs[i];
}

}  // namespace jetimg::host
