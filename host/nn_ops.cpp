// CPU reference implementation of the network ops (core/nn_ops.h),
// OpenMP-threaded loops over the element math of core/nn_math.h. Reductions
// (batch statistics) read the tensor in memory order in fixed chunks of
// samples and add the chunks' partial sums in order, so results do not
// depend on the thread count.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/nn_math.h"
#include "core/nn_ops.h"

namespace jetimg::host {

namespace {

// Calls body(kind) with `kind` a std::integral_constant, so that code built
// from decltype(kind)::value inside the OpenMP loop has the activation kind
// as a compile-time constant: the switch in the element math folds away and
// the loop vectorises. (A kind captured as a value would reach the outlined
// loop body as a run-time variable.)
template <typename Body>
void with_constant_kind(ActivationKind kind, Body body) {
  switch (kind) {
    case ActivationKind::ReLU: return body(std::integral_constant<ActivationKind, ActivationKind::ReLU>{});
    case ActivationKind::LeakyReLU: return body(std::integral_constant<ActivationKind, ActivationKind::LeakyReLU>{});
    case ActivationKind::Sigmoid: return body(std::integral_constant<ActivationKind, ActivationKind::Sigmoid>{});
    case ActivationKind::Tanh: return body(std::integral_constant<ActivationKind, ActivationKind::Tanh>{});
    case ActivationKind::Linear: return body(std::integral_constant<ActivationKind, ActivationKind::Linear>{});
    case ActivationKind::GELU: return body(std::integral_constant<ActivationKind, ActivationKind::GELU>{});
  }
}

}  // namespace

void activation_forward(Context&, ActivationParams p, const Tensor& x, Tensor& y) {
  const float* in = x.data();
  float* out = y.data();
  const int64_t n = x.numel();
  const float slope = p.slope;
  with_constant_kind(p.kind, [&](auto kind) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) out[i] = activation_value(ActivationParams{decltype(kind)::value, slope}, in[i]);
  });
}

void activation_backward(Context&, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx) {
  const float *in = x.data(), *out = y.data(), *grad_out = dy.data();
  float* grad_in = dx.data();
  const int64_t n = x.numel();
  const float slope = p.slope;
  with_constant_kind(p.kind, [&](auto kind) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i)
      grad_in[i] = activation_grad(ActivationParams{decltype(kind)::value, slope}, in[i], out[i], grad_out[i]);
  });
}

void softmax_forward(Context&, const Tensor& x, Tensor& y) {
  const int64_t classes = x.dim(x.ndim() - 1), rows = x.numel() / classes;
  const float* in = x.data();
  float* out = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) softmax_row(in + r * classes, out + r * classes, classes);
}

void softmax_backward(Context&, const Tensor& y, const Tensor& dy, Tensor& dx) {
  const int64_t classes = y.dim(y.ndim() - 1), rows = y.numel() / classes;
  const float *out = y.data(), *grad_out = dy.data();
  float* grad_in = dx.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    softmax_backward_row(out + r * classes, grad_out + r * classes, grad_in + r * classes, classes);
}

void bias_add(Context&, Tensor& y, const Tensor& bias) {
  const int64_t rows = y.dim(0), cols = y.dim(1);
  float* out = y.data();
  const float* b = bias.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] += b[c];
}

void maxout_forward(Context&, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner) {
  const int64_t rows = y.dim(0), units = y.dim(1);
  const float* in = z.data();
  float *out = y.data(), *win = winner.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t u = 0; u < units; ++u) {
      int k = 0;
      maxout_unit(in + r * pieces * units, pieces, units, u, &out[r * units + u], &k);
      win[r * units + u] = static_cast<float>(k);
    }
}

void maxout_backward(Context&, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz) {
  const int64_t rows = dy.dim(0), units = dy.dim(1);
  const float *grad_out = dy.data(), *win = winner.data();
  float* grad_in = dz.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < pieces; ++k)
      for (int64_t u = 0; u < units; ++u)
        grad_in[(r * pieces + k) * units + u] =
            static_cast<int64_t>(win[r * units + u]) == k ? grad_out[r * units + u] : 0.0f;
}

