// CPU reference implementation of the particle-cloud ops
// (core/particle_ops.h) over the element math of core/particle_math.h.
#include <algorithm>
#include <vector>

#include "core/particle_math.h"
#include "core/particle_ops.h"

namespace jetimg::host {

void constituent_features(Context&, const ConstituentInputs& in, int64_t particles, int features,
                          ConstituentBatch& out) {
  const int64_t n = in.constituents.dim(0), stored = in.constituents.dim(1), m = particles;
  const float *c = in.constituents.data(), *counts = in.counts.data(), *jets = in.jets.data();
  const float* pdg = features == kIdentityFeatures ? in.pdg.data() : nullptr;
  const float* charge = features == kIdentityFeatures ? in.charge.data() : nullptr;
  float *f = out.features.data(), *coords = out.coords.data(), *frac = out.pt_frac.data();
  uint8_t* mask = out.mask.data_as<uint8_t>();
  int32_t* count = out.count.data_as<int32_t>();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int real = jet_particle_count(counts[i], stored, m);
    const float* jet_c = c + i * stored * 4;
    const PtEtaPhiE jet = pt_eta_phi_e(jets + i * 4);
    const float pt_sum = scalar_pt_sum(jet_c, real);
    count[i] = real;
    for (int64_t j = 0; j < m; ++j) {
      const int64_t at = i * m + j;
      float* fj = f + at * features;
      if (j < real) {
        const int64_t s = i * stored + j;
        constituent_features(jet_c + j * 4, jet, features, pdg ? static_cast<int>(pdg[s]) : 0,
                             charge ? charge[s] : 0.0f, fj, coords + at * 2);
        frac[at] = pt_fraction(jet_c + j * 4, pt_sum);
        mask[at] = 1;
      } else {
        std::fill(fj, fj + features, 0.0f);
        coords[at * 2] = coords[at * 2 + 1] = 0.0f;
        frac[at] = 0.0f;
        mask[at] = 0;
      }
    }
  }
}

void particle_pool_forward(Context&, PoolMode mode, const Tensor& x, const Tensor& mask, const Tensor& weights,
                           Tensor& y, Tensor& winner) {
  const int64_t n = x.dim(0), m = x.dim(1), features = x.dim(2);
  const float* xv = x.data();
  const uint8_t* mv = mask.defined() ? mask.data_as<uint8_t>() : nullptr;
  const float* w = weights.defined() ? weights.data() : nullptr;
  float* yv = y.data();
  int32_t* win = mode == PoolMode::Max ? winner.data_as<int32_t>() : nullptr;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t f = 0; f < features; ++f) {
      int32_t chosen = -1;
      yv[i * features + f] = pool_feature(mode, xv + i * m * features, mv ? mv + i * m : nullptr, w ? w + i * m : nullptr, m, features,
                                          f, &chosen);
      if (win) win[i * features + f] = chosen;
    }
}

void particle_pool_backward(Context&, PoolMode mode, const Tensor& dy, const Tensor& mask, const Tensor& weights,
                            const Tensor& winner, Tensor& dx) {
  const int64_t n = dx.dim(0), m = dx.dim(1), features = dx.dim(2);
  const float* dyv = dy.data();
  const uint8_t* mv = mask.defined() ? mask.data_as<uint8_t>() : nullptr;
  const float* w = weights.defined() ? weights.data() : nullptr;
  const int32_t* win = mode == PoolMode::Max ? winner.data_as<int32_t>() : nullptr;
  float* dxv = dx.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t real = mask_count(mv ? mv + i * m : nullptr, m);
    for (int64_t j = 0; j < m; ++j)
      for (int64_t f = 0; f < features; ++f)
        dxv[(i * m + j) * features + f] =
            pool_feature_grad(mode, mv ? mv[i * m + j] : uint8_t{1}, w ? w[i * m + j] : 1.0f, real, j, win ? win[i * features + f] : -1,
                              dyv[i * features + f]);
  }
}

}  // namespace jetimg::host

