// CPU convolution and locally connected layers (core/conv_ops.h).
//
// Conv2D is im2col + OpenBLAS, one sample per OpenMP iteration: the sample's
// patches become a (C·KH·KW, OH·OW) matrix `col`, and
//   y_n  (F, OH·OW)      = weight (F, C·KH·KW) · col
//   dcol (C·KH·KW, OH·OW) = weightᵀ · dy_n,  scattered back by col2im
//   dweight              = Σ_n dy_n · colᵀ
// The weight gradient is summed per thread and the partial sums are added in
// thread order, so a run is reproducible for a given thread count.
//
// LocallyConnected2D is plain loops over core/conv_math.h, the same element
// functions the CUDA kernels call.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/conv_ops.h"
#include "core/gemm.h"

namespace jetimg::host {
namespace {

// The output columns [lo, hi) whose window column kw lands inside the
// image (the others read padding).
struct ColumnRange {
  int lo, hi;
};

ColumnRange columns_inside(const Window2d& g, int kw) {
  // iw = ow·stride + kw − pad_left must lie in [0, in_w).
  const int first = g.pad_left - kw;  // smallest ow·stride allowed
  int lo = first <= 0 ? 0 : (first + g.stride_w - 1) / g.stride_w;
  const int last = g.in_w - 1 + g.pad_left - kw;  // largest ow·stride allowed
  int hi = last < 0 ? 0 : last / g.stride_w + 1;
  lo = std::min(lo, g.out_w);
  hi = std::max(lo, std::min(hi, g.out_w));
  return {lo, hi};
}

// im2col for stride 1 with the output as large as the input ('same'): the
// row of col for (c, kh, kw) is channel c's plane shifted by (dh, dw) =
// (kh − pad_top, kw − pad_left). Copied as one block, it is right except in
// the |dw| columns at one edge of each row, which the shift wraps into from
// the neighbouring row and which belong to the padding: those are zeroed.
void im2col_same_stride1(const Window2d& g, int channels, const float* x, float* col) {
  const int h = g.in_h, w = g.in_w;
  const int64_t plane = int64_t{h} * w;
  for (int c = 0; c < channels; ++c)
    for (int kh = 0; kh < g.kernel_h; ++kh)
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        float* row = col + ((int64_t{c} * g.kernel_h + kh) * g.kernel_w + kw) * plane;
        const float* in = x + int64_t{c} * plane;
        const int dh = kh - g.pad_top, dw = kw - g.pad_left;
        const int oh_lo = std::clamp(-dh, 0, h), oh_hi = std::clamp(h - dh, oh_lo, h);  // rows whose input row exists
        std::fill(row, row + int64_t{oh_lo} * w, 0.0f);
        if (oh_hi > oh_lo) {
          // Output [oh_lo·w, oh_hi·w) reads input from (oh_lo + dh)·w + dw on; the
          // first or last |dw| elements would fall outside the plane and are padding.
          const int64_t first = int64_t{oh_lo} * w, last = int64_t{oh_hi} * w;
          const int64_t shift = int64_t{dh} * w + dw;
          const int64_t begin = first + std::max(0, -dw), end = last - std::max(0, dw);
          if (end > begin) std::copy(in + begin + shift, in + end + shift, row + begin);
          for (int oh = oh_lo; oh < oh_hi; ++oh) {
            float* out = row + int64_t{oh} * w;
            if (dw < 0) std::fill(out, out + std::min(-dw, w), 0.0f);
            if (dw > 0) std::fill(out + std::max(w - dw, 0), out + w, 0.0f);
          }
        }
        std::fill(row + int64_t{oh_hi} * w, row + plane, 0.0f);
      }
}

// col: (C·KH·KW, OH·OW) of one sample x: (C, H, W); zeros where the window
// reaches into the padding. Row by row: each output row of `col` is a run of
// one input row (contiguous for stride 1) between zeros.
void im2col(const Window2d& g, int channels, const float* x, float* col) {
  if (g.stride_h == 1 && g.stride_w == 1 && g.out_h == g.in_h && g.out_w == g.in_w) {
    im2col_same_stride1(g, channels, x, col);
    return;
  }
  const int64_t positions = int64_t{g.out_h} * g.out_w;
  for (int c = 0; c < channels; ++c)
    for (int kh = 0; kh < g.kernel_h; ++kh)
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        float* row = col + ((int64_t{c} * g.kernel_h + kh) * g.kernel_w + kw) * positions;
        const ColumnRange r = columns_inside(g, kw);
        for (int oh = 0; oh < g.out_h; ++oh) {
          float* out = row + int64_t{oh} * g.out_w;
          const int ih = oh * g.stride_h + kh - g.pad_top;
          if (ih < 0 || ih >= g.in_h) {
            std::fill(out, out + g.out_w, 0.0f);
            continue;
          }
          // Input column of output column ow: ow·stride + kw − pad_left, inside for ow in [lo, hi).
          const int64_t base = (int64_t{c} * g.in_h + ih) * g.in_w + kw - g.pad_left;
          std::fill(out, out + r.lo, 0.0f);
          if (g.stride_w == 1) {
            // Runs are short (one image row): an inline vector loop beats a memmove call.
            const float* src = x + base + r.lo;
            float* dst = out + r.lo;
#pragma omp simd
            for (int k = 0; k < r.hi - r.lo; ++k) dst[k] = src[k];
          } else {
            for (int ow = r.lo; ow < r.hi; ++ow) out[ow] = x[base + int64_t{ow} * g.stride_w];
          }
          std::fill(out + r.hi, out + g.out_w, 0.0f);
        }
      }
}

