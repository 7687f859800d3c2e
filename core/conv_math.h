// Window geometry and per-pixel math of the image ops (core/conv_ops.h),
// written once for host/ and cuda/. Images are NCHW; a "plane" is one (n, c)
// image of H × W floats.
//
// A sliding window on one axis: output o reads inputs [o·stride - pad,
// o·stride - pad + kernel). 'valid' has no padding; 'same' follows
// TensorFlow: out = ceil(in / stride) and the total padding
// max((out - 1)·stride + kernel - in, 0) is split with the smaller half
// before (top/left), so even kernels and strides pad one more after.
//
// Every backward here is written as a gather (one output element of dx sums
// what reaches it), so it needs no atomics and gives the same sums in the
// same order on the CPU and the GPU.
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace jetimg {

enum class Padding : int { Valid = 0, Same = 1 };

JI_HD int window_output_size(int in, int kernel, int stride, Padding padding) {
  if (padding == Padding::Same) return (in + stride - 1) / stride;
  return in >= kernel ? (in - kernel) / stride + 1 : 0;
}

// Padding before the first input (top or left); 0 for 'valid'.
JI_HD int window_padding_before(int in, int kernel, int stride, Padding padding) {
  if (padding == Padding::Valid) return 0;
  const int out = (in + stride - 1) / stride;
  const int total = (out - 1) * stride + kernel - in;
  return total > 0 ? total / 2 : 0;
}

// The 2-D geometry of one window op, resolved once by core/conv_ops.cpp.
struct Window2d {
  int in_h = 0, in_w = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  int out_h = 0, out_w = 0;

  // Padding the last window reaches into after the image; 0 when it ends
  // inside (trailing rows or columns that no window reads).
  int pad_bottom() const { return clamp_at_zero((out_h - 1) * stride_h + kernel_h - in_h - pad_top); }
  int pad_right() const { return clamp_at_zero((out_w - 1) * stride_w + kernel_w - in_w - pad_left); }

 private:
  static int clamp_at_zero(int v) { return v > 0 ? v : 0; }
};

inline Window2d make_window(int in_h, int in_w, int kernel_h, int kernel_w, int stride_h, int stride_w,
                            Padding padding) {
  Window2d g;
  g.in_h = in_h, g.in_w = in_w;
  g.kernel_h = kernel_h, g.kernel_w = kernel_w;
  g.stride_h = stride_h, g.stride_w = stride_w;
  g.pad_top = window_padding_before(in_h, kernel_h, stride_h, padding);
  g.pad_left = window_padding_before(in_w, kernel_w, stride_w, padding);
  g.out_h = window_output_size(in_h, kernel_h, stride_h, padding);
  g.out_w = window_output_size(in_w, kernel_w, stride_w, padding);
  return g;
}

// The outputs [*first, *last] of one axis whose window holds input i (empty
// when *first > *last).
JI_HD void windows_holding(int i, int kernel, int stride, int pad, int out, int* first, int* last) {
  const int padded = i + pad;  // position counted from the first padded input
  const int lowest = padded - kernel + 1;
  *first = lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
  const int highest = padded / stride;
  *last = highest < out - 1 ? highest : out - 1;
}

// --- convolution (im2col) ---------------------------------------------------------
// Row (c, kh, kw) and column (oh, ow) of the im2col matrix of one sample:
// the input offset c·H·W + ih·W + iw it copies, or -1 for padding.
JI_HD int64_t im2col_source(const Window2d& g, int c, int kh, int kw, int oh, int ow) {
  const int ih = oh * g.stride_h - g.pad_top + kh, iw = ow * g.stride_w - g.pad_left + kw;
  if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) return -1;
  return (static_cast<int64_t>(c) * g.in_h + ih) * g.in_w + iw;
}

// --- locally connected ------------------------------------------------------------
// Keras layout: weight (P, KH·KW·C, F) with P = OH·OW positions and the middle
// index (kh·KW + kw)·C + c; bias (OH, OW, F). Valid padding.
//   y[n, f, oh, ow] = bias[oh, ow, f] + Σ_{kh, kw, c} x[n, c, oh·s + kh, ow·s + kw] · weight[p, k, f]

// The ops (host/conv_ops.cpp, cuda/locally_connected.cu) run as one matrix
// product per output position p, over the batch:
//   y_p  (N, F) = X_p (N, K) · W_p (K, F) + b_p    X_p: the patches of position p
//   dX_p (N, K) = dY_p (N, F) · W_pᵀ              added back into dx (col2im)
//   dW_p (K, F) = X_pᵀ · dY_p
// The per-output functions below are the definition the tests compare them with.

