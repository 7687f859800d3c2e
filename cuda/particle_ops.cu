// CUDA implementation of the particle-cloud ops (core/particle_ops.h) over the
// element math of core/particle_math.h, shared with host/particle_ops.cpp.
// Each thread does what one iteration of the CPU loop does, in the same order,
// so the results are deterministic.
#include "core/cuda_check.h"
#include "core/particle_math.h"
#include "core/particle_ops.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65535 ? (blocks > 0 ? blocks : 1) : 65535);
}
cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

#define JI_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// One thread per (jet, particle) of the output.
__global__ void constituent_features_kernel(const float* c, const float* counts, const float* jets, const float* pdg,
                                            const float* charge, int64_t n, int64_t stored, int64_t m, int features,
                                            float* f, float* coords, float* frac, uint8_t* mask, int32_t* count) {
  JI_GRID_LOOP(at, n * m) {
    const int64_t i = at / m, j = at % m;
    const int real = jet_particle_count(counts[i], stored, m);
    if (j == 0) count[i] = real;
    float* fj = f + at * features;
    if (j < real) {
      const float* jet_c = c + i * stored * 4;
      const PtEtaPhiE jet = pt_eta_phi_e(jets + i * 4);
      const int64_t s = i * stored + j;
      constituent_features(jet_c + j * 4, jet, features, pdg ? static_cast<int>(pdg[s]) : 0,
                           charge ? charge[s] : 0.0f, fj, coords + at * 2);
      frac[at] = pt_fraction(jet_c + j * 4, scalar_pt_sum(jet_c, real));
      mask[at] = 1;
    } else {
      for (int k = 0; k < features; ++k) fj[k] = 0.0f;
      coords[at * 2] = coords[at * 2 + 1] = 0.0f;
      frac[at] = 0.0f;
      mask[at] = 0;
    }
  }
}

// One thread per (jet, feature): consecutive threads read consecutive features.
__global__ void pool_forward_kernel(PoolMode mode, const float* x, const uint8_t* mask, const float* w, int64_t n,
                                    int64_t m, int64_t features, float* y, int32_t* winner) {
  JI_GRID_LOOP(at, n * features) {
    const int64_t i = at / features, f = at % features;
    int32_t chosen = -1;
    y[at] = pool_feature(mode, x + i * m * features, mask ? mask + i * m : nullptr, w ? w + i * m : nullptr, m, features, f, &chosen);
    if (winner) winner[at] = chosen;
  }
}

// One thread per (jet, feature), down the jet's particles.
__global__ void pool_backward_kernel(PoolMode mode, const float* dy, const uint8_t* mask, const float* w,
                                     const int32_t* winner, int64_t n, int64_t m, int64_t features, float* dx) {
  JI_GRID_LOOP(at, n * features) {
    const int64_t i = at / features, f = at % features;
    const int64_t real = mask_count(mask ? mask + i * m : nullptr, m);
    const int32_t chosen = winner ? winner[at] : -1;
    for (int64_t j = 0; j < m; ++j)
      dx[(i * m + j) * features + f] =
          pool_feature_grad(mode, mask ? mask[i * m + j] : uint8_t{1}, w ? w[i * m + j] : 1.0f, real, j, chosen, dy[at]);
  }
}

// One thread per particle; the k best distances in registers-or-local memory.
__global__ void knn_kernel(const float* points, const uint8_t* mask, int64_t n, int64_t m, int64_t dims, int k,
                           int32_t* out) {
  float best[kMaxNeighbours];
  JI_GRID_LOOP(at, n * m) {
    const int64_t i = at / m, j = at % m;
    nearest_neighbours(points + i * m * dims, mask + i * m, m, dims, j, k, out + at * k, best);
  }
}

// One thread per (edge, channel of 2C).
__global__ void edge_forward_kernel(const float* x, const int32_t* idx, int64_t n, int64_t m, int64_t channels,
                                    int64_t k, float* edges) {
  JI_GRID_LOOP(at, n * m * k * 2 * channels) {
    const int64_t c = at % (2 * channels), edge = at / (2 * channels);
    const int64_t particle = edge / k, jet = particle / m, i = particle % m;
    const int64_t j = neighbour_or_self(idx[edge], m, i);
    edges[at] = edge_feature(x + jet * m * channels, channels, i, j, c);
  }
}

// One thread per (jet, channel): that column's sums in a fixed order.
__global__ void edge_backward_kernel(const float* de, const int32_t* idx, int64_t n, int64_t m, int64_t channels,
                                     int64_t k, float* dx) {
  JI_GRID_LOOP(col, n * channels) edge_backward_column(de, idx, m, channels, k, col / channels, col % channels, dx);
}

// One thread per (jet, leading constituent).
__global__ void leading_constituents_kernel(const float* c, const float* counts, const float* jets, int64_t n,
                                            int64_t stored, int64_t count, float* out) {
  JI_GRID_LOOP(at, n * count) {
    const int64_t i = at / count, j = at % count;
    const int real = jet_particle_count(counts[i], stored, count);
    float* row = out + at * 3;
    if (j < real)
      leading_constituent(c + (i * stored + j) * 4, pt_eta_phi_e(jets + i * 4), row);
    else
      row[0] = row[1] = row[2] = 0.0f;
  }
}

