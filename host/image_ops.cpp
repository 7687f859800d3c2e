// CPU pooling, up-sampling, zero padding and channel concatenation
// (core/conv_ops.h): one (sample, channel) plane per OpenMP iteration, over
// the per-pixel functions of core/conv_math.h that the CUDA kernels call too.
#include <algorithm>
#include <cstring>

#include "core/conv_ops.h"

namespace jetimg::host {
namespace {

int64_t planes_of(const Tensor& t) { return t.dim(0) * t.dim(1); }
int64_t plane_size(const Tensor& t) { return t.dim(2) * t.dim(3); }

}  // namespace

void max_pool2d_forward(Context&, const Window2d& g, const Tensor& x, Tensor& y) {
  const int64_t planes = planes_of(x), in_size = plane_size(x), out_size = plane_size(y);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* in = x.data() + i * in_size;
    float* out = y.data() + i * out_size;
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow) out[oh * g.out_w + ow] = in[max_pool_argmax(in, g, oh, ow)];
  }
}

// Each window sends its dy to its argmax. Scattered window by window in
// row-major order, every input pixel adds the same dy values in the same
// order as max_pool_input_grad (the CUDA kernel's gather), so the two agree
// to the bit; the scatter finds each argmax once instead of once per pixel
// of the window.
void max_pool2d_backward(Context&, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dx) {
  const int64_t planes = planes_of(x), in_size = plane_size(x), out_size = plane_size(dy);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* in = x.data() + i * in_size;
    const float* grad = dy.data() + i * out_size;
    float* out = dx.data() + i * in_size;
    std::fill(out, out + in_size, 0.0f);
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow) out[max_pool_argmax(in, g, oh, ow)] += grad[oh * g.out_w + ow];
  }
}

void avg_pool2d_forward(Context&, const Window2d& g, const Tensor& x, Tensor& y) {
  const int64_t planes = planes_of(x), in_size = plane_size(x), out_size = plane_size(y);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* in = x.data() + i * in_size;
    float* out = y.data() + i * out_size;
    for (int oh = 0; oh < g.out_h; ++oh)
      for (int ow = 0; ow < g.out_w; ++ow) out[oh * g.out_w + ow] = avg_pool_output(in, g, oh, ow);
  }
}

void avg_pool2d_backward(Context&, const Window2d& g, const Tensor& dy, Tensor& dx) {
  const int64_t planes = planes_of(dx), in_size = plane_size(dx), out_size = plane_size(dy);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* grad = dy.data() + i * out_size;
    float* out = dx.data() + i * in_size;
    for (int ih = 0; ih < g.in_h; ++ih)
      for (int iw = 0; iw < g.in_w; ++iw) out[ih * g.in_w + iw] = avg_pool_input_grad(grad, g, ih, iw);
  }
}

void up_sampling2d_forward(Context&, const UpSampling2dParams& p, const Tensor& x, Tensor& y) {
  const int64_t planes = planes_of(x), in_size = plane_size(x), out_size = plane_size(y);
  const int out_h = static_cast<int>(y.dim(2)), out_w = static_cast<int>(y.dim(3)), in_w = static_cast<int>(x.dim(3));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* in = x.data() + i * in_size;
    float* out = y.data() + i * out_size;
    for (int oh = 0; oh < out_h; ++oh)
      for (int ow = 0; ow < out_w; ++ow) out[oh * out_w + ow] = in[(oh / p.factor_h) * in_w + ow / p.factor_w];
  }
}

void up_sampling2d_backward(Context&, const UpSampling2dParams& p, const Tensor& dy, Tensor& dx) {
  const int64_t planes = planes_of(dx), in_size = plane_size(dx), out_size = plane_size(dy);
  const int in_h = static_cast<int>(dx.dim(2)), in_w = static_cast<int>(dx.dim(3)), out_w = static_cast<int>(dy.dim(3));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* grad = dy.data() + i * out_size;
    float* out = dx.data() + i * in_size;
    for (int ih = 0; ih < in_h; ++ih)
      for (int iw = 0; iw < in_w; ++iw)
        out[ih * in_w + iw] = up_sampling_input_grad(grad, out_w, p.factor_h, p.factor_w, ih, iw);
  }
}

void zero_padding2d_forward(Context&, const ZeroPadding2dParams& p, const Tensor& x, Tensor& y) {
  const int64_t planes = planes_of(x), in_size = plane_size(x), out_size = plane_size(y);
  const int in_h = static_cast<int>(x.dim(2)), in_w = static_cast<int>(x.dim(3));
  const int out_h = static_cast<int>(y.dim(2)), out_w = static_cast<int>(y.dim(3));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* in = x.data() + i * in_size;
    float* out = y.data() + i * out_size;
    for (int oh = 0; oh < out_h; ++oh)
      for (int ow = 0; ow < out_w; ++ow)
        out[oh * out_w + ow] = zero_padded_value(in, in_h, in_w, p.top, p.left, oh, ow);
  }
}

void zero_padding2d_backward(Context&, const ZeroPadding2dParams& p, const Tensor& dy, Tensor& dx) {
  const int64_t planes = planes_of(dx), in_size = plane_size(dx), out_size = plane_size(dy);
  const int in_h = static_cast<int>(dx.dim(2)), in_w = static_cast<int>(dx.dim(3)), out_w = static_cast<int>(dy.dim(3));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < planes; ++i) {
    const float* grad = dy.data() + i * out_size;
    float* out = dx.data() + i * in_size;
    for (int ih = 0; ih < in_h; ++ih)
      for (int iw = 0; iw < in_w; ++iw) out[ih * in_w + iw] = grad[(ih + p.top) * out_w + iw + p.left];
  }
}

// In NCHW, sample n of input i is one contiguous block of C_i·H·W floats
// that lands at channel offset Σ_{j<i} C_j of sample n of y.
void concatenate_channels_forward(Context&, const std::vector<Tensor>& inputs, Tensor& y) {
  const int64_t batch = y.dim(0), plane = plane_size(y), out_sample = y.dim(1) * plane;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    int64_t offset = 0;
    for (const Tensor& in : inputs) {
      const int64_t block = in.dim(1) * plane;
      std::memcpy(y.data() + n * out_sample + offset, in.data() + n * block, block * sizeof(float));
      offset += block;
    }
  }
}

void concatenate_channels_backward(Context&, const Tensor& dy, std::vector<Tensor>& dxs) {
  const int64_t batch = dy.dim(0), plane = plane_size(dy), out_sample = dy.dim(1) * plane;
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    int64_t offset = 0;
    for (Tensor& dx : dxs) {
      const int64_t block = dx.dim(1) * plane;
      std::memcpy(dx.data() + n * block, dy.data() + n * out_sample + offset, block * sizeof(float));
      offset += block;
    }
  }
}

}  // namespace jetimg::host
