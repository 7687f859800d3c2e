// Ops of the particle-cloud taggers: constituent batches turned into the
// features the networks read, and pooling over the particles of each jet.
// Declared and checked here, implemented in host/particle_ops.cpp and
// cuda/particle_ops.cu over the element math of core/particle_math.h.
//
// A batch of N jets holds M particles per jet, padded: a jet's real
// particles come first (pT-ordered), `mask` (N, M) uint8 is 1 for them and 0
// for the padding, and `count` (N) int32 says how many there are.
#pragma once

#include "core/context.h"
#include "core/particle_math.h"
#include "core/tensor.h"

namespace jetimg {

// The inputs of a constituent batch as the jets file stores them, on the
// context's device:
//   constituents (N, S, 4) float32  E, px, py, pz in GeV, pT-ordered, zero-padded to S
//   counts       (N) float32        real constituents per jet (<= S)
//   jets         (N, 4) float32     the jet's E, px, py, pz
//   pdg, charge  (N, S) float32     PDG code and charge per constituent
//                                   (needed only for kIdentityFeatures)
struct ConstituentInputs {
  Tensor constituents, counts, jets, pdg, charge;
};

// The batch padded to M = `particles` (at least the longest jet's count:
// the batch's own longest jet, not the file's S):
//   features (N, M, F)  F = kKinematicFeatures or kIdentityFeatures (core/particle_math.h)
//   coords   (N, M, 2)  (Δη, Δφ) to the jet axis, for neighbour search and EFN's angular input
//   pt_frac  (N, M)     pT / Σ pT of the jet's constituents (EFN's energy weights)
//   mask     (N, M) uint8, count (N) int32
// Padded particles are zero in every output.
struct ConstituentBatch {
  Tensor features, coords, pt_frac, mask, count;
};
void constituent_features(Context& ctx, const ConstituentInputs& in, int64_t particles, int features,
                          ConstituentBatch& out);

// TopoDNN's input: the leading `count` constituents of each jet as
// (pT/pT_jet, Δη, Δφ) -> out (N, count, 3), zero where a jet has fewer (a jet
// with more keeps its leading `count`: the rest are not read).
void leading_constituents(Context& ctx, const ConstituentInputs& in, int64_t count, Tensor& out);

// ParT's pair features of every pair of real particles (core/particle_math.h:
// pair_feature_values): out (N, M, M, 4), zero on the diagonal and for pairs with
// a padded particle.
void pair_features(Context& ctx, const ConstituentInputs& in, int64_t particles, Tensor& out);

// Multi-head attention with an additive bias and a key mask, token-major:
// q (B, Lq, H·d), k and v (B, Lk, H·d), bias (B, Lq, Lk, H) or undefined,
// key_mask (B, Lk) uint8 or undefined (all real) -> out (B, Lq, H·d), and
// probs (B, H, Lq, Lk) kept for backward (core/particle_math.h: attention_row).
void attention_forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& key_mask, int64_t heads, float scale, Tensor& out, Tensor& probs);
// dq, dk, dv like q, k, v; dbias like bias when given (a null pointer: none).
// Each gradient is summed by one thread in a fixed order (deterministic).
void attention_backward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, float scale, const Tensor& probs, const Tensor& dout, Tensor& dq, Tensor& dk,
                        Tensor& dv, Tensor* dbias);

// x: (N, M, F), mask: (N, M) uint8 or undefined (every particle real),
// weights: (N, M) or undefined (all 1) ->
// y: (N, F) pooled over each jet's real particles (core/particle_math.h:
// pool_feature); winner: (N, F) int32, the particle Max chose (written only
// for Max).
void particle_pool_forward(Context& ctx, PoolMode mode, const Tensor& x, const Tensor& mask, const Tensor& weights,
                           Tensor& y, Tensor& winner);
// dx: (N, M, F) from dy: (N, F); zero for padded particles. Without a mask,
// dx must come allocated as (N, M, F) (it says M).
void particle_pool_backward(Context& ctx, PoolMode mode, const Tensor& dy, const Tensor& mask, const Tensor& weights,
                            const Tensor& winner, Tensor& dx);