void dropout_forward(Context& ctx, const Tensor& x, float rate, uint64_t stream, Tensor& mask, Tensor& y) {
  const float* in = x.data();
  float *keep = mask.data(), *out = y.data();
  const int64_t n = x.numel();
  const uint64_t seed = ctx.seed();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    keep[i] = dropout_mask_value(seed, stream, static_cast<uint64_t>(i), rate);
    out[i] = in[i] * keep[i];
  }
}

void multiply(Context&, const Tensor& a, const Tensor& b, Tensor& out) {
  const float *lhs = a.data(), *rhs = b.data();
  float* result = out.data();
  const int64_t n = a.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) result[i] = lhs[i] * rhs[i];
}

void bias_activation_forward(Context&, ActivationParams p, Tensor& z, const Tensor& bias, Tensor& y) {
  const int64_t rows = z.dim(0), cols = z.dim(1);
  float *pre = z.data(), *out = y.data();
  const float* b = bias.data();
  const float slope = p.slope;
  with_constant_kind(p.kind, [&](auto kind) {
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      float* zr = pre + r * cols;
      float* yr = out + r * cols;
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) {
        const float v = zr[c] + b[c];
        zr[c] = v;
        yr[c] = activation_value(ActivationParams{decltype(kind)::value, slope}, v);
      }
    }
  });
}

// Batch normalisation sees x as (N, C, L): L = 1 for dense features, H·W for images.
namespace {
struct ChannelLayout {
  int64_t n, c, l;
  int64_t index(int64_t sample, int64_t channel, int64_t pos) const { return (sample * c + channel) * l + pos; }
};
ChannelLayout layout_of(const Tensor& x) {
  const int64_t n = x.dim(0), c = x.dim(1);
  // No channels or no samples: nothing to loop over, and no n·c to divide by.
  return {n, c, n * c == 0 ? 0 : x.numel() / (n * c)};
}
}  // namespace

// Per-channel sums over the samples and positions of x's layout: T sums per
// channel, out[t·C + c] = Σ_{n, l} (what `add` adds for element i of channel c
// into acc[t·C + c]). Read in memory order, a chunk of samples per task; the
// chunks' partial sums are added in chunk order, so the result does not
// depend on the number of threads.
template <int T, typename Add>
void channel_sums(const ChannelLayout& s, Add add, std::vector<double>& out) {
  constexpr int64_t kChunk = 256;
  const int64_t chunks = (s.n + kChunk - 1) / kChunk, width = T * s.c;
  std::vector<double> partial(static_cast<size_t>(std::max<int64_t>(chunks, 1) * width), 0.0);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < chunks; ++k) {
    double* acc = partial.data() + k * width;
    for (int64_t n = k * kChunk; n < std::min(s.n, (k + 1) * kChunk); ++n)
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t l = 0; l < s.l; ++l) add(s.index(n, c, l), c, acc);
  }
  out.assign(static_cast<size_t>(width), 0.0);
  for (int64_t k = 0; k < chunks; ++k)
    for (int64_t j = 0; j < width; ++j) out[static_cast<size_t>(j)] += partial[static_cast<size_t>(k * width + j)];
}

