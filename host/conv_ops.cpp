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
// LocallyConnected2D is one such product per output position (see below).
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
// One OpenBLAS product per output position over a block of samples (the
// matrices of core/conv_math.h): the block's patches of position p are
// gathered into X (B, K), and
//   forward        Y = X · W_p, written to y[n, ·, p] with the bias
//   input grad     D = dY_p · W_pᵀ, added into dx in position order
//   weight grad    dW_p (+)= Xᵀ · dY_p, blocks added in sample order
// Positions go in tiles of 16, so that y and dy are read and written 16
// neighbouring floats at a time; each thread takes whole tiles through all
// sample blocks (blocks small enough that the input rows a tile reads stay
// in cache). Every sum runs in an order fixed by the shapes (and, for the
// input gradient's block size, the thread count), so a run is
// bit-reproducible.

namespace {

struct LcSizes {
  int64_t batch, channels, filters, patch, positions, sample;
};

LcSizes lc_sizes(const Window2d& g, const Tensor& x_or_dx, int64_t filters) {
  const int64_t channels = x_or_dx.dim(1);
  return {x_or_dx.dim(0), channels, filters, channels * g.kernel_h * g.kernel_w, int64_t{g.out_h} * g.out_w,
          channels * g.in_h * g.in_w};
}

// Samples per block: as many as keep the block's band of input rows under
// one window (C · KH rows of the image per sample) within about 1 MiB, so
// that the positions of a tile find it in cache; 8 to 256.
int64_t lc_block(const Window2d& g, const LcSizes& s) {
  const int64_t band = s.channels * g.kernel_h * g.in_w * int64_t{sizeof(float)};
  return std::clamp<int64_t>((int64_t{1} << 20) / std::max<int64_t>(band, 1), 8, 256);
}

// Positions per tile: one cache line of y or dy per (sample, filter).
constexpr int64_t kLcTile = 16;

// col (count, K): the patches of position p of samples [n0, n0 + count), in
// the weight's order k = (kh·KW + kw)·C + c.
void lc_gather_patches(const Window2d& g, const LcSizes& s, const float* x, int64_t p, int64_t n0, int64_t count,
                       float* col) {
  const int oh = static_cast<int>(p / g.out_w), ow = static_cast<int>(p % g.out_w);
  const int64_t plane = int64_t{g.in_h} * g.in_w, corner = int64_t{oh} * g.stride_h * g.in_w + int64_t{ow} * g.stride_w;
  if (s.channels == 1) {  // rows of the patch are runs of KW neighbouring pixels
    for (int64_t n = 0; n < count; ++n) {
      const float* xs = x + (n0 + n) * s.sample + corner;
      float* dst = col + n * s.patch;
      for (int kh = 0; kh < g.kernel_h; ++kh, dst += g.kernel_w) {
        const float* src = xs + int64_t{kh} * g.in_w;
        for (int kw = 0; kw < g.kernel_w; ++kw) dst[kw] = src[kw];
      }
    }
    return;
  }
  for (int64_t n = 0; n < count; ++n) {
    const float* xs = x + (n0 + n) * s.sample + corner;
    float* dst = col + n * s.patch;
    for (int kh = 0; kh < g.kernel_h; ++kh)
      for (int kw = 0; kw < g.kernel_w; ++kw, dst += s.channels) {
        const float* src = xs + int64_t{kh} * g.in_w + kw;
        for (int64_t c = 0; c < s.channels; ++c) dst[c] = src[c * plane];
      }
  }
}

// The adjoint: dx of samples [n0, n0 + count) += col (count, K) of position p.
void lc_scatter_patches(const Window2d& g, const LcSizes& s, const float* col, int64_t p, int64_t n0, int64_t count,
                        float* dx) {
  const int oh = static_cast<int>(p / g.out_w), ow = static_cast<int>(p % g.out_w);
  const int64_t plane = int64_t{g.in_h} * g.in_w, corner = int64_t{oh} * g.stride_h * g.in_w + int64_t{ow} * g.stride_w;
  if (s.channels == 1) {
    for (int64_t n = 0; n < count; ++n) {
      float* xs = dx + (n0 + n) * s.sample + corner;
      const float* src = col + n * s.patch;
      for (int kh = 0; kh < g.kernel_h; ++kh, src += g.kernel_w) {
        float* dst = xs + int64_t{kh} * g.in_w;
        for (int kw = 0; kw < g.kernel_w; ++kw) dst[kw] += src[kw];
      }
    }
    return;
  }
  for (int64_t n = 0; n < count; ++n) {
    float* xs = dx + (n0 + n) * s.sample + corner;
    const float* src = col + n * s.patch;
    for (int kh = 0; kh < g.kernel_h; ++kh)
      for (int kw = 0; kw < g.kernel_w; ++kw, src += s.channels) {
        float* dst = xs + int64_t{kh} * g.in_w + kw;
        for (int64_t c = 0; c < s.channels; ++c) dst[c * plane] += src[c];
      }
  }
}

// grads (tile, count, F): dy[n, ·, p] of samples [n0, n0 + count) and the
// positions [p0, p0 + tile).
void lc_gather_grad_tile(const LcSizes& s, const float* dy, int64_t p0, int64_t tile, int64_t n0, int64_t count,
                         float* grads) {
  for (int64_t n = 0; n < count; ++n)
    for (int64_t f = 0; f < s.filters; ++f) {
      const float* src = dy + ((n0 + n) * s.filters + f) * s.positions + p0;
      for (int64_t j = 0; j < tile; ++j) grads[(j * count + n) * s.filters + f] = src[j];
    }
}

}  // namespace

