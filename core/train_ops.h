// Losses and optimiser steps as ops. Declared and checked here, implemented in
// host/train_ops.cpp and cuda/train_ops.cu over the element math of
// core/nn_math.h.
#pragma once

#include "core/context.h"
#include "core/tensor.h"

namespace jetimg {

// Binary cross-entropy from logits, mean over the batch:
//   L = (1/N) Σ_n w_n · [max(z_n, 0) - z_n·t_n + log(1 + exp(-|z_n|))]
// logits: (N) or (N, 1); labels, weights: N values (weights may be an
// undefined Tensor: all ones). When `dlogits` is non-null it receives
// dL/dz_n = w_n (σ(z_n) - t_n) / N, shaped like logits. Returns L.
double bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights,
                       Tensor* dlogits);

// Mean squared error over all elements: L = (1/n) Σ (p - t)², and when
// `dpred` is non-null dL/dp = 2 (p - t) / n. Returns L.
double mean_squared_error(Context& ctx, const Tensor& pred, const Tensor& target, Tensor* dpred);

// In-place SGD with momentum (PyTorch's form): v ← μ·v + g; p ← p - lr·v.
void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum);

// In-place Adam step number `step` (1, 2, ...), bias-corrected:
// m ← β1·m + (1-β1)·g; v ← β2·v + (1-β2)·g²;
// p ← p - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps).
void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, int64_t step);

namespace host {
// Per-sample terms: loss_terms[n] = scale·w_n·ℓ_n, dlogits[n] = scale·w_n·ℓ'_n (if non-null).
void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const float* weights, float scale,
                     Tensor& loss_terms, float* dlogits);
void squared_error(Context& ctx, const Tensor& pred, const Tensor& target, float scale, Tensor& loss_terms,
                   float* dpred);
void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum);
void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2);
}  // namespace host

namespace cuda {
void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const float* weights, float scale,
                     Tensor& loss_terms, float* dlogits);
void squared_error(Context& ctx, const Tensor& pred, const Tensor& target, float scale, Tensor& loss_terms,
                   float* dpred);
void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum);
void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2);
}  // namespace cuda

}  // namespace jetimg