// Offset, in one sample (C, H, W), of entry k of position p's patch
// (k = (kh·KW + kw)·C + c, the weight's middle index).
JI_HD int64_t locally_connected_patch_source(const Window2d& g, int channels, int64_t p, int64_t k) {
  const int oh = static_cast<int>(p / g.out_w), ow = static_cast<int>(p % g.out_w);
  const int c = static_cast<int>(k % channels), kk = static_cast<int>(k / channels);
  const int ih = oh * g.stride_h + kk / g.kernel_w, iw = ow * g.stride_w + kk % g.kernel_w;
  return (static_cast<int64_t>(c) * g.in_h + ih) * g.in_w + iw;
}

// dx[n, c, ih, iw] gathered from the patch gradients dcol (P, batch, K) of
// sample n: the entries of every position whose window holds (ih, iw), in
// position order (the order host/ adds them in too).
JI_HD float locally_connected_col2im(const float* dcol, int64_t batch, int64_t n, const Window2d& g, int channels,
                                     int c, int ih, int iw) {
  int oh0, oh1, ow0, ow1;
  windows_holding(ih, g.kernel_h, g.stride_h, 0, g.out_h, &oh0, &oh1);
  windows_holding(iw, g.kernel_w, g.stride_w, 0, g.out_w, &ow0, &ow1);
  const int64_t patch = static_cast<int64_t>(g.kernel_h) * g.kernel_w * channels;
  float acc = 0.0f;
  for (int oh = oh0; oh <= oh1; ++oh)
    for (int ow = ow0; ow <= ow1; ++ow) {
      const int64_t p = static_cast<int64_t>(oh) * g.out_w + ow;
      const int64_t k = (static_cast<int64_t>(ih - oh * g.stride_h) * g.kernel_w + (iw - ow * g.stride_w)) * channels + c;
      acc += dcol[(p * batch + n) * patch + k];
    }
  return acc;
}

// One output of one sample. x: the sample (C, H, W).
JI_HD float locally_connected_output(const float* x, const float* weight, const float* bias, const Window2d& g,
                                     int channels, int filters, int f, int oh, int ow) {
  const int64_t p = static_cast<int64_t>(oh) * g.out_w + ow;
  const int64_t patch = static_cast<int64_t>(g.kernel_h) * g.kernel_w * channels;
  const float* w = weight + p * patch * filters + f;
  float acc = bias ? bias[p * filters + f] : 0.0f;
  for (int kh = 0; kh < g.kernel_h; ++kh) {
    const int ih = oh * g.stride_h + kh;
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      const int iw = ow * g.stride_w + kw;
      const float* xin = x + static_cast<int64_t>(ih) * g.in_w + iw;
      const int64_t k0 = (static_cast<int64_t>(kh) * g.kernel_w + kw) * channels;
      for (int c = 0; c < channels; ++c)
        acc += xin[static_cast<int64_t>(c) * g.in_h * g.in_w] * w[(k0 + c) * filters];
    }
  }
  return acc;
}

// dx[n, c, ih, iw] of one sample: every (position, filter) that read it.
// dy: the sample's (F, OH, OW).
JI_HD float locally_connected_input_grad(const float* dy, const float* weight, const Window2d& g, int channels,
                                         int filters, int c, int ih, int iw) {
  int oh0, oh1, ow0, ow1;
  windows_holding(ih, g.kernel_h, g.stride_h, 0, g.out_h, &oh0, &oh1);
  windows_holding(iw, g.kernel_w, g.stride_w, 0, g.out_w, &ow0, &ow1);
  const int64_t patch = static_cast<int64_t>(g.kernel_h) * g.kernel_w * channels;
  const int64_t plane = static_cast<int64_t>(g.out_h) * g.out_w;
  float acc = 0.0f;
  for (int oh = oh0; oh <= oh1; ++oh)
    for (int ow = ow0; ow <= ow1; ++ow) {
      const int64_t p = static_cast<int64_t>(oh) * g.out_w + ow;
      const int64_t k = (static_cast<int64_t>(ih - oh * g.stride_h) * g.kernel_w + (iw - ow * g.stride_w)) * channels + c;
      const float* w = weight + (p * patch + k) * filters;
      for (int f = 0; f < filters; ++f) acc += w[f] * dy[f * plane + p];
    }
  return acc;
}

