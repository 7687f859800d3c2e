// Per-constituent and per-jet math of the particle-cloud ops
// (core/particle_ops.h), written once and called from both host/ and cuda/:
// the constituent features that ParticleNet and ParT read, and masked
// pooling over the particles of a jet.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace jetimg {

// The features of one constituent, in this order (as ParticleNet and ParT
// define them, relative to the jet axis):
//   0 Δη, 1 Δφ (wrapped into (-π, π]), 2 ln pT, 3 ln E, 4 ln(pT/pT_jet),
//   5 ln(E/E_jet), 6 ΔR = √(Δη² + Δφ²)
// and with particle identities:
//   7 charge, 8 charged hadron, 9 neutral hadron, 10 photon, 11 electron,
//   12 muon (one-hot).
constexpr int kKinematicFeatures = 7;
constexpr int kIdentityFeatures = 13;
// Logarithms are taken of at least this (a constituent of zero pT or energy
// gets a large negative, finite feature, never -inf).
constexpr float kLogFloor = 1e-20f;

// A four-vector (E, px, py, pz) seen as pT, η, φ, E. η of a particle along
// the beam (pT = 0) is taken as ±20·sign(pz), far outside any detector.
struct PtEtaPhiE {
  float pt, eta, phi, e;
};
JI_HD PtEtaPhiE pt_eta_phi_e(const float* v) {
  PtEtaPhiE r;
  r.e = v[0];
  r.pt = sqrtf(v[1] * v[1] + v[2] * v[2]);
  r.phi = atan2f(v[2], v[1]);
  r.eta = r.pt > 0.0f ? asinhf(v[3] / r.pt) : (v[3] >= 0.0f ? 20.0f : -20.0f);
  return r;
}

// φ difference wrapped into (-π, π].
JI_HD float wrap_delta_phi(float dphi) {
  const float pi = 3.14159265358979f, two_pi = 6.28318530717959f;
  while (dphi > pi) dphi -= two_pi;
  while (dphi <= -pi) dphi += two_pi;
  return dphi;
}

// The class of a particle for the one-hot features: 0 charged hadron,
// 1 neutral hadron, 2 photon, 3 electron, 4 muon.
JI_HD int particle_class(int pdg, float charge) {
  const int a = pdg < 0 ? -pdg : pdg;
  if (a == 11) return 3;
  if (a == 13) return 4;
  if (a == 22) return 2;
  return charge != 0.0f ? 0 : 1;
}

// Writes the `features` features (kKinematicFeatures or kIdentityFeatures)
// of constituent `c` (E, px, py, pz) of the jet `jet` (its pT, η, φ, E) into
// out; with identities, `pdg` and `charge` are the constituent's. Also
// gives (Δη, Δφ) in coords[0..1].
JI_HD void constituent_features(const float* c, const PtEtaPhiE& jet, int features, int pdg, float charge,
                                float* out, float* coords) {
  const PtEtaPhiE p = pt_eta_phi_e(c);
  const float deta = p.eta - jet.eta, dphi = wrap_delta_phi(p.phi - jet.phi);
  const float log_pt = logf(fmaxf(p.pt, kLogFloor)), log_e = logf(fmaxf(p.e, kLogFloor));
  out[0] = deta;
  out[1] = dphi;
  out[2] = log_pt;
  out[3] = log_e;
  out[4] = log_pt - logf(fmaxf(jet.pt, kLogFloor));
  out[5] = log_e - logf(fmaxf(jet.e, kLogFloor));
  out[6] = sqrtf(deta * deta + dphi * dphi);
  if (features == kIdentityFeatures) {
    out[7] = charge;
    const int k = particle_class(pdg, charge);
    for (int i = 0; i < 5; ++i) out[8 + i] = i == k ? 1.0f : 0.0f;
  }
  coords[0] = deta;
  coords[1] = dphi;
}

// TopoDNN's inputs of one constituent c (E, px, py, pz) of the jet `jet`:
// pT/pT_jet, Δη, Δφ (wrapped), into out[0..2].
JI_HD void leading_constituent(const float* c, const PtEtaPhiE& jet, float* out) {
  const PtEtaPhiE p = pt_eta_phi_e(c);
  out[0] = jet.pt > 0.0f ? p.pt / jet.pt : 0.0f;
  out[1] = p.eta - jet.eta;
  out[2] = wrap_delta_phi(p.phi - jet.phi);
}