// The adjoint of im2col: dx (C, H, W) = Σ of the col entries copied from each pixel.
void col2im(const Window2d& g, int channels, const float* col, float* dx) {
  const int64_t positions = int64_t{g.out_h} * g.out_w;
  std::fill(dx, dx + int64_t{channels} * g.in_h * g.in_w, 0.0f);
  for (int c = 0; c < channels; ++c)
    for (int kh = 0; kh < g.kernel_h; ++kh)
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        const float* row = col + ((int64_t{c} * g.kernel_h + kh) * g.kernel_w + kw) * positions;
        const ColumnRange r = columns_inside(g, kw);
        for (int oh = 0; oh < g.out_h; ++oh) {
          const int ih = oh * g.stride_h + kh - g.pad_top;
          if (ih < 0 || ih >= g.in_h) continue;
          const float* in = row + int64_t{oh} * g.out_w;
          const int64_t base = (int64_t{c} * g.in_h + ih) * g.in_w + kw - g.pad_left;
          if (g.stride_w == 1) {
            float* dst = dx + base + r.lo;
            const float* src = in + r.lo;
#pragma omp simd
            for (int k = 0; k < r.hi - r.lo; ++k) dst[k] += src[k];
          } else {
            for (int ow = r.lo; ow < r.hi; ++ow) dx[base + int64_t{ow} * g.stride_w] += in[ow];
          }
        }
      }
}

// This thread's im2col buffer of at least `n` floats. It lives as long as
// the thread, so a training step does not allocate (and fault in) a fresh
// buffer per call and thread.
float* col_buffer(int64_t n) {
  thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < n) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}

struct ConvSizes {
  int64_t batch, channels, filters, patch, positions;
};

ConvSizes sizes_of(const Window2d& g, const Tensor& x_or_dx, int64_t filters) {
  const int64_t channels = x_or_dx.dim(1);
  return {x_or_dx.dim(0), channels, filters, channels * g.kernel_h * g.kernel_w, int64_t{g.out_h} * g.out_w};
}

}  // namespace

void conv2d_forward(Context&, const Window2d& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y) {
  serial_blas();
  const ConvSizes s = sizes_of(g, x, weight.dim(0));
  const float* b = bias.defined() ? bias.data() : nullptr;
#pragma omp parallel
  {
    float* col = col_buffer(s.patch * s.positions);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < s.batch; ++n) {
      im2col(g, static_cast<int>(s.channels), x.data() + n * s.channels * g.in_h * g.in_w, col);
      float* out = y.data() + n * s.filters * s.positions;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.filters),
                  static_cast<int>(s.positions), static_cast<int>(s.patch), 1.0f, weight.data(),
                  static_cast<int>(s.patch), col, static_cast<int>(s.positions), 0.0f, out,
                  static_cast<int>(s.positions));
      if (b)
        for (int64_t f = 0; f < s.filters; ++f)
          for (int64_t i = 0; i < s.positions; ++i) out[f * s.positions + i] += b[f];
    }
  }
}

void conv2d_backward_input(Context&, const Window2d& g, const Tensor& weight, const Tensor& dy, Tensor& dx) {
  serial_blas();
  const ConvSizes s = sizes_of(g, dx, weight.dim(0));
#pragma omp parallel
  {
    float* col = col_buffer(s.patch * s.positions);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < s.batch; ++n) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(s.patch), static_cast<int>(s.positions),
                  static_cast<int>(s.filters), 1.0f, weight.data(), static_cast<int>(s.patch),
                  dy.data() + n * s.filters * s.positions, static_cast<int>(s.positions), 0.0f, col,
                  static_cast<int>(s.positions));
      col2im(g, static_cast<int>(s.channels), col, dx.data() + n * s.channels * g.in_h * g.in_w);
    }
  }
}