// dweight[p, k, f] = Σ_n x[n, c, ih, iw] · dy[n, f, p] over the batch.
JI_HD float locally_connected_weight_grad(const float* x, const float* dy, int64_t batch, const Window2d& g,
                                          int channels, int filters, int64_t p, int64_t k, int f) {
  const int oh = static_cast<int>(p / g.out_w), ow = static_cast<int>(p % g.out_w);
  const int c = static_cast<int>(k % channels), kk = static_cast<int>(k / channels);
  const int ih = oh * g.stride_h + kk / g.kernel_w, iw = ow * g.stride_w + kk % g.kernel_w;
  const int64_t x_sample = static_cast<int64_t>(channels) * g.in_h * g.in_w;
  const int64_t plane = static_cast<int64_t>(g.out_h) * g.out_w;
  const int64_t x_offset = (static_cast<int64_t>(c) * g.in_h + ih) * g.in_w + iw;
  const int64_t dy_offset = f * plane + p;
  float acc = 0.0f;
  for (int64_t n = 0; n < batch; ++n) acc += x[n * x_sample + x_offset] * dy[n * filters * plane + dy_offset];
  return acc;
}

// dbias[oh, ow, f] = Σ_n dy[n, f, oh, ow].
JI_HD float locally_connected_bias_grad(const float* dy, int64_t batch, const Window2d& g, int filters, int64_t p,
                                        int f) {
  const int64_t plane = static_cast<int64_t>(g.out_h) * g.out_w;
  float acc = 0.0f;
  for (int64_t n = 0; n < batch; ++n) acc += dy[(n * filters + f) * plane + p];
  return acc;
}

// --- pooling (valid) -----------------------------------------------------------------
// The largest input of window (oh, ow) of one plane and its offset ih·W + iw;
// the first in row-major order wins a tie.
JI_HD int max_pool_argmax(const float* x, const Window2d& g, int oh, int ow) {
  const int ih0 = oh * g.stride_h, iw0 = ow * g.stride_w;
  int best = ih0 * g.in_w + iw0;
  float best_value = x[best];
  for (int kh = 0; kh < g.kernel_h; ++kh)
    for (int kw = 0; kw < g.kernel_w; ++kw) {
      const int i = (ih0 + kh) * g.in_w + iw0 + kw;
      if (x[i] > best_value) best_value = x[i], best = i;
    }
  return best;
}

JI_HD float avg_pool_output(const float* x, const Window2d& g, int oh, int ow) {
  const int ih0 = oh * g.stride_h, iw0 = ow * g.stride_w;
  float acc = 0.0f;
  for (int kh = 0; kh < g.kernel_h; ++kh)
    for (int kw = 0; kw < g.kernel_w; ++kw) acc += x[(ih0 + kh) * g.in_w + iw0 + kw];
  return acc / static_cast<float>(g.kernel_h * g.kernel_w);
}

// dx at (ih, iw) of one plane: dy of every window whose argmax it is.
JI_HD float max_pool_input_grad(const float* x, const float* dy, const Window2d& g, int ih, int iw) {
  int oh0, oh1, ow0, ow1;
  windows_holding(ih, g.kernel_h, g.stride_h, 0, g.out_h, &oh0, &oh1);
  windows_holding(iw, g.kernel_w, g.stride_w, 0, g.out_w, &ow0, &ow1);
  const int self = ih * g.in_w + iw;
  float acc = 0.0f;
  for (int oh = oh0; oh <= oh1; ++oh)
    for (int ow = ow0; ow <= ow1; ++ow)
      if (max_pool_argmax(x, g, oh, ow) == self) acc += dy[oh * g.out_w + ow];
  return acc;
}

JI_HD float avg_pool_input_grad(const float* dy, const Window2d& g, int ih, int iw) {
  int oh0, oh1, ow0, ow1;
  windows_holding(ih, g.kernel_h, g.stride_h, 0, g.out_h, &oh0, &oh1);
  windows_holding(iw, g.kernel_w, g.stride_w, 0, g.out_w, &ow0, &ow1);
  float acc = 0.0f;
  for (int oh = oh0; oh <= oh1; ++oh)
    for (int ow = ow0; ow <= ow1; ++ow) acc += dy[oh * g.out_w + ow];
  return acc / static_cast<float>(g.kernel_h * g.kernel_w);
}

// --- up-sampling (nearest) and zero padding, one plane ------------------------------
// dx[ih, iw] = Σ of the factor_h × factor_w block of dy it was copied to.
JI_HD float up_sampling_input_grad(const float* dy, int out_w, int factor_h, int factor_w, int ih, int iw) {
  float acc = 0.0f;
  for (int a = 0; a < factor_h; ++a)
    for (int b = 0; b < factor_w; ++b) acc += dy[(ih * factor_h + a) * out_w + iw * factor_w + b];
  return acc;
}

// y[oh, ow] of an (in_h, in_w) plane padded by `top` rows and `left` columns.
JI_HD float zero_padded_value(const float* x, int in_h, int in_w, int top, int left, int oh, int ow) {
  const int ih = oh - top, iw = ow - left;
  return (ih >= 0 && ih < in_h && iw >= 0 && iw < in_w) ? x[ih * in_w + iw] : 0.0f;
}

}  // namespace jetimg
