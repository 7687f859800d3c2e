// Losses, the gradient norm and optimiser steps as ops. Declared and checked
// here, implemented in host/train_ops.cpp and cuda/train_ops.cu over the
// element math of core/nn_math.h.
//
// Every loss is a weighted mean over the N samples of a batch,
//   L = (1/N) Σ_n w_n ℓ_n,
// with per-sample weights w (an undefined Tensor means all ones; this is how
// Keras applies sample weights). When the gradient pointer is non-null it
// receives dL/d(input), shaped like the input. Each returns L.
#pragma once

#include "core/context.h"
#include "core/tensor.h"

#include <vector>

namespace jetimg {

// Where a value goes when it stays on the device until the training loop
// reads it (models/train_loop.h): out[index] += alpha · value. Each loss
// below has an overload taking a slot instead of returning L, which reads
// nothing back.
struct LossSlot {
  Tensor* out = nullptr;
  int64_t index = 0;
  float alpha = 1.0f;
};

// Binary cross-entropy from logits: ℓ_n = max(z, 0) - z·t + log(1 + exp(-|z|)),
// finite for any z. logits: (N) or (N, 1); labels (targets in [0, 1]) and
// weights: N values.
double bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights,
                       Tensor* dlogits);

// Categorical cross-entropy from logits: ℓ_n = logsumexp(z_n) - Σ_c t_nc z_nc.
// logits: (N, C); labels: N class indices (as floats 0 .. C-1) or (N, C)
// target distributions; weights: N values.
double categorical_crossentropy_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels,
                                            const Tensor& weights, Tensor* dlogits);

// Mean squared and mean absolute error: ℓ_n is the mean over the sample's
// elements of (p - t)² or |p - t|. pred, target: (N, ...) of one shape;
// weights: N values. MAE's gradient is 0 where p = t.
double mean_squared_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights,
                          Tensor* dpred);
double mean_absolute_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights,
                           Tensor* dpred);

void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights,
                     Tensor* dlogits, const LossSlot& slot);
void categorical_crossentropy_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels,
                                          const Tensor& weights, Tensor* dlogits, const LossSlot& slot);
void mean_squared_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights, Tensor* dpred,
                        const LossSlot& slot);
void mean_absolute_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights, Tensor* dpred,
                         const LossSlot& slot);

// Σ x², accumulated in double in a fixed order (for clipping by global norm).
double squared_norm(Context& ctx, const Tensor& x);

// Clipping by global norm without reading anything back: the L2 norm of all
// `tensors` together (Σ over tensors in order of their Σ x²) is added to the
// slot (alpha · norm), and when max_norm > 0 every tensor is scaled by
// clip_factor(norm, max_norm) (core/nn_math.h): by max_norm / (norm + 1e-6)
// when the norm is finite and above max_norm. The factor is computed and
// applied on the device.
void clip_by_global_norm(Context& ctx, const std::vector<Tensor*>& tensors, double max_norm, const LossSlot& norm);

// In-place SGD with momentum (PyTorch's form): v ← μ·v + g; p ← p - lr·v.
void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum);

// In-place Adam step number `step` (1, 2, ...), bias-corrected:
// m ← β1·m + (1-β1)·g; v ← β2·v + (1-β2)·g²;
// p ← p - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps).
// weight_decay λ > 0 makes it AdamW: p ← p·(1 - lr·λ) first (decoupled, as PyTorch).
void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float weight_decay, int64_t step);

namespace host {
void clip_by_global_norm(Context& ctx, const std::vector<Tensor*>& tensors, double max_norm, Tensor& out,
                         int64_t index, float alpha);
// Per-sample terms: loss_terms[n] = scale·w_n·ℓ_n, dlogits = scale·w_n·dℓ_n (if non-null).
void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const float* weights, float scale,
                     Tensor& loss_terms, float* dlogits);
void softmax_cross_entropy(Context& ctx, const Tensor& logits, const Tensor& labels, bool class_indices,
                           const float* weights, float scale, Tensor& loss_terms, float* dlogits);
// Per-element terms: loss_terms[i] = scale·w_n·ℓ(p_i, t_i) for i in sample n.
void regression_loss(Context& ctx, int kind, const Tensor& pred, const Tensor& target, const float* weights,
                     float scale, Tensor& loss_terms, float* dpred);
double squared_norm(Context& ctx, const Tensor& x);
void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum);
void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2, float weight_decay);
}  // namespace host

namespace cuda {
void clip_by_global_norm(Context& ctx, const std::vector<Tensor*>& tensors, double max_norm, Tensor& out,
                         int64_t index, float alpha);
void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const float* weights, float scale,
                     Tensor& loss_terms, float* dlogits);
void softmax_cross_entropy(Context& ctx, const Tensor& logits, const Tensor& labels, bool class_indices,
                           const float* weights, float scale, Tensor& loss_terms, float* dlogits);
void regression_loss(Context& ctx, int kind, const Tensor& pred, const Tensor& target, const float* weights,
                     float scale, Tensor& loss_terms, float* dpred);
double squared_norm(Context& ctx, const Tensor& x);
void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum);
void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2, float weight_decay);
}  // namespace cuda

}  // namespace jetimg