// One thread per (jet, particle i): its row of pairs.
__global__ void pair_features_kernel(const float* c, const float* counts, int64_t n, int64_t stored, int64_t m,
                                     float* out) {
  JI_GRID_LOOP(at, n * m) {
    const int64_t jet = at / m, i = at % m;
    const int real = jet_particle_count(counts[jet], stored, m);
    for (int64_t j = 0; j < m; ++j) {
      float* f = out + (at * m + j) * 4;
      if (i < real && j < real && i != j)
        pair_feature_values(c + (jet * stored + i) * 4, c + (jet * stored + j) * 4, f);
      else
        f[0] = f[1] = f[2] = f[3] = 0.0f;
    }
  }
}

// One thread per (sample, query, head), as the CPU loop.
__global__ void attention_kernel(const float* q, const float* k, const float* v, const float* bias,
                                 const uint8_t* mask, int64_t b, int64_t lq, int64_t lk, int64_t heads, int64_t d,
                                 float scale, float* out, float* probs) {
  const int64_t c = heads * d;
  JI_GRID_LOOP(at, b * lq * heads) {
    const int64_t s = at / (lq * heads), i = (at / heads) % lq, h = at % heads;
    attention_row(q + s * lq * c, k + s * lk * c, v + s * lk * c, bias ? bias + s * lq * lk * heads : nullptr,
                  mask ? mask + s * lk : nullptr, lk, heads, d, i, h, scale, probs + ((s * heads + h) * lq + i) * lk,
                  out + (s * lq + i) * c + h * d);
  }
}

__global__ void attention_query_grad_kernel(const float* q, const float* k, const float* v, const uint8_t* mask,
                                            const float* probs, const float* dout, int64_t b, int64_t lq, int64_t lk,
                                            int64_t heads, int64_t d, float scale, float* ds, float* dq, float* dbias) {
  const int64_t c = heads * d;
  JI_GRID_LOOP(at, b * lq * heads) {
    const int64_t s = at / (lq * heads), i = (at / heads) % lq, h = at % heads;
    float* row = ds + ((s * heads + h) * lq + i) * lk;
    attention_score_grad(probs + ((s * heads + h) * lq + i) * lk, dout + (s * lq + i) * c + h * d, v + s * lk * c,
                         mask ? mask + s * lk : nullptr, lk, heads, d, h, row);
    attention_query_grad(row, k + s * lk * c, lk, heads, d, h, scale, dq + (s * lq + i) * c + h * d);
    if (dbias)
      for (int64_t j = 0; j < lk; ++j) dbias[((s * lq + i) * lk + j) * heads + h] = row[j];
  }
}

__global__ void attention_key_grad_kernel(const float* q, const float* probs, const float* dout, const float* ds,
                                          int64_t b, int64_t lq, int64_t lk, int64_t heads, int64_t d, float scale,
                                          float* dk, float* dv) {
  const int64_t c = heads * d;
  JI_GRID_LOOP(at, b * lk * heads) {
    const int64_t s = at / (lk * heads), j = (at / heads) % lk, h = at % heads;
    attention_key_grad(ds + (s * heads + h) * lq * lk, probs + (s * heads + h) * lq * lk, q + s * lq * c,
                       dout + s * lq * c, lq, lk, heads, d, j, h, scale, dk + (s * lk + j) * c + h * d,
                       dv + (s * lk + j) * c + h * d);
  }
}

__global__ void mask_particles_kernel(const float* x, const uint8_t* mask, int64_t total, int64_t channels, float* y) {
  JI_GRID_LOOP(at, total) y[at] = mask[at / channels] ? x[at] : 0.0f;
}

}  // namespace

void knn(Context& ctx, const Tensor& points, const Tensor& mask, int k, Tensor& neighbours) {
  const int64_t n = points.dim(0), m = points.dim(1);
  knn_kernel<<<blocks_for(n * m), kThreads, 0, stream_of(ctx)>>>(points.data(), mask.data_as<uint8_t>(), n, m,
                                                                 points.dim(2), k, neighbours.data_as<int32_t>());
  JI_CUDA_CHECK_LAUNCH();
}

void edge_features_forward(Context& ctx, const Tensor& x, const Tensor& neighbours, Tensor& edges) {
  edge_forward_kernel<<<blocks_for(edges.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), neighbours.data_as<int32_t>(), x.dim(0), x.dim(1), x.dim(2), neighbours.dim(2), edges.data());
  JI_CUDA_CHECK_LAUNCH();
}