// Σ pT of a jet's first n constituents (E, px, py, pz), in constituent order.
JI_HD float scalar_pt_sum(const float* constituents, int n) {
  float total = 0.0f;
  for (int j = 0; j < n; ++j) total += sqrtf(constituents[4 * j + 1] * constituents[4 * j + 1] +
                                             constituents[4 * j + 2] * constituents[4 * j + 2]);
  return total;
}

// A jet's real particles as used: its stored count (a float from the file)
// clamped to the S constituents stored and the M particles of the batch.
JI_HD int jet_particle_count(float stored_count, int64_t stored, int64_t particles) {
  const int64_t limit = stored < particles ? stored : particles;
  if (!(stored_count > 0.0f)) return 0;
  const int64_t n = static_cast<int64_t>(stored_count);
  return static_cast<int>(n < limit ? n : limit);
}

// pT of constituent c (E, px, py, pz) over the jet's Σ pT (0 when that is 0).
JI_HD float pt_fraction(const float* c, float pt_sum) {
  return pt_sum > 0.0f ? sqrtf(c[1] * c[1] + c[2] * c[2]) / pt_sum : 0.0f;
}

// Real particles of one jet's (M) mask (all M without a mask).
JI_HD int64_t mask_count(const uint8_t* mask, int64_t m) {
  if (!mask) return m;
  int64_t count = 0;
  for (int64_t j = 0; j < m; ++j) count += mask[j] ? 1 : 0;
  return count;
}

enum class PoolMode : int { Sum, Mean, Max };

// Pooling over the particles of one jet, for one feature f of F: x is the
// jet's (M, F) block, mask its (M) flags (nullptr: all real), weights its (M)
// weights (nullptr: all 1). Sum: Σ mask·w·x; mean: that over Σ mask (0 for a jet without
// particles); max: the largest x of a real particle (0 if none) and its index
// in *winner (-1 if none; ties go to the lowest index).
JI_HD float pool_feature(PoolMode mode, const float* x, const uint8_t* mask, const float* weights, int64_t m,
                         int64_t features, int64_t f, int32_t* winner) {
  if (mode == PoolMode::Max) {
    float best = 0.0f;
    int32_t at = -1;
    for (int64_t j = 0; j < m; ++j) {
      if (mask && !mask[j]) continue;
      const float v = x[j * features + f];
      if (at < 0 || v > best) best = v, at = static_cast<int32_t>(j);
    }
    *winner = at;
    return best;
  }
  float total = 0.0f;
  int64_t count = 0;
  for (int64_t j = 0; j < m; ++j) {
    if (mask && !mask[j]) continue;
    total += (weights ? weights[j] : 1.0f) * x[j * features + f];
    ++count;
  }
  if (mode == PoolMode::Mean) return count > 0 ? total / static_cast<float>(count) : 0.0f;
  return total;
}

// dL/dx of particle j, feature f, from dL/dy of the jet's pooled feature f:
// `count` is the jet's real particles (for Mean), `winner` the index chosen by
// Max for that feature.
JI_HD float pool_feature_grad(PoolMode mode, uint8_t mask, float weight, int64_t count, int64_t j, int32_t winner,
                              float dy) {
  if (!mask) return 0.0f;
  if (mode == PoolMode::Max) return winner == j ? dy : 0.0f;
  if (mode == PoolMode::Mean) return weight * dy / static_cast<float>(count);
  return weight * dy;
}

// The most neighbours knn keeps per particle (ParticleNet uses 16).
constexpr int kMaxNeighbours = 64;

// The k nearest neighbours of particle i among a jet's real particles (mask
// 1), by squared Euclidean distance in `dims`-dimensional points (M, dims),
// particle i itself left out, ties broken by the lower index. Fewer than k
// real neighbours: the remaining slots hold i itself (an edge to itself,
// whose difference feature is zero); a padded particle gets only itself.
// Writes k indices into out; `best` is scratch of k distances.
JI_HD void nearest_neighbours(const float* points, const uint8_t* mask, int64_t m, int64_t dims, int64_t i, int k,
                              int32_t* out, float* best) {
  int found = 0;
  if (mask[i]) {
    const float* pi = points + i * dims;
    for (int64_t j = 0; j < m; ++j) {
      if (j == i || !mask[j]) continue;
      const float* pj = points + j * dims;
      float d = 0.0f;
      for (int64_t c = 0; c < dims; ++c) {
        const float diff = pj[c] - pi[c];
        d += diff * diff;
      }
      // Insert into the sorted list of the best so far (a later j with an
      // equal distance goes after: ties keep the lower index first).
      if (found == k && !(d < best[k - 1])) continue;
      int at = found < k ? found : k - 1;
      while (at > 0 && d < best[at - 1]) {
        best[at] = best[at - 1];
        out[at] = out[at - 1];
        --at;
      }
      best[at] = d;
      out[at] = static_cast<int32_t>(j);
      if (found < k) ++found;
    }
  }
  for (int s = found; s < k; ++s) out[s] = static_cast<int32_t>(i);
}

