// CUDA implementation of the losses and optimiser steps (core/train_ops.h) over
// the element math of core/nn_math.h, shared with host/train_ops.cpp.
#include "core/cuda_check.h"
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

__global__ void squared_error_kernel(const float* p, const float* t, float scale, float* terms, float* dp,
                                     int64_t n) {
  JI_GRID_LOOP(i, n) {
    const float diff = p[i] - t[i];
    terms[i] = scale * diff * diff;
    if (dp) dp[i] = 2.0f * scale * diff;
  }
}

__global__ void sgd_kernel(float* p, const float* g, float* v, float lr, float momentum, int64_t n) {
  JI_GRID_LOOP(i, n) sgd_momentum_update(&p[i], g[i], &v[i], lr, momentum);
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2,
                            float eps, float c1, float c2, int64_t n) {
  JI_GRID_LOOP(i, n) adam_update(&p[i], g[i], &m[i], &v[i], lr, beta1, beta2, eps, c1, c2);
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
  bce_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(logits.data(), labels.data(), weights, scale,
                                                             loss_terms.data(), dlogits, n);
  JI_CUDA_CHECK_LAUNCH();
}

void squared_error(Context& ctx, const Tensor& pred, const Tensor& target, float scale, Tensor& loss_terms,
                   float* dpred) {
  const int64_t n = pred.numel();
  squared_error_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(pred.data(), target.data(), scale,
                                                                       loss_terms.data(), dpred, n);
  JI_CUDA_CHECK_LAUNCH();
}

void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum) {
  const int64_t n = param.numel();
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(param.data(), grad.data(), velocity.data(), lr,
                                                             momentum, n);
  JI_CUDA_CHECK_LAUNCH();
}

void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2) {
  const int64_t n = param.numel();
  if (n == 0) return;
  adam_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(param.data(), grad.data(), m.data(), v.data(), lr,
                                                              beta1, beta2, eps, c1, c2, n);
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
