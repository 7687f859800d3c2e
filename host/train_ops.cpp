// CPU reference implementation of the losses and optimiser steps
// (core/train_ops.h) over the element math of core/nn_math.h.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/elementwise.h"
#include "core/nn_math.h"
#include "core/train_ops.h"

namespace jetimg::host {

void bce_with_logits(Context&, const Tensor& logits, const Tensor& labels, const float* weights, float scale,
                     Tensor& loss_terms, float* dlogits) {
  const float *z = logits.data(), *t = labels.data();
  float* terms = loss_terms.data();
  const int64_t n = loss_terms.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float w = scale * (weights ? weights[i] : 1.0f);
    terms[i] = w * bce_logit_loss(z[i], t[i]);
    if (dlogits) dlogits[i] = w * bce_logit_grad(z[i], t[i]);
  }
}

void softmax_cross_entropy(Context&, const Tensor& logits, const Tensor& labels, bool class_indices,
                           const float* weights, float scale, Tensor& loss_terms, float* dlogits) {
  const int64_t n = logits.dim(0), classes = logits.dim(1);
  const float *z = logits.data(), *t = labels.data();
  float* terms = loss_terms.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float w = scale * (weights ? weights[i] : 1.0f);
    const float* target = class_indices ? nullptr : t + i * classes;
    const int64_t label = class_indices ? static_cast<int64_t>(t[i]) : -1;
    terms[i] = w * softmax_cross_entropy_row(z + i * classes, target, label, classes, w,
                                             dlogits ? dlogits + i * classes : nullptr);
  }
}

void regression_loss(Context&, int kind, const Tensor& pred, const Tensor& target, const float* weights, float scale,
                     Tensor& loss_terms, float* dpred) {
  const float *p = pred.data(), *t = target.data();
  float* terms = loss_terms.data();
  const int64_t n = pred.numel(), per_sample = n / pred.dim(0);
  const RegressionLoss k = static_cast<RegressionLoss>(kind);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float w = scale * (weights ? weights[i / per_sample] : 1.0f);
    terms[i] = w * regression_loss(k, p[i], t[i]);
    if (dpred) dpred[i] = w * regression_grad(k, p[i], t[i]);
  }
}

void clip_by_global_norm(Context& ctx, const std::vector<Tensor*>& tensors, double max_norm, Tensor& out,
                         int64_t index, float alpha) {
  double total = 0.0;
  for (const Tensor* t : tensors)
    if (t->numel() > 0) total += host::squared_norm(ctx, *t);
  const double norm = std::sqrt(total);
  out.data()[index] += static_cast<float>(alpha * norm);
  const float factor = clip_factor(norm, max_norm);
  if (factor == 1.0f) return;
  for (Tensor* t : tensors) {
    float* data = t->data();
    const int64_t n = t->numel();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) data[i] = scale_element(data[i], factor);
  }
}

double squared_norm(Context&, const Tensor& x) {
  // Fixed blocks, then their sums in order: independent of the thread count.
  constexpr int64_t kBlock = 4096;
  const float* data = x.data();
  const int64_t n = x.numel(), blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; ++b) {
    double acc = 0.0;
    for (int64_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i) acc += static_cast<double>(data[i]) * data[i];
    partial[static_cast<size_t>(b)] = acc;
  }
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

void sgd_momentum_step(Context&, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum) {
  float *p = param.data(), *v = velocity.data();
  const float* g = grad.data();
  const int64_t n = param.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) sgd_momentum_update(&p[i], g[i], &v[i], lr, momentum);
}

void adam_step(Context&, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2, float weight_decay) {
  float *p = param.data(), *first = m.data(), *second = v.data();
  const float* g = grad.data();
  const int64_t n = param.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) adam_update(&p[i], g[i], &first[i], &second[i], lr, beta1, beta2, eps, c1, c2, weight_decay);
}

}  // namespace jetimg::host
