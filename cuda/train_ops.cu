// CUDA implementation of the losses and optimiser steps (core/train_ops.h) over
// the element math of core/nn_math.h, shared with host/train_ops.cpp.
#include <vector>

#include "core/cuda_check.h"
#include "core/elementwise.h"
#include "core/nn_math.h"
#include "core/train_ops.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

#define JI_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void bce_kernel(const float* z, const float* t, const float* weights, float scale, float* terms,
                           float* dz, int64_t n) {
  JI_GRID_LOOP(i, n) {
    const float w = scale * (weights ? weights[i] : 1.0f);
    terms[i] = w * bce_logit_loss(z[i], t[i]);
    if (dz) dz[i] = w * bce_logit_grad(z[i], t[i]);
  }
}

__global__ void softmax_cross_entropy_kernel(const float* z, const float* t, bool class_indices,
                                             const float* weights, float scale, float* terms, float* dz, int64_t n,
                                             int64_t classes) {
  JI_GRID_LOOP(i, n) {
    const float w = scale * (weights ? weights[i] : 1.0f);
    const float* target = class_indices ? nullptr : t + i * classes;
    const int64_t label = class_indices ? static_cast<int64_t>(t[i]) : -1;
    terms[i] = w * softmax_cross_entropy_row(z + i * classes, target, label, classes, w,
                                             dz ? dz + i * classes : nullptr);
  }
}

__global__ void regression_kernel(RegressionLoss kind, const float* p, const float* t, const float* weights,
                                  float scale, float* terms, float* dp, int64_t n, int64_t per_sample) {
  JI_GRID_LOOP(i, n) {
    const float w = scale * (weights ? weights[i / per_sample] : 1.0f);
    terms[i] = w * regression_loss(kind, p[i], t[i]);
    if (dp) dp[i] = w * regression_grad(kind, p[i], t[i]);
  }
}

// A block's strided share of Σ x² into partial[blockIdx.x].
__global__ void squared_norm_partial_kernel(const float* x, int64_t n, double* partial) {
  __shared__ double shared[kThreads];
  double acc = 0.0;
  JI_GRID_LOOP(i, n) acc += static_cast<double>(x[i]) * x[i];
  shared[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

// The second pass of clip_by_global_norm, on one thread so the order is fixed:
// the partials of all tensors in order, the norm into *out, the factor into *factor.
__global__ void clip_finish_kernel(const double* partial, int64_t count, double max_norm, float alpha, float* out,
                                   float* factor) {
  double total = 0.0;
  for (int64_t b = 0; b < count; ++b) total += partial[b];
  const double norm = sqrt(total);
  *out += static_cast<float>(alpha * norm);
  *factor = clip_factor(norm, max_norm);
}

__global__ void scale_by_kernel(float* x, int64_t n, const float* factor) {
  const float f = *factor;
  if (f == 1.0f) return;
  JI_GRID_LOOP(i, n) x[i] = scale_element(x[i], f);
}

__global__ void sgd_kernel(float* p, const float* g, float* v, float lr, float momentum, int64_t n) {
  JI_GRID_LOOP(i, n) sgd_momentum_update(&p[i], g[i], &v[i], lr, momentum);
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2,
                            float eps, float c1, float c2, float weight_decay, int64_t n) {
  JI_GRID_LOOP(i, n) adam_update(&p[i], g[i], &m[i], &v[i], lr, beta1, beta2, eps, c1, c2, weight_decay);
}

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

}  // namespace

void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const float* weights, float scale,
                     Tensor& loss_terms, float* dlogits) {
  const int64_t n = loss_terms.numel();
  if (n == 0) return;
  bce_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(logits.data(), labels.data(), weights, scale,
                                                             loss_terms.data(), dlogits, n);
  JI_CUDA_CHECK_LAUNCH();
}