void locally_connected2d_forward(Context&, const Window2d& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias, Tensor& y) {
  serial_blas();
  const LcSizes s = lc_sizes(g, x, weight.dim(2));
  if (s.batch == 0) return;
  const float* w = weight.data();
  const float* b = bias.defined() ? bias.data() : nullptr;
  const int64_t tiles = (s.positions + kLcTile - 1) / kLcTile, block = std::min(lc_block(g, s), s.batch);
#pragma omp parallel
  {
    float* col = col_buffer(block * s.patch + kLcTile * block * s.filters);
    float* out = col + block * s.patch;  // (tile, count, F)
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t p0 = t * kLcTile, tile = std::min(kLcTile, s.positions - p0);
      for (int64_t n0 = 0; n0 < s.batch; n0 += block) {
        const int64_t count = std::min(block, s.batch - n0);
        for (int64_t j = 0; j < tile; ++j) {
          lc_gather_patches(g, s, x.data(), p0 + j, n0, count, col);
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(count),
                      static_cast<int>(s.filters), static_cast<int>(s.patch), 1.0f, col, static_cast<int>(s.patch),
                      w + (p0 + j) * s.patch * s.filters, static_cast<int>(s.filters), 0.0f,
                      out + j * count * s.filters, static_cast<int>(s.filters));
        }
        for (int64_t n = 0; n < count; ++n)
          for (int64_t f = 0; f < s.filters; ++f) {
            float* dst = y.data() + ((n0 + n) * s.filters + f) * s.positions + p0;
            const float* src = out + n * s.filters + f;
            for (int64_t j = 0; j < tile; ++j)
              dst[j] = src[j * count * s.filters] + (b ? b[(p0 + j) * s.filters + f] : 0.0f);
          }
      }
    }
  }
}

