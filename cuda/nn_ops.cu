// CUDA implementation of the network ops (core/nn_ops.h) over the element math
// of core/nn_math.h, shared with host/nn_ops.cpp. Grid-stride loops; softmax
// takes one thread per row, enough for the class counts of taggers.
#include "core/cuda_check.h"
#include "core/nn_math.h"
#include "core/nn_ops.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

#define JI_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void activation_forward_kernel(ActivationParams p, const float* x, float* y, int64_t n) {
  JI_GRID_LOOP(i, n) y[i] = activation_value(p, x[i]);
}

__global__ void activation_backward_kernel(ActivationParams p, const float* x, const float* y, const float* dy,
                                           float* dx, int64_t n) {
  JI_GRID_LOOP(i, n) dx[i] = activation_grad(p, x[i], y[i], dy[i]);
}

__global__ void softmax_forward_kernel(const float* x, float* y, int64_t rows, int64_t classes) {
  JI_GRID_LOOP(r, rows) softmax_row(x + r * classes, y + r * classes, classes);
}

__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, int64_t rows, int64_t classes) {
  JI_GRID_LOOP(r, rows) softmax_backward_row(y + r * classes, dy + r * classes, dx + r * classes, classes);
}

__global__ void bias_add_kernel(float* y, const float* bias, int64_t n, int64_t cols) {
  JI_GRID_LOOP(i, n) y[i] += bias[i % cols];
}

__global__ void maxout_forward_kernel(const float* z, int64_t pieces, int64_t units, float* y, float* winner,
                                      int64_t n) {
  JI_GRID_LOOP(i, n) {
    const int64_t r = i / units, u = i % units;
    int k = 0;
    maxout_unit(z + r * pieces * units, pieces, units, u, &y[i], &k);
    winner[i] = static_cast<float>(k);
  }
}

__global__ void maxout_backward_kernel(const float* dy, const float* winner, int64_t pieces, int64_t units,
                                       float* dz, int64_t n) {
  JI_GRID_LOOP(i, n) {  // i runs over dz: (row, piece, unit)
    const int64_t u = i % units, k = (i / units) % pieces, r = i / (units * pieces);
    dz[i] = static_cast<int64_t>(winner[r * units + u]) == k ? dy[r * units + u] : 0.0f;
  }
}

__global__ void dropout_kernel(const float* x, float rate, uint64_t seed, uint64_t stream, float* mask, float* y,
                               int64_t n) {
  JI_GRID_LOOP(i, n) {
    mask[i] = dropout_mask_value(seed, stream, static_cast<uint64_t>(i), rate);
    y[i] = x[i] * mask[i];
  }
}

__global__ void multiply_kernel(const float* a, const float* b, float* out, int64_t n) {
  JI_GRID_LOOP(i, n) out[i] = a[i] * b[i];
}

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

}  // namespace

void activation_forward(Context& ctx, ActivationParams p, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  activation_forward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(p, x.data(), y.data(), n);
  JI_CUDA_CHECK_LAUNCH();
}

void activation_backward(Context& ctx, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx) {
  const int64_t n = x.numel();
  if (n == 0) return;
  activation_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(p, x.data(), y.data(), dy.data(),
                                                                             dx.data(), n);
  JI_CUDA_CHECK_LAUNCH();
}

void softmax_forward(Context& ctx, const Tensor& x, Tensor& y) {
  const int64_t classes = x.dim(x.ndim() - 1), rows = x.numel() / classes;
  if (rows == 0) return;
  softmax_forward_kernel<<<blocks_for(rows), kThreads, 0, stream_of(ctx)>>>(x.data(), y.data(), rows, classes);
  JI_CUDA_CHECK_LAUNCH();
}

void softmax_backward(Context& ctx, const Tensor& y, const Tensor& dy, Tensor& dx) {
  const int64_t classes = y.dim(y.ndim() - 1), rows = y.numel() / classes;
  if (rows == 0) return;
  softmax_backward_kernel<<<blocks_for(rows), kThreads, 0, stream_of(ctx)>>>(y.data(), dy.data(), dx.data(), rows,
                                                                             classes);
  JI_CUDA_CHECK_LAUNCH();
}

void bias_add(Context& ctx, Tensor& y, const Tensor& bias) {
  const int64_t n = y.numel();
  if (n == 0) return;
  bias_add_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(y.data(), bias.data(), n, y.dim(1));
  JI_CUDA_CHECK_LAUNCH();
}

void maxout_forward(Context& ctx, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner) {
  const int64_t n = y.numel();
  if (n == 0) return;
  maxout_forward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(z.data(), pieces, y.dim(1), y.data(),
                                                                        winner.data(), n);
  JI_CUDA_CHECK_LAUNCH();
}

void maxout_backward(Context& ctx, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz) {
  const int64_t n = dz.numel();
  if (n == 0) return;
  maxout_backward_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(dy.data(), winner.data(), pieces, dy.dim(1),
                                                                         dz.data(), n);
  JI_CUDA_CHECK_LAUNCH();
}

void dropout_forward(Context& ctx, const Tensor& x, float rate, uint64_t stream, Tensor& mask, Tensor& y) {
  const int64_t n = x.numel();
  if (n == 0) return;
  dropout_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(x.data(), rate, ctx.seed(), stream, mask.data(),
                                                                 y.data(), n);
  JI_CUDA_CHECK_LAUNCH();
}

void multiply(Context& ctx, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = a.numel();
  if (n == 0) return;
  multiply_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(a.data(), b.data(), out.data(), n);
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