// A neighbour index as the edge ops use it: one outside [0, m) (never made
// by nearest_neighbours) is taken as i itself, so no read or write leaves
// the jet.
JI_HD int64_t neighbour_or_self(int32_t j, int64_t m, int64_t i) { return j >= 0 && j < m ? j : i; }

// EdgeConv's edge features of particle i's s-th neighbour j, channel c of
// 2C: (x_i, x_j - x_i).
JI_HD float edge_feature(const float* x, int64_t channels, int64_t i, int64_t j, int64_t c) {
  return c < channels ? x[i * channels + c] : x[j * channels + (c - channels)] - x[i * channels + (c - channels)];
}

// dL/dx of one (jet, channel c) column from the edge gradients de (M, k, 2C)
// of jet `jet`: each edge (i, s) adds de[.., c] - de[.., C + c] to x_i and
// de[.., C + c] to x_j, the edges taken in order (i, then s). Writes
// dx[jet, :, c].
JI_HD void edge_backward_column(const float* de, const int32_t* idx, int64_t m, int64_t channels, int64_t k,
                                int64_t jet, int64_t c, float* dx) {
  float* d = dx + jet * m * channels;
  for (int64_t i = 0; i < m; ++i) d[i * channels + c] = 0.0f;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t s = 0; s < k; ++s) {
      const int64_t edge = (jet * m + i) * k + s;
      const int64_t j = neighbour_or_self(idx[edge], m, i);
      const float own = de[edge * 2 * channels + c], diff = de[edge * 2 * channels + channels + c];
      d[i * channels + c] += own - diff;
      d[j * channels + c] += diff;
    }
}

// Attention of one query row. Layout "token-major": q (Lq, H, d) and k, v
// (Lk, H, d) of one sample, so that a dense layer's (L, H·d) output is used
// as it is; bias (Lq, Lk, H) or nullptr; key_mask (Lk) or nullptr (all real).
// For query i of head h: s_j = scale·q_i·k_j + bias[i, j, h] over the real
// keys, p = softmax(s) (0 for padded keys; all 0 if no key is real), out_i =
// Σ_j p_j v_j. Writes p into probs (Lk) and out (d).
JI_HD void attention_row(const float* q, const float* k, const float* v, const float* bias, const uint8_t* key_mask,
                         int64_t lk, int64_t heads, int64_t d, int64_t i, int64_t h, float scale, float* probs,
                         float* out) {
  const float* qi = q + (i * heads + h) * d;
  float top = 0.0f;
  bool any = false;
  for (int64_t j = 0; j < lk; ++j) {
    if (key_mask && !key_mask[j]) {
      probs[j] = 0.0f;
      continue;
    }
    const float* kj = k + (j * heads + h) * d;
    float dot = 0.0f;
    for (int64_t c = 0; c < d; ++c) dot += qi[c] * kj[c];
    const float s = scale * dot + (bias ? bias[(i * lk + j) * heads + h] : 0.0f);
    probs[j] = s;
    if (!any || s > top) top = s;
    any = true;
  }
  double total = 0.0;
  for (int64_t j = 0; j < lk; ++j) {
    if (key_mask && !key_mask[j]) continue;
    probs[j] = expf(probs[j] - top);
    total += probs[j];
  }
  const float inv = total > 0.0 ? static_cast<float>(1.0 / total) : 0.0f;
  for (int64_t c = 0; c < d; ++c) out[c] = 0.0f;
  for (int64_t j = 0; j < lk; ++j) {
    if (key_mask && !key_mask[j]) continue;
    probs[j] *= inv;
    const float* vj = v + (j * heads + h) * d;
    for (int64_t c = 0; c < d; ++c) out[c] += probs[j] * vj[c];
  }
}

