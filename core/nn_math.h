// Per-element math of the network ops (activations, maxout, dropout, batch
// normalisation, losses, optimisers), written once and called from both host/
// and cuda/.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"
#include "core/philox.h"

namespace jetimg {

// Linear is the identity (a dense layer without an activation). GELU is the
// exact one, x·Φ(x) = x/2·(1 + erf(x/√2)), as PyTorch's nn.GELU() and ParT.
enum class ActivationKind : int { ReLU, LeakyReLU, Sigmoid, Tanh, Linear, GELU };

struct ActivationParams {
  ActivationKind kind = ActivationKind::ReLU;
  float slope = 0.0f;  // LeakyReLU: y = slope · x for x < 0
};

JI_HD float sigmoid(float x) {
  // Two branches so that exp never overflows.
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

JI_HD float activation_value(ActivationParams p, float x) {
  switch (p.kind) {
    case ActivationKind::ReLU: return x > 0.0f ? x : 0.0f;
    case ActivationKind::LeakyReLU: return x > 0.0f ? x : p.slope * x;
    case ActivationKind::Sigmoid: return sigmoid(x);
    case ActivationKind::Tanh: return tanhf(x);
    case ActivationKind::Linear: return x;
    case ActivationKind::GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  }
  return x;
}

// dL/dx from dL/dy, the input x and the output y (each kind uses what is
// cheapest: ReLU the sign of x, sigmoid and tanh their output). At the kink
// x = 0, ReLU and LeakyReLU take the left-hand slope.
JI_HD float activation_grad(ActivationParams p, float x, float y, float dy) {
  switch (p.kind) {
    case ActivationKind::ReLU: return x > 0.0f ? dy : 0.0f;
    case ActivationKind::LeakyReLU: return x > 0.0f ? dy : p.slope * dy;
    case ActivationKind::Sigmoid: return dy * y * (1.0f - y);
    case ActivationKind::Tanh: return dy * (1.0f - y * y);
    case ActivationKind::Linear: return dy;
    case ActivationKind::GELU:  // Φ(x) + x·φ(x)
      return dy * (0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * 0.39894228040143268f * expf(-0.5f * x * x));
  }
  return dy;
}

// Softmax of one row of length n (max subtracted first, so exp cannot overflow).
JI_HD void softmax_row(const float* x, float* y, int64_t n) {
  float top = x[0];
  for (int64_t i = 1; i < n; ++i) top = fmaxf(top, x[i]);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = expf(x[i] - top);
    total += y[i];
  }
  const float inv = static_cast<float>(1.0 / total);
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

// dx = y ⊙ (dy - Σ_j dy_j y_j) for one row.
JI_HD void softmax_backward_row(const float* y, const float* dy, float* dx, int64_t n) {
  double dot = 0.0;
  for (int64_t i = 0; i < n; ++i) dot += static_cast<double>(dy[i]) * y[i];
  const float d = static_cast<float>(dot);
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] * (dy[i] - d);
}

// Maxout over `pieces` blocks of a row z = (z_0 | z_1 | ... ), each of width
// `units`: the largest piece for unit u, ties to the lowest piece index.
JI_HD void maxout_unit(const float* z_row, int64_t pieces, int64_t units, int64_t u, float* y, int* winner) {
  float best = z_row[u];
  int best_k = 0;
  for (int64_t k = 1; k < pieces; ++k) {
    const float v = z_row[k * units + u];
    if (v > best) {
      best = v;
      best_k = static_cast<int>(k);
    }
  }
  *y = best;
  *winner = best_k;
}

// Inverted dropout: element i is kept with probability 1 - rate and then
// scaled by 1 / (1 - rate), so the expected output equals the input.
JI_HD float dropout_mask_value(uint64_t seed, uint64_t stream, uint64_t i, float rate) {
  return philox_uniform(seed, stream, i, 0.0f, 1.0f) >= rate ? 1.0f / (1.0f - rate) : 0.0f;
}

// Binary cross-entropy of logit z against label t in [0, 1], stable for any z:
// max(z, 0) - z·t + log(1 + exp(-|z|)). Gradient: σ(z) - t.
JI_HD float bce_logit_loss(float z, float t) {
  return fmaxf(z, 0.0f) - z * t + log1pf(expf(-fabsf(z)));
}
JI_HD float bce_logit_grad(float z, float t) { return sigmoid(z) - t; }

// Categorical cross-entropy of one row of logits z (n classes) against a
// target distribution t (or, with t null, the one-hot class `label`):
// ℓ = logsumexp(z) - Σ_c t_c z_c (for Σ t = 1). Writes dz_c = scale·(softmax(z)_c - t_c)
// when dz is non-null and returns ℓ. The max is subtracted first, so no exp overflows.
JI_HD float softmax_cross_entropy_row(const float* z, const float* t, int64_t label, int64_t n, float scale,
                                      float* dz) {
  float top = z[0];
  for (int64_t c = 1; c < n; ++c) top = fmaxf(top, z[c]);
  double total = 0.0;
  for (int64_t c = 0; c < n; ++c) total += exp(static_cast<double>(z[c] - top));
  const double lse = top + log(total);
  double loss = 0.0;
  for (int64_t c = 0; c < n; ++c) {
    const float target = t ? t[c] : (c == label ? 1.0f : 0.0f);
    loss += target * (lse - z[c]);
    if (dz) dz[c] = scale * (static_cast<float>(exp(z[c] - lse)) - target);
  }
  return static_cast<float>(loss);
}

// Element losses of a prediction p against a target t, and their derivatives
// in p. Absolute error takes the derivative 0 at its kink p = t.
enum class RegressionLoss : int { Squared, Absolute };
JI_HD float regression_loss(RegressionLoss kind, float p, float t) {
  const float d = p - t;
  return kind == RegressionLoss::Squared ? d * d : fabsf(d);
}
JI_HD float regression_grad(RegressionLoss kind, float p, float t) {
  const float d = p - t;
  if (kind == RegressionLoss::Squared) return 2.0f * d;
  return d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
}

// 1/sqrt(var + eps) of a channel's running variance (inference).
JI_HD float batchnorm_invstd(float var, float eps) { return 1.0f / sqrtf(var + eps); }

// Batch normalisation of one element with its channel's mean and 1/sqrt(var + eps).
JI_HD float batchnorm_value(float x, float mean, float invstd, float gamma, float beta) {
  return gamma * ((x - mean) * invstd) + beta;
}

// dL/dx of one element when forward normalised with the batch's own
// statistics over `count` elements of the channel, from the channel sums
// sum_dy = Σ dy and sum_dy_xhat = Σ dy·x̂ (x̂ = (x - mean)·invstd):
//   dx = γ·invstd·(dy - sum_dy/count - x̂·sum_dy_xhat/count).
JI_HD float batchnorm_grad(float dy, float x, float mean, float invstd, float gamma, float sum_dy, float sum_dy_xhat,
                           float inv_count) {
  const float xhat = (x - mean) * invstd;
  return gamma * invstd * (dy - inv_count * sum_dy - xhat * inv_count * sum_dy_xhat);
}

// Running statistics as PyTorch keeps them: r ← (1 - momentum)·r + momentum·batch,
// with the unbiased batch variance.
JI_HD void batchnorm_running_update(float* running_mean, float* running_var, double mean, double var, int64_t count,
                                    float momentum) {
  const double unbiased = count > 1 ? var * count / (count - 1) : var;
  *running_mean = static_cast<float>((1.0 - momentum) * *running_mean + momentum * mean);
  *running_var = static_cast<float>((1.0 - momentum) * *running_var + momentum * unbiased);
}

// SGD with (heavy-ball) momentum, in PyTorch's form:
// v ← μ·v + g;  p ← p - lr·v.
JI_HD void sgd_momentum_update(float* p, float g, float* v, float lr, float momentum) {
  *v = momentum * *v + g;
  *p -= lr * *v;
}

// Adam (Kingma & Ba) with bias correction folded into the two factors
// c1 = 1 / (1 - β1^t), c2 = 1 / (1 - β2^t) computed once per step. With
// weight_decay λ > 0 it is AdamW (Loshchilov & Hutter), decoupled as in
// PyTorch: p ← p·(1 - lr·λ) before the Adam step.
JI_HD void adam_update(float* p, float g, float* m, float* v, float lr, float beta1, float beta2, float eps, float c1,
                       float c2, float weight_decay) {
  if (weight_decay != 0.0f) *p *= 1.0f - lr * weight_decay;
  *m = beta1 * *m + (1.0f - beta1) * g;
  *v = beta2 * *v + (1.0f - beta2) * g * g;
  const float m_hat = *m * c1, v_hat = *v * c2;
  *p -= lr * m_hat / (sqrtf(v_hat) + eps);
}

// Clipping by global norm (PyTorch's clip_grad_norm_): the factor every
// gradient is scaled by, 1 when the norm is within max_norm, not finite, or
// clipping is off (max_norm <= 0).
JI_HD float clip_factor(double norm, double max_norm) {
  const bool finite = norm <= 1.7976931348623157e308;  // false for NaN and infinity
  return finite && max_norm > 0 && norm > max_norm ? static_cast<float>(max_norm / (norm + 1e-6)) : 1.0f;
}

// Layer normalisation of one row x (C) over its C values: mean and
// 1/sqrt(var + eps) (biased variance, two passes in double) into *mean and
// *invstd, y = x̂·gamma + beta.
JI_HD void layer_norm_row(const float* x, int64_t c, float eps, const float* gamma, const float* beta, float* y,
                          float* mean, float* invstd) {
  double total = 0.0;
  for (int64_t i = 0; i < c; ++i) total += x[i];
  const double mu = total / static_cast<double>(c);
  double squares = 0.0;
  for (int64_t i = 0; i < c; ++i) {
    const double d = x[i] - mu;
    squares += d * d;
  }
  const float m = static_cast<float>(mu);
  const float is = static_cast<float>(1.0 / sqrt(squares / static_cast<double>(c) + eps));
  for (int64_t i = 0; i < c; ++i) y[i] = (x[i] - m) * is * gamma[i] + beta[i];
  *mean = m;
  *invstd = is;
}

// Its backward for one row: dx = invstd·(g - mean(g) - x̂·mean(g·x̂)) with
// g = dy·gamma; also dy·x̂ into prod (summed over rows into dgamma).
JI_HD void layer_norm_row_grad(const float* x, const float* dy, int64_t c, const float* gamma, float mean,
                               float invstd, float* dx, float* prod) {
  double sum_g = 0.0, sum_gx = 0.0;
  for (int64_t i = 0; i < c; ++i) {
    const float xhat = (x[i] - mean) * invstd, g = dy[i] * gamma[i];
    sum_g += g;
    sum_gx += static_cast<double>(g) * xhat;
  }
  const float mean_g = static_cast<float>(sum_g / static_cast<double>(c));
  const float mean_gx = static_cast<float>(sum_gx / static_cast<double>(c));
  for (int64_t i = 0; i < c; ++i) {
    const float xhat = (x[i] - mean) * invstd;
    dx[i] = invstd * (dy[i] * gamma[i] - mean_g - xhat * mean_gx);
    prod[i] = dy[i] * xhat;
  }
}

}  // namespace jetimg