namespace jetimg::host {

void knn(Context&, const Tensor& points, const Tensor& mask, int k, Tensor& neighbours) {
  const int64_t n = points.dim(0), m = points.dim(1), dims = points.dim(2);
  const float* p = points.data();
  const uint8_t* mv = mask.data_as<uint8_t>();
  int32_t* out = neighbours.data_as<int32_t>();
#pragma omp parallel
  {
    std::vector<float> best(static_cast<size_t>(k));
#pragma omp for schedule(static)
    for (int64_t at = 0; at < n * m; ++at) {
      const int64_t i = at / m, j = at % m;
      nearest_neighbours(p + i * m * dims, mv + i * m, m, dims, j, k, out + at * k, best.data());
    }
  }
}

void edge_features_forward(Context&, const Tensor& x, const Tensor& neighbours, Tensor& edges) {
  const int64_t n = x.dim(0), m = x.dim(1), channels = x.dim(2), k = neighbours.dim(2);
  const float* xv = x.data();
  const int32_t* idx = neighbours.data_as<int32_t>();
  float* e = edges.data();
#pragma omp parallel for schedule(static)
  for (int64_t at = 0; at < n * m; ++at) {
    const int64_t jet = at / m, i = at % m;
    for (int64_t s = 0; s < k; ++s) {
      const int64_t j = neighbour_or_self(idx[at * k + s], m, i);
      float* row = e + (at * k + s) * 2 * channels;
      for (int64_t c = 0; c < 2 * channels; ++c) row[c] = edge_feature(xv + jet * m * channels, channels, i, j, c);
    }
  }
}

void edge_features_backward(Context&, const Tensor& dedges, const Tensor& neighbours, Tensor& dx) {
  const int64_t n = dx.dim(0), m = dx.dim(1), channels = dx.dim(2), k = neighbours.dim(2);
  const float* de = dedges.data();
  const int32_t* idx = neighbours.data_as<int32_t>();
  float* d = dx.data();
  // Per jet, the edges in order (i, then s), all channels of an edge at
  // once: each element receives its contributions in the same order as the
  // CUDA kernel's thread for its (jet, channel) column (edge_backward_column).
#pragma omp parallel for schedule(static)
  for (int64_t jet = 0; jet < n; ++jet) {
    float* dj = d + jet * m * channels;
    std::fill(dj, dj + m * channels, 0.0f);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t s = 0; s < k; ++s) {
        const int64_t edge = (jet * m + i) * k + s;
        const int64_t j = neighbour_or_self(idx[edge], m, i);
        const float* row = de + edge * 2 * channels;
        for (int64_t c = 0; c < channels; ++c) {
          dj[i * channels + c] += row[c] - row[channels + c];
          dj[j * channels + c] += row[channels + c];
        }
      }
  }
}

void leading_constituents(Context&, const ConstituentInputs& in, int64_t count, Tensor& out) {
  const int64_t n = in.constituents.dim(0), stored = in.constituents.dim(1);
  const float *c = in.constituents.data(), *counts = in.counts.data(), *jets = in.jets.data();
  float* o = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const int real = jet_particle_count(counts[i], stored, count);
    const PtEtaPhiE jet = pt_eta_phi_e(jets + i * 4);
    for (int64_t j = 0; j < count; ++j) {
      float* row = o + (i * count + j) * 3;
      if (j < real)
        leading_constituent(c + (i * stored + j) * 4, jet, row);
      else
        row[0] = row[1] = row[2] = 0.0f;
    }
  }
}

void pair_features(Context&, const ConstituentInputs& in, int64_t particles, Tensor& out) {
  const int64_t n = in.constituents.dim(0), stored = in.constituents.dim(1), m = particles;
  const float *c = in.constituents.data(), *counts = in.counts.data();
  float* o = out.data();
#pragma omp parallel for schedule(static)
  for (int64_t at = 0; at < n * m; ++at) {
    const int64_t jet = at / m, i = at % m;
    const int real = jet_particle_count(counts[jet], stored, m);
    for (int64_t j = 0; j < m; ++j) {
      float* f = o + (at * m + j) * 4;
      if (i < real && j < real && i != j)
        pair_feature_values(c + (jet * stored + i) * 4, c + (jet * stored + j) * 4, f);
      else
        f[0] = f[1] = f[2] = f[3] = 0.0f;
    }
  }
}