// The gradient of the scores of query i of head h: ds_j = p_j·(dp_j - Σ p·dp)
// with dp_j = dout_i·v_j; written into ds (Lk) (0 for padded keys).
JI_HD void attention_score_grad(const float* probs, const float* dout, const float* v, const uint8_t* key_mask,
                                int64_t lk, int64_t heads, int64_t d, int64_t h, float* ds) {
  double weighted = 0.0;
  for (int64_t j = 0; j < lk; ++j) {
    if (key_mask && !key_mask[j]) {
      ds[j] = 0.0f;
      continue;
    }
    const float* vj = v + (j * heads + h) * d;
    float dp = 0.0f;
    for (int64_t c = 0; c < d; ++c) dp += dout[c] * vj[c];
    ds[j] = dp;
    weighted += static_cast<double>(probs[j]) * dp;
  }
  const float w = static_cast<float>(weighted);
  for (int64_t j = 0; j < lk; ++j)
    if (!key_mask || key_mask[j]) ds[j] = probs[j] * (ds[j] - w);
}

// The pair features of particles i and j (E, px, py, pz each), as ParT
// defines them: ln kT, ln z, ln ΔR, ln m² with kT = min(pT)·ΔR, z =
// min(pT)/(pT_i + pT_j), m² of the pair's sum; logarithms of at least
// kPairFloor.
constexpr float kPairFloor = 1e-8f;
JI_HD void pair_feature_values(const float* a, const float* b, float* out) {
  const PtEtaPhiE pa = pt_eta_phi_e(a), pb = pt_eta_phi_e(b);
  const float deta = pa.eta - pb.eta, dphi = wrap_delta_phi(pa.phi - pb.phi);
  const float delta = sqrtf(deta * deta + dphi * dphi);
  const float low = fminf(pa.pt, pb.pt), sum_pt = pa.pt + pb.pt;
  // m² = E² - p² of the pair in double: for nearly collinear pairs it is a
  // small difference of large numbers, which float would lose.
  const double e = static_cast<double>(a[0]) + b[0], px = static_cast<double>(a[1]) + b[1],
               py = static_cast<double>(a[2]) + b[2], pz = static_cast<double>(a[3]) + b[3];
  const float m2 = static_cast<float>(e * e - px * px - py * py - pz * pz);
  out[0] = logf(fmaxf(low * delta, kPairFloor));
  out[1] = logf(fmaxf(sum_pt > 0.0f ? low / sum_pt : 0.0f, kPairFloor));
  out[2] = logf(fmaxf(delta, kPairFloor));
  out[3] = logf(fmaxf(m2, kPairFloor));
}

// dq of query i of head h from its score gradients ds (Lk): scale·Σ_j ds_j k_j.
JI_HD void attention_query_grad(const float* ds, const float* k, int64_t lk, int64_t heads, int64_t d, int64_t h,
                                float scale, float* dq) {
  for (int64_t c = 0; c < d; ++c) dq[c] = 0.0f;
  for (int64_t j = 0; j < lk; ++j) {
    const float* kj = k + (j * heads + h) * d;
    for (int64_t c = 0; c < d; ++c) dq[c] += ds[j] * kj[c];
  }
  for (int64_t c = 0; c < d; ++c) dq[c] *= scale;
}

// dk and dv of key j of head h, summed over the queries i in order: dk =
// scale·Σ_i ds_ij q_i, dv = Σ_i p_ij dout_i. ds and probs are this head's
// (Lq, Lk) planes.
JI_HD void attention_key_grad(const float* ds, const float* probs, const float* q, const float* dout, int64_t lq,
                              int64_t lk, int64_t heads, int64_t d, int64_t j, int64_t h, float scale, float* dk,
                              float* dv) {
  for (int64_t c = 0; c < d; ++c) dk[c] = dv[c] = 0.0f;
  for (int64_t i = 0; i < lq; ++i) {
    const float s = ds[i * lk + j], p = probs[i * lk + j];
    const float *qi = q + (i * heads + h) * d, *gi = dout + (i * heads + h) * d;
    for (int64_t c = 0; c < d; ++c) {
      dk[c] += s * qi[c];
      dv[c] += p * gi[c];
    }
  }
  for (int64_t c = 0; c < d; ++c) dk[c] *= scale;
}

}  // namespace jetimg
