// CUDA implementation of the network ops (core/nn_ops.h) over the element math
// of core/nn_math.h, shared with host/nn_ops.cpp. Grid-stride loops; softmax
// takes one thread per row, enough for the class counts of taggers; batch
// statistics take one block per channel with a fixed-order block reduction.
#include "core/cuda_check.h"
#include "core/nn_math.h"
#include "core/nn_ops.h"
#include "cuda/block_reduce.h"

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

__global__ void bias_activation_kernel(ActivationParams p, float* z, const float* bias, float* y, int64_t n,
                                       int64_t cols) {
  JI_GRID_LOOP(i, n) {
    const float pre = z[i] + bias[i % cols];
    z[i] = pre;
    y[i] = activation_value(p, pre);
  }
}

// Batch normalisation sees x as (N, C, L). One block per channel reduces over
// the channel's N·L elements in a fixed order (block_sum, deterministic).
__device__ int64_t channel_element(int64_t e, int64_t c, int64_t channels, int64_t l) {
  return ((e / l) * channels + c) * l + e % l;
}

__global__ void batchnorm_stats_kernel(const float* x, int64_t n, int64_t channels, int64_t l, float eps,
                                       float momentum, float* running_mean, float* running_var, float* save_mean,
                                       float* save_invstd) {
  __shared__ double shared[kThreads];
  const int64_t c = blockIdx.x, count = n * l;
  double acc = 0.0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) acc += x[channel_element(e, c, channels, l)];
  const double mean = block_sum(acc, shared) / count;
  acc = 0.0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
    const double d = x[channel_element(e, c, channels, l)] - mean;
    acc += d * d;
  }
  const double var = block_sum(acc, shared) / count;
  if (threadIdx.x == 0) {
    save_mean[c] = static_cast<float>(mean);
    save_invstd[c] = static_cast<float>(1.0 / sqrt(var + eps));
    batchnorm_running_update(&running_mean[c], &running_var[c], mean, var, count, momentum);
  }
}

__global__ void batchnorm_apply_kernel(const float* x, const float* gamma, const float* beta, const float* mean,
                                       const float* invstd, float* y, int64_t n, int64_t channels, int64_t l) {
  JI_GRID_LOOP(i, n) {
    const int64_t c = (i / l) % channels;
    y[i] = batchnorm_value(x[i], mean[c], invstd[c], gamma[c], beta[c]);
  }
}

__global__ void batchnorm_inference_kernel(const float* x, const float* gamma, const float* beta,
                                           const float* running_mean, const float* running_var, float eps, float* y,
                                           int64_t n, int64_t channels, int64_t l) {
  JI_GRID_LOOP(i, n) {
    const int64_t c = (i / l) % channels;
    y[i] = batchnorm_value(x[i], running_mean[c], batchnorm_invstd(running_var[c], eps), gamma[c], beta[c]);
  }
}

__global__ void batchnorm_grad_sums_kernel(const float* x, const float* dy, const float* mean, const float* invstd,
                                           int64_t n, int64_t channels, int64_t l, float* dgamma, float* dbeta) {
  __shared__ double shared[kThreads];
  const int64_t c = blockIdx.x, count = n * l;
  double sum_dy = 0.0, sum_dy_xhat = 0.0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
    const int64_t i = channel_element(e, c, channels, l);
    sum_dy += dy[i];
    sum_dy_xhat += static_cast<double>(dy[i]) * ((x[i] - mean[c]) * invstd[c]);
  }
  sum_dy = block_sum(sum_dy, shared);
  sum_dy_xhat = block_sum(sum_dy_xhat, shared);
  if (threadIdx.x == 0) {
    dbeta[c] = static_cast<float>(sum_dy);
    dgamma[c] = static_cast<float>(sum_dy_xhat);
  }
}

__global__ void batchnorm_grad_kernel(const float* x, const float* dy, const float* gamma, const float* mean,
                                      const float* invstd, const float* dgamma, const float* dbeta, float inv_count,
                                      float* dx, int64_t n, int64_t channels, int64_t l) {
  JI_GRID_LOOP(i, n) {
    const int64_t c = (i / l) % channels;
    dx[i] = batchnorm_grad(dy[i], x[i], mean[c], invstd[c], gamma[c], dbeta[c], dgamma[c], inv_count);
  }
}