// points: (N, M, D), mask: (N, M) uint8 -> neighbours: (N, M, k) int32 (k <= kMaxNeighbours), the
// k nearest real particles of each particle (core/particle_math.h:
// nearest_neighbours: itself, never a padded particle, ties by index). Not
// differentiable (the graph is data, as in DGCNN and ParticleNet).
void knn(Context& ctx, const Tensor& points, const Tensor& mask, int k, Tensor& neighbours);
// EdgeConv's edge features: x: (N, M, C), neighbours: (N, M, k) ->
// edges: (N, M, k, 2C), edge (i, s) = (x_i, x_j - x_i) with j = neighbours[i, s].
void edge_features_forward(Context& ctx, const Tensor& x, const Tensor& neighbours, Tensor& edges);
// dx: (N, M, C) from dedges: (N, M, k, 2C): each edge's gradient back to x_i
// and x_j, summed in a fixed order (deterministic).
void edge_features_backward(Context& ctx, const Tensor& dedges, const Tensor& neighbours, Tensor& dx);
// y = x with the padded particles' rows zeroed: x, y: (N, M, C), mask (N, M)
// uint8 (y may be x). Its own backward: dx = mask_particles(dy).
void mask_particles(Context& ctx, const Tensor& x, const Tensor& mask, Tensor& y);

namespace host {
void constituent_features(Context& ctx, const ConstituentInputs& in, int64_t particles, int features,
                          ConstituentBatch& out);
void particle_pool_forward(Context& ctx, PoolMode mode, const Tensor& x, const Tensor& mask, const Tensor& weights,
                           Tensor& y, Tensor& winner);
void particle_pool_backward(Context& ctx, PoolMode mode, const Tensor& dy, const Tensor& mask, const Tensor& weights,
                            const Tensor& winner, Tensor& dx);
void knn(Context& ctx, const Tensor& points, const Tensor& mask, int k, Tensor& neighbours);
void edge_features_forward(Context& ctx, const Tensor& x, const Tensor& neighbours, Tensor& edges);
void edge_features_backward(Context& ctx, const Tensor& dedges, const Tensor& neighbours, Tensor& dx);
void mask_particles(Context& ctx, const Tensor& x, const Tensor& mask, Tensor& y);
void leading_constituents(Context& ctx, const ConstituentInputs& in, int64_t count, Tensor& out);
void pair_features(Context& ctx, const ConstituentInputs& in, int64_t particles, Tensor& out);
void attention_forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& key_mask, int64_t heads, float scale, Tensor& out, Tensor& probs);
// dscores: (B, H, Lq, Lk) scratch; dbias may be null.
void attention_backward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, float scale, const Tensor& probs, const Tensor& dout, Tensor& dq, Tensor& dk,
                        Tensor& dv, Tensor& dscores, Tensor* dbias);
}  // namespace host

namespace cuda {
void constituent_features(Context& ctx, const ConstituentInputs& in, int64_t particles, int features,
                          ConstituentBatch& out);
void particle_pool_forward(Context& ctx, PoolMode mode, const Tensor& x, const Tensor& mask, const Tensor& weights,
                           Tensor& y, Tensor& winner);
void particle_pool_backward(Context& ctx, PoolMode mode, const Tensor& dy, const Tensor& mask, const Tensor& weights,
                            const Tensor& winner, Tensor& dx);
void knn(Context& ctx, const Tensor& points, const Tensor& mask, int k, Tensor& neighbours);
void edge_features_forward(Context& ctx, const Tensor& x, const Tensor& neighbours, Tensor& edges);
void edge_features_backward(Context& ctx, const Tensor& dedges, const Tensor& neighbours, Tensor& dx);
void mask_particles(Context& ctx, const Tensor& x, const Tensor& mask, Tensor& y);
void leading_constituents(Context& ctx, const ConstituentInputs& in, int64_t count, Tensor& out);
void pair_features(Context& ctx, const ConstituentInputs& in, int64_t particles, Tensor& out);
void attention_forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& key_mask, int64_t heads, float scale, Tensor& out, Tensor& probs);
// dscores: (B, H, Lq, Lk) scratch; dbias may be null.
void attention_backward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, float scale, const Tensor& probs, const Tensor& dout, Tensor& dq, Tensor& dk,
                        Tensor& dv, Tensor& dscores, Tensor* dbias);
}  // namespace cuda

}  // namespace jetimg
