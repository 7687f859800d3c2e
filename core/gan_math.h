// Element math of the GAN ops (core/gan_ops.h), written once and called from
// both host/gan_ops.cpp and cuda/gan_ops.cu.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace jetimg {

// --- minibatch discrimination ----------------------------------------------------------
// Two samples' rows of one feature, a: M[i, f, :] and b: M[j, f, :], each
// `dims` long and read with its own stride (the CUDA kernel keeps a in
// shared memory transposed).

// Σ_v |a_v - b_v|, the L1 distance between the two rows.
JI_HD float minibatch_distance(const float* a, int64_t a_stride, const float* b, int64_t b_stride, int64_t dims) {
  float d = 0.0f;
  for (int64_t v = 0; v < dims; ++v) d += fabsf(a[v * a_stride] - b[v * b_stride]);
  return d;
}

// exp(-distance): 1 for identical rows, towards 0 for distant ones.
JI_HD float minibatch_closeness(float distance) { return expf(-distance); }

// sign(t) with sign(0) = 0: the derivative of |t| away from its kink, and 0
// at it. Written without branches: the signs of a batch's differences are
// random, and a mispredicted branch per element costs more than the rest.
JI_HD float sign_or_zero(float t) { return static_cast<float>((t > 0.0f) - (t < 0.0f)); }

// The factor of pair (i, j) in dM[i, f, v] = Σ_j factor_ij · sign(M[i,f,v] - M[j,f,v]):
// o[i] and o[j] both contain exp(-d_ij), so both their gradients reach M[i]:
//   factor_ij = -(do[i] + do[j]) · exp(-d_ij).
JI_HD float minibatch_pair_factor(float dout_i, float dout_j, float closeness) {
  return -(dout_i + dout_j) * closeness;
}

// --- attention combine -------------------------------------------------------------------
// One pixel of x and logits, C channels `plane` apart:
//   y = Σ_c p_c x_c,  p = softmax_c(logits)   (the largest logit subtracted first).

struct SoftmaxNorm {
  float top;    // the largest logit
  float total;  // Σ_c exp(logit_c - top)
};

JI_HD SoftmaxNorm channel_softmax_norm(const float* logits, int64_t channels, int64_t plane) {
  float top = logits[0];
  for (int64_t c = 1; c < channels; ++c) top = fmaxf(top, logits[c * plane]);
  float total = 0.0f;
  for (int64_t c = 0; c < channels; ++c) total += expf(logits[c * plane] - top);
  return {top, total};
}

JI_HD float attention_combine_pixel(const float* x, const float* logits, int64_t channels, int64_t plane) {
  const SoftmaxNorm s = channel_softmax_norm(logits, channels, plane);
  float weighted = 0.0f;
  for (int64_t c = 0; c < channels; ++c) weighted += expf(logits[c * plane] - s.top) * x[c * plane];
  return weighted / s.total;
}

// dx_c = dy · p_c and dlogits_c = dy · p_c · (x_c - y), the softmax's Jacobian
// p_c (δ_ck - p_k) contracted with x_k.
JI_HD void attention_combine_pixel_grad(const float* x, const float* logits, int64_t channels, int64_t plane,
                                        float dy, float* dx, float* dlogits) {
  const SoftmaxNorm s = channel_softmax_norm(logits, channels, plane);
  const float inv_total = 1.0f / s.total;
  float y = 0.0f;
  for (int64_t c = 0; c < channels; ++c) y += expf(logits[c * plane] - s.top) * inv_total * x[c * plane];
  for (int64_t c = 0; c < channels; ++c) {
    const float p = expf(logits[c * plane] - s.top) * inv_total;
    dx[c * plane] = dy * p;
    dlogits[c * plane] = dy * p * (x[c * plane] - y);
  }
}

// --- per-sample reductions -----------------------------------------------------------------

// 1 when the element counts towards fraction_above (strictly above the threshold).
JI_HD float above_threshold(float x, float threshold) { return x > threshold ? 1.0f : 0.0f; }

}  // namespace jetimg