void attention_forward(Context&, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& key_mask, int64_t heads, float scale, Tensor& out, Tensor& probs) {
  const int64_t b = q.dim(0), lq = q.dim(1), lk = k.dim(1), c = q.dim(2), d = c / heads;
  const float *qv = q.data(), *kv = k.data(), *vv = v.data(), *bv = bias.defined() ? bias.data() : nullptr;
  const uint8_t* mask = key_mask.defined() ? key_mask.data_as<uint8_t>() : nullptr;
  float *o = out.data(), *p = probs.data();
#pragma omp parallel for schedule(static)
  for (int64_t at = 0; at < b * lq * heads; ++at) {
    const int64_t s = at / (lq * heads), i = (at / heads) % lq, h = at % heads;
    attention_row(qv + s * lq * c, kv + s * lk * c, vv + s * lk * c, bv ? bv + s * lq * lk * heads : nullptr,
                  mask ? mask + s * lk : nullptr, lk, heads, d, i, h, scale, p + ((s * heads + h) * lq + i) * lk,
                  o + (s * lq + i) * c + h * d);
  }
}

void attention_backward(Context&, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, float scale, const Tensor& probs, const Tensor& dout, Tensor& dq, Tensor& dk,
                        Tensor& dv, Tensor& dscores, Tensor* dbias) {
  const int64_t b = q.dim(0), lq = q.dim(1), lk = k.dim(1), c = q.dim(2), d = c / heads;
  const float *qv = q.data(), *kv = k.data(), *vv = v.data(), *p = probs.data(), *g = dout.data();
  const uint8_t* mask = key_mask.defined() ? key_mask.data_as<uint8_t>() : nullptr;
  float *ds = dscores.data(), *dqv = dq.data(), *dkv = dk.data(), *dvv = dv.data();
  float* db = dbias ? dbias->data() : nullptr;
#pragma omp parallel for schedule(static)
  for (int64_t at = 0; at < b * lq * heads; ++at) {  // per query: its score gradients and dq
    const int64_t s = at / (lq * heads), i = (at / heads) % lq, h = at % heads;
    float* row = ds + ((s * heads + h) * lq + i) * lk;
    attention_score_grad(p + ((s * heads + h) * lq + i) * lk, g + (s * lq + i) * c + h * d, vv + s * lk * c,
                         mask ? mask + s * lk : nullptr, lk, heads, d, h, row);
    attention_query_grad(row, kv + s * lk * c, lk, heads, d, h, scale, dqv + (s * lq + i) * c + h * d);
    if (db)
      for (int64_t j = 0; j < lk; ++j) db[((s * lq + i) * lk + j) * heads + h] = row[j];
  }
#pragma omp parallel for schedule(static)
  for (int64_t at = 0; at < b * lk * heads; ++at) {  // per key: dk and dv
    const int64_t s = at / (lk * heads), j = (at / heads) % lk, h = at % heads;
    attention_key_grad(ds + (s * heads + h) * lq * lk, p + (s * heads + h) * lq * lk, qv + s * lq * c, g + s * lq * c,
                       lq, lk, heads, d, j, h, scale, dkv + (s * lk + j) * c + h * d, dvv + (s * lk + j) * c + h * d);
  }
}

void mask_particles(Context&, const Tensor& x, const Tensor& mask, Tensor& y) {
  const int64_t rows = x.dim(0) * x.dim(1), channels = x.dim(2);
  const float* xv = x.data();
  const uint8_t* mv = mask.data_as<uint8_t>();
  float* yv = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) yv[r * channels + c] = mv[r] ? xv[r * channels + c] : 0.0f;
}

}  // namespace jetimg::host