void locally_connected2d_backward_input(Context&, const Window2d& g, const Tensor& weight, const Tensor& dy,
                                        Tensor& dx) {
  serial_blas();
  const LcSizes s = lc_sizes(g, dx, weight.dim(2));
  std::fill(dx.data(), dx.data() + dx.numel(), 0.0f);
  if (s.batch == 0) return;
  const float* w = weight.data();
  // Blocks of samples, one per thread at a time: each owns its rows of dx
  // and adds into them position after position.
  const int threads = omp_get_max_threads();
  const int64_t block = std::clamp<int64_t>((s.batch + threads - 1) / threads, 1, lc_block(g, s));
  const int64_t blocks = (s.batch + block - 1) / block;
#pragma omp parallel
  {
    float* col = col_buffer(block * s.patch + kLcTile * block * s.filters);
    float* grads = col + block * s.patch;  // (tile, count, F)
#pragma omp for schedule(static)
    for (int64_t i = 0; i < blocks; ++i) {
      const int64_t n0 = i * block, count = std::min(block, s.batch - n0);
      for (int64_t p0 = 0; p0 < s.positions; p0 += kLcTile) {
        const int64_t tile = std::min(kLcTile, s.positions - p0);
        lc_gather_grad_tile(s, dy.data(), p0, tile, n0, count, grads);
        for (int64_t j = 0; j < tile; ++j) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(count), static_cast<int>(s.patch),
                      static_cast<int>(s.filters), 1.0f, grads + j * count * s.filters, static_cast<int>(s.filters),
                      w + (p0 + j) * s.patch * s.filters, static_cast<int>(s.filters), 0.0f, col,
                      static_cast<int>(s.patch));
          lc_scatter_patches(g, s, col, p0 + j, n0, count, dx.data());
        }
      }
    }
  }
}

void locally_connected2d_backward_weight(Context&, const Window2d& g, const Tensor& x, const Tensor& dy,
                                         Tensor& dweight) {
  serial_blas();
  const LcSizes s = lc_sizes(g, x, dweight.dim(2));
  if (s.batch == 0) {
    std::fill(dweight.data(), dweight.data() + dweight.numel(), 0.0f);
    return;
  }
  float* dw = dweight.data();
  const int64_t tiles = (s.positions + kLcTile - 1) / kLcTile, block = std::min(lc_block(g, s), s.batch);
#pragma omp parallel
  {
    float* col = col_buffer(block * s.patch + kLcTile * block * s.filters);
    float* grads = col + block * s.patch;  // (tile, count, F)
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t p0 = t * kLcTile, tile = std::min(kLcTile, s.positions - p0);
      for (int64_t n0 = 0; n0 < s.batch; n0 += block) {
        const int64_t count = std::min(block, s.batch - n0);
        const float beta = n0 == 0 ? 0.0f : 1.0f;
        lc_gather_grad_tile(s, dy.data(), p0, tile, n0, count, grads);
        for (int64_t j = 0; j < tile; ++j) {
          lc_gather_patches(g, s, x.data(), p0 + j, n0, count, col);
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(s.patch), static_cast<int>(s.filters),
                      static_cast<int>(count), 1.0f, col, static_cast<int>(s.patch), grads + j * count * s.filters,
                      static_cast<int>(s.filters), beta, dw + (p0 + j) * s.patch * s.filters,
                      static_cast<int>(s.filters));
        }
      }
    }
  }
}

// dbias[p, f] = Σ_n dy[n, f, p], the samples added in order (as
// locally_connected_bias_grad does) but read a plane row at a time.
void locally_connected2d_backward_bias(Context&, const Tensor& dy, Tensor& dbias) {
  const int64_t batch = dy.dim(0), filters = dy.dim(1), positions = dy.dim(2) * dy.dim(3);
  constexpr int64_t kRun = 64;
  const int64_t runs = (positions + kRun - 1) / kRun;
#pragma omp parallel
  {
    std::vector<float> acc(static_cast<size_t>(filters * kRun));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < runs; ++r) {
      const int64_t p0 = r * kRun, count = std::min(kRun, positions - p0);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t f = 0; f < filters; ++f) {
          const float* src = dy.data() + (n * filters + f) * positions + p0;
          float* a = acc.data() + f * kRun;
          for (int64_t i = 0; i < count; ++i) a[i] += src[i];
        }
      for (int64_t i = 0; i < count; ++i)
        for (int64_t f = 0; f < filters; ++f) dbias.data()[(p0 + i) * filters + f] = acc[f * kRun + i];
    }
  }
}

}  // namespace jetimg::host