void batchnorm_forward_train(Context&, const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum,
                             float eps, Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& save_mean,
                             Tensor& save_invstd) {
  const ChannelLayout s = layout_of(x);
  const float *in = x.data(), *g = gamma.data(), *b = beta.data();
  float *out = y.data(), *mean_out = save_mean.data(), *invstd_out = save_invstd.data();
  float *rmean = running_mean.data(), *rvar = running_var.data();
  const int64_t count = s.n * s.l;
  if (s.c == 0) return;
  // Two passes: the mean, then the spread around it.
  std::vector<double> total, squares;
  channel_sums<1>(s, [&](int64_t i, int64_t c, double* acc) { acc[c] += in[i]; }, total);
  std::vector<double> mean(static_cast<size_t>(s.c));
  for (int64_t c = 0; c < s.c; ++c) mean[static_cast<size_t>(c)] = total[static_cast<size_t>(c)] / count;
  channel_sums<1>(s, [&](int64_t i, int64_t c, double* acc) {
    const double d = in[i] - mean[static_cast<size_t>(c)];
    acc[c] += d * d;
  }, squares);
  for (int64_t c = 0; c < s.c; ++c) {
    const double var = squares[static_cast<size_t>(c)] / count, m = mean[static_cast<size_t>(c)];
    mean_out[c] = static_cast<float>(m);
    invstd_out[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
    batchnorm_running_update(&rmean[c], &rvar[c], m, var, count, momentum);
  }
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t l = 0; l < s.l; ++l) {
        const int64_t i = s.index(n, c, l);
        out[i] = batchnorm_value(in[i], mean_out[c], invstd_out[c], g[c], b[c]);
      }
}

void batchnorm_forward_inference(Context&, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                                 const Tensor& running_mean, const Tensor& running_var, Tensor& y) {
  const ChannelLayout s = layout_of(x);
  const float *in = x.data(), *g = gamma.data(), *b = beta.data(), *rmean = running_mean.data(),
              *rvar = running_var.data();
  float* out = y.data();
  std::vector<float> invstd(static_cast<size_t>(s.c));
  for (int64_t c = 0; c < s.c; ++c) invstd[static_cast<size_t>(c)] = batchnorm_invstd(rvar[c], eps);
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c) {
      const float m = rmean[c], is = invstd[static_cast<size_t>(c)], gc = g[c], bc = b[c];
      const int64_t first = s.index(n, c, 0);
#pragma omp simd
      for (int64_t l = 0; l < s.l; ++l) out[first + l] = batchnorm_value(in[first + l], m, is, gc, bc);
    }
}

void batchnorm_backward(Context&, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                        const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  const ChannelLayout s = layout_of(x);
  const float *in = x.data(), *grad_out = dy.data(), *g = gamma.data(), *mean = save_mean.data(),
              *invstd = save_invstd.data();
  float *grad_in = dx.data(), *dg = dgamma.data(), *db = dbeta.data();
  const float inv_count = 1.0f / static_cast<float>(s.n * s.l);
  if (s.c == 0) return;
  std::vector<double> sums;  // Σ dy, then Σ dy·x̂, per channel
  channel_sums<2>(s, [&](int64_t i, int64_t c, double* acc) {
    acc[c] += grad_out[i];
    acc[s.c + c] += static_cast<double>(grad_out[i]) * ((in[i] - mean[c]) * invstd[c]);
  }, sums);
  for (int64_t c = 0; c < s.c; ++c) {
    db[c] = static_cast<float>(sums[static_cast<size_t>(c)]);
    dg[c] = static_cast<float>(sums[static_cast<size_t>(s.c + c)]);
  }
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t l = 0; l < s.l; ++l) {
        const int64_t i = s.index(n, c, l);
        grad_in[i] = batchnorm_grad(grad_out[i], in[i], mean[c], invstd[c], g[c], db[c], dg[c], inv_count);
      }
}

void layer_norm_forward(Context&, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y,
                        Tensor& save_mean, Tensor& save_invstd) {
  const int64_t rows = x.dim(0), c = x.dim(1);
  const float *in = x.data(), *g = gamma.data(), *b = beta.data();
  float *out = y.data(), *mean = save_mean.data(), *invstd = save_invstd.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) layer_norm_row(in + r * c, c, eps, g, b, out + r * c, mean + r, invstd + r);
}

void layer_norm_backward(Context&, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                         const Tensor& save_invstd, Tensor& dx, Tensor& prod) {
  const int64_t rows = x.dim(0), c = x.dim(1);
  const float *in = x.data(), *grad = dy.data(), *g = gamma.data(), *mean = save_mean.data(),
              *invstd = save_invstd.data();
  float *out = dx.data(), *p = prod.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    layer_norm_row_grad(in + r * c, grad + r * c, c, g, mean[r], invstd[r], out + r * c, p + r * c);
}

}  // namespace jetimg::host
