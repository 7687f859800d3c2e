// CPU reference implementation of the losses and optimiser steps
// (core/train_ops.h) over the element math of core/nn_math.h.
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

void squared_error(Context&, const Tensor& pred, const Tensor& target, float scale, Tensor& loss_terms,
                   float* dpred) {
  const float *p = pred.data(), *t = target.data();
  float* terms = loss_terms.data();
  const int64_t n = pred.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float diff = p[i] - t[i];
    terms[i] = scale * diff * diff;
    if (dpred) dpred[i] = 2.0f * scale * diff;
  }
}

void sgd_momentum_step(Context&, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum) {
  float *p = param.data(), *v = velocity.data();
  const float* g = grad.data();
  const int64_t n = param.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) sgd_momentum_update(&p[i], g[i], &v[i], lr, momentum);
}

void adam_step(Context&, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, float c1, float c2) {
  float *p = param.data(), *first = m.data(), *second = v.data();
  const float* g = grad.data();
  const int64_t n = param.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) adam_update(&p[i], g[i], &first[i], &second[i], lr, beta1, beta2, eps, c1, c2);
}

}  // namespace jetimg::host