void edge_features_backward(Context& ctx, const Tensor& dedges, const Tensor& neighbours, Tensor& dx) {
  edge_backward_kernel<<<blocks_for(dx.dim(0) * dx.dim(2)), kThreads, 0, stream_of(ctx)>>>(
      dedges.data(), neighbours.data_as<int32_t>(), dx.dim(0), dx.dim(1), dx.dim(2), neighbours.dim(2), dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

void leading_constituents(Context& ctx, const ConstituentInputs& in, int64_t count, Tensor& out) {
  const int64_t n = in.constituents.dim(0);
  leading_constituents_kernel<<<blocks_for(n * count), kThreads, 0, stream_of(ctx)>>>(
      in.constituents.data(), in.counts.data(), in.jets.data(), n, in.constituents.dim(1), count, out.data());
  JI_CUDA_CHECK_LAUNCH();
}

void pair_features(Context& ctx, const ConstituentInputs& in, int64_t particles, Tensor& out) {
  const int64_t n = in.constituents.dim(0);
  pair_features_kernel<<<blocks_for(n * particles), kThreads, 0, stream_of(ctx)>>>(
      in.constituents.data(), in.counts.data(), n, in.constituents.dim(1), particles, out.data());
  JI_CUDA_CHECK_LAUNCH();
}

void attention_forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& key_mask, int64_t heads, float scale, Tensor& out, Tensor& probs) {
  const int64_t b = q.dim(0), lq = q.dim(1), lk = k.dim(1), d = q.dim(2) / heads;
  attention_kernel<<<blocks_for(b * lq * heads), kThreads, 0, stream_of(ctx)>>>(
      q.data(), k.data(), v.data(), bias.defined() ? bias.data() : nullptr,
      key_mask.defined() ? key_mask.data_as<uint8_t>() : nullptr, b, lq, lk, heads, d, scale, out.data(), probs.data());
  JI_CUDA_CHECK_LAUNCH();
}

void attention_backward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, float scale, const Tensor& probs, const Tensor& dout, Tensor& dq, Tensor& dk,
                        Tensor& dv, Tensor& dscores, Tensor* dbias) {
  const int64_t b = q.dim(0), lq = q.dim(1), lk = k.dim(1), d = q.dim(2) / heads;
  const uint8_t* mask = key_mask.defined() ? key_mask.data_as<uint8_t>() : nullptr;
  attention_query_grad_kernel<<<blocks_for(b * lq * heads), kThreads, 0, stream_of(ctx)>>>(
      q.data(), k.data(), v.data(), mask, probs.data(), dout.data(), b, lq, lk, heads, d, scale, dscores.data(),
      dq.data(), dbias ? dbias->data() : nullptr);
  JI_CUDA_CHECK_LAUNCH();
  attention_key_grad_kernel<<<blocks_for(b * lk * heads), kThreads, 0, stream_of(ctx)>>>(
      q.data(), probs.data(), dout.data(), dscores.data(), b, lq, lk, heads, d, scale, dk.data(), dv.data());
  JI_CUDA_CHECK_LAUNCH();
}

void mask_particles(Context& ctx, const Tensor& x, const Tensor& mask, Tensor& y) {
  mask_particles_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), mask.data_as<uint8_t>(),
                                                                                x.numel(), x.dim(2), y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void constituent_features(Context& ctx, const ConstituentInputs& in, int64_t particles, int features,
                          ConstituentBatch& out) {
  const int64_t n = in.constituents.dim(0), stored = in.constituents.dim(1);
  const bool ids = features == kIdentityFeatures;
  constituent_features_kernel<<<blocks_for(n * particles), kThreads, 0, stream_of(ctx)>>>(
      in.constituents.data(), in.counts.data(), in.jets.data(), ids ? in.pdg.data() : nullptr,
      ids ? in.charge.data() : nullptr, n, stored, particles, features, out.features.data(), out.coords.data(),
      out.pt_frac.data(), out.mask.data_as<uint8_t>(), out.count.data_as<int32_t>());
  JI_CUDA_CHECK_LAUNCH();
}

void particle_pool_forward(Context& ctx, PoolMode mode, const Tensor& x, const Tensor& mask, const Tensor& weights,
                           Tensor& y, Tensor& winner) {
  const int64_t n = x.dim(0), m = x.dim(1), features = x.dim(2);
  pool_forward_kernel<<<blocks_for(n * features), kThreads, 0, stream_of(ctx)>>>(
      mode, x.data(), mask.defined() ? mask.data_as<uint8_t>() : nullptr, weights.defined() ? weights.data() : nullptr, n, m, features, y.data(),
      mode == PoolMode::Max ? winner.data_as<int32_t>() : nullptr);
  JI_CUDA_CHECK_LAUNCH();
}

void particle_pool_backward(Context& ctx, PoolMode mode, const Tensor& dy, const Tensor& mask, const Tensor& weights,
                            const Tensor& winner, Tensor& dx) {
  const int64_t n = dx.dim(0), m = dx.dim(1), features = dx.dim(2);
  pool_backward_kernel<<<blocks_for(n * features), kThreads, 0, stream_of(ctx)>>>(
      mode, dy.data(), mask.defined() ? mask.data_as<uint8_t>() : nullptr, weights.defined() ? weights.data() : nullptr,
      mode == PoolMode::Max ? winner.data_as<int32_t>() : nullptr, n, m, features, dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