void softmax_cross_entropy(Context& ctx, const Tensor& logits, const Tensor& labels, bool class_indices,
                           const float* weights, float scale, Tensor& loss_terms, float* dlogits) {
  const int64_t n = logits.dim(0);
  if (n == 0) return;
  softmax_cross_entropy_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(
      logits.data(), labels.data(), class_indices, weights, scale, loss_terms.data(), dlogits, n, logits.dim(1));
  JI_CUDA_CHECK_LAUNCH();
}

void regression_loss(Context& ctx, int kind, const Tensor& pred, const Tensor& target, const float* weights,
                     float scale, Tensor& loss_terms, float* dpred) {
  const int64_t n = pred.numel();
  if (n == 0) return;  // and n / pred.dim(0) below needs a sample
  regression_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(static_cast<RegressionLoss>(kind), pred.data(),
                                                                    target.data(), weights, scale, loss_terms.data(),
                                                                    dpred, n, n / pred.dim(0));
  JI_CUDA_CHECK_LAUNCH();
}

double squared_norm(Context& ctx, const Tensor& x) {
  const int64_t n = x.numel();
  if (n == 0) return 0.0;
  const int blocks = blocks_for(n);
  // Scratch for the block partials, from the pool (doubles in a float tensor's bytes).
  Tensor scratch = Tensor::empty({2 * static_cast<int64_t>(blocks)}, ctx.device());
  double* partial = static_cast<double*>(scratch.raw_data());
  squared_norm_partial_kernel<<<blocks, kThreads, 0, stream_of(ctx)>>>(x.data(), n, partial);
  JI_CUDA_CHECK_LAUNCH();
  std::vector<double> host_partial(static_cast<size_t>(blocks));
  JI_CUDA_CHECK(cudaMemcpyAsync(host_partial.data(), partial, blocks * sizeof(double), cudaMemcpyDeviceToHost,
                                stream_of(ctx)));
  JI_CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
  double total = 0.0;  // the block partials in a fixed order
  for (double p : host_partial) total += p;
  return total;
}

void clip_by_global_norm(Context& ctx, const std::vector<Tensor*>& tensors, double max_norm, Tensor& out,
                         int64_t index, float alpha) {
  int64_t partials = 0;
  for (const Tensor* t : tensors)
    if (t->numel() > 0) partials += blocks_for(t->numel());
  // Scratch from the pool: the partials (doubles), then the factor.
  Tensor scratch = Tensor::empty({2 * partials + 1}, ctx.device());
  double* partial = static_cast<double*>(scratch.raw_data());
  float* factor = scratch.data() + 2 * partials;
  int64_t at = 0;
  for (const Tensor* t : tensors) {
    if (t->numel() == 0) continue;
    const int blocks = blocks_for(t->numel());
    squared_norm_partial_kernel<<<blocks, kThreads, 0, stream_of(ctx)>>>(t->data(), t->numel(), partial + at);
    JI_CUDA_CHECK_LAUNCH();
    at += blocks;
  }
  clip_finish_kernel<<<1, 1, 0, stream_of(ctx)>>>(partial, partials, max_norm, alpha, out.data() + index, factor);
  JI_CUDA_CHECK_LAUNCH();
  if (!(max_norm > 0)) return;
  for (Tensor* t : tensors) {
    if (t->numel() == 0) continue;
    scale_by_kernel<<<blocks_for(t->numel()), kThreads, 0, stream_of(ctx)>>>(t->data(), t->numel(), factor);
    JI_CUDA_CHECK_LAUNCH();
  }
}

void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum) {
  const int64_t n = param.numel();
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(param.data(), grad.data(), velocity.data(), lr,
                                                             momentum, n);
  JI_CUDA_CHECK_LAUNCH();
}

void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2, float weight_decay) {
  const int64_t n = param.numel();
  if (n == 0) return;
  adam_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(param.data(), grad.data(), m.data(), v.data(), lr,
                                                              beta1, beta2, eps, c1, c2, weight_decay, n);
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