// One thread per row: the row's sums in the CPU's order.
__global__ void layer_norm_kernel(const float* x, const float* gamma, const float* beta, float eps, int64_t rows,
                                  int64_t c, float* y, float* mean, float* invstd) {
  JI_GRID_LOOP(r, rows) layer_norm_row(x + r * c, c, eps, gamma, beta, y + r * c, mean + r, invstd + r);
}

__global__ void layer_norm_grad_kernel(const float* x, const float* dy, const float* gamma, const float* mean,
                                       const float* invstd, int64_t rows, int64_t c, float* dx, float* prod) {
  JI_GRID_LOOP(r, rows) layer_norm_row_grad(x + r * c, dy + r * c, c, gamma, mean[r], invstd[r], dx + r * c, prod + r * c);
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

void bias_activation_forward(Context& ctx, ActivationParams p, Tensor& z, const Tensor& bias, Tensor& y) {
  const int64_t n = z.numel();
  if (n == 0) return;
  bias_activation_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(p, z.data(), bias.data(), y.data(), n,
                                                                         z.dim(1));
  JI_CUDA_CHECK_LAUNCH();
}

void batchnorm_forward_train(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum,
                             float eps, Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& save_mean,
                             Tensor& save_invstd) {
  // Guard before dividing by n·channels: no channels (or no samples) is no work.
  if (x.dim(0) == 0 || x.dim(1) == 0) return;
  const int64_t n = x.dim(0), channels = x.dim(1), l = x.numel() / (n * channels);
  batchnorm_stats_kernel<<<static_cast<unsigned>(channels), kThreads, 0, stream_of(ctx)>>>(
      x.data(), n, channels, l, eps, momentum, running_mean.data(), running_var.data(), save_mean.data(),
      save_invstd.data());
  JI_CUDA_CHECK_LAUNCH();
  batchnorm_apply_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), gamma.data(), beta.data(), save_mean.data(), save_invstd.data(), y.data(), x.numel(), channels, l);
  JI_CUDA_CHECK_LAUNCH();
}

void batchnorm_forward_inference(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                                 const Tensor& running_mean, const Tensor& running_var, Tensor& y) {
  if (x.numel() == 0) return;  // before dividing by n·channels, which may be 0
  const int64_t n = x.dim(0), channels = x.dim(1), l = x.numel() / (n * channels);
  batchnorm_inference_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), gamma.data(), beta.data(), running_mean.data(), running_var.data(), eps, y.data(), x.numel(),
      channels, l);
  JI_CUDA_CHECK_LAUNCH();
}

void batchnorm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                        const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  // Before dividing by n·channels. (Samples with no positions still write
  // zero dgamma and dbeta, as the CPU does.)
  if (x.dim(0) == 0 || x.dim(1) == 0) return;
  const int64_t n = x.dim(0), channels = x.dim(1), l = x.numel() / (n * channels);
  batchnorm_grad_sums_kernel<<<static_cast<unsigned>(channels), kThreads, 0, stream_of(ctx)>>>(
      x.data(), dy.data(), save_mean.data(), save_invstd.data(), n, channels, l, dgamma.data(), dbeta.data());
  JI_CUDA_CHECK_LAUNCH();
  batchnorm_grad_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), dy.data(), gamma.data(), save_mean.data(), save_invstd.data(), dgamma.data(), dbeta.data(),
      1.0f / static_cast<float>(n * l), dx.data(), x.numel(), channels, l);
  JI_CUDA_CHECK_LAUNCH();
}

void layer_norm_forward(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y,
                        Tensor& save_mean, Tensor& save_invstd) {
  layer_norm_kernel<<<blocks_for(x.dim(0)), kThreads, 0, stream_of(ctx)>>>(x.data(), gamma.data(), beta.data(), eps,
                                                                          x.dim(0), x.dim(1), y.data(),
                                                                          save_mean.data(), save_invstd.data());
  JI_CUDA_CHECK_LAUNCH();
}

void layer_norm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                         const Tensor& save_invstd, Tensor& dx, Tensor& prod) {
  layer_norm_grad_kernel<<<blocks_for(x.dim(0)), kThreads, 0, stream_of(ctx)>>>(
      x.data(), dy.data(), gamma.data(), save_mean.data(), save_invstd.data(), x.dim(0), x.dim(1), dx.data(),
      prod.data());
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