void conv2d_backward_weight(Context&, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dweight) {
  serial_blas();
  const ConvSizes s = sizes_of(g, x, dweight.dim(0));
  const int64_t size = s.filters * s.patch;
  const int threads = omp_get_max_threads();
  std::vector<float> partial(static_cast<size_t>(threads) * size, 0.0f);
#pragma omp parallel num_threads(threads)
  {
    float* col = col_buffer(s.patch * s.positions);
    float* mine = partial.data() + omp_get_thread_num() * size;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < s.batch; ++n) {
      im2col(g, static_cast<int>(s.channels), x.data() + n * s.channels * g.in_h * g.in_w, col);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(s.filters), static_cast<int>(s.patch),
                  static_cast<int>(s.positions), 1.0f, dy.data() + n * s.filters * s.positions,
                  static_cast<int>(s.positions), col, static_cast<int>(s.positions), 1.0f, mine,
                  static_cast<int>(s.patch));
    }
  }
  float* out = dweight.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < size; ++i) {
    float acc = 0.0f;
    for (int t = 0; t < threads; ++t) acc += partial[t * size + i];
    out[i] = acc;
  }
}

void conv2d_backward_bias(Context&, const Tensor& dy, Tensor& dbias) {
  const int64_t batch = dy.dim(0), filters = dy.dim(1), positions = dy.dim(2) * dy.dim(3);
  const float* grad = dy.data();
#pragma omp parallel for schedule(static)
  for (int64_t f = 0; f < filters; ++f) {
    double acc = 0.0;
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t i = 0; i < positions; ++i) acc += grad[(n * filters + f) * positions + i];
    dbias.data()[f] = static_cast<float>(acc);
  }
}

// --- LocallyConnected2D --------------------------------------------------------------

void locally_connected2d_forward(Context&, const Window2d& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias, Tensor& y) {
  const int64_t batch = x.dim(0), positions = int64_t{g.out_h} * g.out_w;
  const int channels = static_cast<int>(x.dim(1)), filters = static_cast<int>(weight.dim(2));
  const float* b = bias.defined() ? bias.data() : nullptr;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int f = 0; f < filters; ++f) {
      const float* sample = x.data() + n * channels * g.in_h * g.in_w;
      float* out = y.data() + (n * filters + f) * positions;
      for (int oh = 0; oh < g.out_h; ++oh)
        for (int ow = 0; ow < g.out_w; ++ow)
          out[oh * g.out_w + ow] =
              locally_connected_output(sample, weight.data(), b, g, channels, filters, f, oh, ow);
    }
}

void locally_connected2d_backward_input(Context&, const Window2d& g, const Tensor& weight, const Tensor& dy,
                                        Tensor& dx) {
  const int64_t batch = dx.dim(0), positions = int64_t{g.out_h} * g.out_w;
  const int channels = static_cast<int>(dx.dim(1)), filters = static_cast<int>(weight.dim(2));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int c = 0; c < channels; ++c) {
      const float* grad = dy.data() + n * filters * positions;
      float* out = dx.data() + (n * channels + c) * g.in_h * g.in_w;
      for (int ih = 0; ih < g.in_h; ++ih)
        for (int iw = 0; iw < g.in_w; ++iw)
          out[ih * g.in_w + iw] = locally_connected_input_grad(grad, weight.data(), g, channels, filters, c, ih, iw);
    }
}

void locally_connected2d_backward_weight(Context&, const Window2d& g, const Tensor& x, const Tensor& dy,
                                         Tensor& dweight) {
  const int64_t batch = x.dim(0), positions = dweight.dim(0), patch = dweight.dim(1);
  const int channels = static_cast<int>(x.dim(1)), filters = static_cast<int>(dweight.dim(2));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t k = 0; k < patch; ++k)
      for (int f = 0; f < filters; ++f)
        dweight.data()[(p * patch + k) * filters + f] =
            locally_connected_weight_grad(x.data(), dy.data(), batch, g, channels, filters, p, k, f);
}

void locally_connected2d_backward_bias(Context&, const Tensor& dy, Tensor& dbias) {
  const int64_t batch = dy.dim(0), filters = dy.dim(1);
  Window2d g;
  g.out_h = static_cast<int>(dy.dim(2)), g.out_w = static_cast<int>(dy.dim(3));
  const int64_t positions = int64_t{g.out_h} * g.out_w;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < positions; ++p)
    for (int f = 0; f < static_cast<int>(filters); ++f)
      dbias.data()[p * filters + f] = locally_connected_bias_grad(dy.data(), batch, g, static_cast<int>(filters), p, f);
}

}  // namespace jetimg::host
