#include "core/particle_ops.h"

#include "core/dispatch.h"
#include "core/error.h"
#include "core/op_checks.h"
#include "core/ops.h"

namespace jetimg {
namespace {

// `t` as an (uninitialised) tensor of `shape` and `dtype` on ctx's device,
// keeping its storage when it already is one.
void fit(Context& ctx, Tensor& t, const Shape& shape, DType dtype = DType::Float32) {
  if (!t.defined() || t.shape() != shape || t.dtype() != dtype || t.device() != ctx.device())
    t = Tensor::empty(shape, ctx.device(), dtype);
}

void check_float(const Tensor& t, const char* op, const char* name) {
  if (t.dtype() != DType::Float32) fail(op, ": '", name, "' must be float32, got ", dtype_name(t.dtype()));
}

// `mask` may be left undefined (every particle real) where `optional`.
void check_mask(const Context& ctx, const Tensor& x, const Tensor& mask, const Tensor& weights, const char* op,
                bool optional = false) {
  check_device(ctx, x, op, "x");
  check_float(x, op, "x");
  if (x.ndim() != 3) fail(op, ": x must be (N, M, F), got ", x.shape().str());
  if (optional && !mask.defined()) {
    if (weights.defined()) fail(op, ": weights are given without a mask");
    return;
  }
  check_device(ctx, mask, op, "mask");
  if (mask.dtype() != DType::UInt8) fail(op, ": 'mask' must be uint8, got ", dtype_name(mask.dtype()));
  if (mask.shape() != Shape{x.dim(0), x.dim(1)})
    fail(op, ": mask has shape ", mask.shape().str(), " but x is ", x.shape().str(), " (expected (N, M))");
  if (weights.defined()) {
    check_device(ctx, weights, op, "weights");
    check_float(weights, op, "weights");
    if (weights.shape() != mask.shape())
      fail(op, ": weights have shape ", weights.shape().str(), " but the mask ", mask.shape().str());
  }
}

}  // namespace

namespace {
// The four-vectors, counts and jets of a constituent batch; returns N.
int64_t check_constituents(const Context& ctx, const ConstituentInputs& in, const char* op) {
  check_device(ctx, in.constituents, op, "constituents");
  check_float(in.constituents, op, "constituents");
  if (in.constituents.ndim() != 3 || in.constituents.dim(2) != 4)
    fail(op, ": constituents must be (N, S, 4) (E, px, py, pz), got ", in.constituents.shape().str());
  const int64_t n = in.constituents.dim(0);
  check_device(ctx, in.counts, op, "counts");
  check_float(in.counts, op, "counts");
  if (in.counts.numel() != n) fail(op, ": ", n, " jets but counts has shape ", in.counts.shape().str());
  check_device(ctx, in.jets, op, "jets");
  check_float(in.jets, op, "jets");
  if (in.jets.numel() != n * 4) fail(op, ": ", n, " jets but jets has shape ", in.jets.shape().str(), " (expected (N, 4))");
  return n;
}
}  // namespace

void constituent_features(Context& ctx, const ConstituentInputs& in, int64_t particles, int features,
                          ConstituentBatch& out) {
  const char* op = "constituent_features";
  const int64_t n = check_constituents(ctx, in, op);
  if (features != kKinematicFeatures && features != kIdentityFeatures)
    fail(op, ": ", features, " features asked for; there are ", kKinematicFeatures, " (kinematic) or ",
         kIdentityFeatures, " (kinematic and particle identity)");
  if (features == kIdentityFeatures) {
    const Shape per_constituent{n, in.constituents.dim(1)};
    for (const auto& [t, name] : {std::pair<const Tensor*, const char*>{&in.pdg, "pdg"}, {&in.charge, "charge"}}) {
      check_device(ctx, *t, op, name);
      check_float(*t, op, name);
      if (t->numel() != per_constituent.numel())
        fail(op, ": '", name, "' has shape ", t->shape().str(), " but the constituents need ", per_constituent.str());
    }
  }
  if (particles < 1 || particles > (int64_t{1} << 20))
    fail(op, ": ", particles, " particles per jet asked for (expected 1 to ", int64_t{1} << 20, ")");
  fit(ctx, out.features, {n, particles, features});
  fit(ctx, out.coords, {n, particles, 2});
  fit(ctx, out.pt_frac, {n, particles});
  fit(ctx, out.mask, {n, particles}, DType::UInt8);
  fit(ctx, out.count, {n}, DType::Int32);
  if (n == 0) return;
  JI_DISPATCH(ctx.device(), constituent_features, ctx, in, particles, features, out);
}

void particle_pool_forward(Context& ctx, PoolMode mode, const Tensor& x, const Tensor& mask, const Tensor& weights,
                           Tensor& y, Tensor& winner) {
  const char* op = "particle_pool_forward";
  check_mask(ctx, x, mask, weights, op, true);
  fit(ctx, y, {x.dim(0), x.dim(2)});
  if (mode == PoolMode::Max) fit(ctx, winner, {x.dim(0), x.dim(2)}, DType::Int32);
  if (y.numel() == 0) return;
  JI_DISPATCH(ctx.device(), particle_pool_forward, ctx, mode, x, mask, weights, y, winner);
}

void particle_pool_backward(Context& ctx, PoolMode mode, const Tensor& dy, const Tensor& mask, const Tensor& weights,
                            const Tensor& winner, Tensor& dx) {
  const char* op = "particle_pool_backward";
  check_device(ctx, dy, op, "dy");
  check_float(dy, op, "dy");
  if (dy.ndim() != 2 || (mask.defined() && (mask.ndim() != 2 || dy.dim(0) != mask.dim(0))))
    fail(op, ": dy must be (N, F) and mask (N, M), got ", dy.shape().str(), " and ", mask.shape().str());
  if (mask.defined()) fit(ctx, dx, {dy.dim(0), mask.dim(1), dy.dim(1)});
  else if (!dx.defined() || dx.ndim() != 3 || dx.dim(0) != dy.dim(0) || dx.dim(2) != dy.dim(1))
    fail(op, ": without a mask, dx must come as (N, M, F) to say M; got ", dx.shape().str(), " for dy ", dy.shape().str());
  check_mask(ctx, dx, mask, weights, op, true);
  if (mode == PoolMode::Max) {
    check_device(ctx, winner, op, "winner");
    if (winner.dtype() != DType::Int32 || winner.shape() != dy.shape())
      fail(op, ": 'winner' must be int32 like dy ", dy.shape().str(), ", got ", dtype_name(winner.dtype()), " ",
           winner.shape().str());
  }
  if (dx.numel() == 0) return;
  JI_DISPATCH(ctx.device(), particle_pool_backward, ctx, mode, dy, mask, weights, winner, dx);
}

void leading_constituents(Context& ctx, const ConstituentInputs& in, int64_t count, Tensor& out) {
  const char* op = "leading_constituents";
  const int64_t n = check_constituents(ctx, in, op);
  if (count < 1 || count > (int64_t{1} << 16)) fail(op, ": ", count, " constituents asked for (expected 1 to 65536)");
  fit(ctx, out, {n, count, 3});
  if (n == 0) return;
  JI_DISPATCH(ctx.device(), leading_constituents, ctx, in, count, out);
}

void knn(Context& ctx, const Tensor& points, const Tensor& mask, int k, Tensor& neighbours) {
  const char* op = "knn";
  check_mask(ctx, points, mask, Tensor(), op);
  if (k < 1 || k > kMaxNeighbours) fail(op, ": k must be in [1, ", kMaxNeighbours, "], got ", k);
  if (points.dim(2) < 1) fail(op, ": points need at least one coordinate, got ", points.shape().str());
  fit(ctx, neighbours, {points.dim(0), points.dim(1), k}, DType::Int32);
  if (neighbours.numel() == 0) return;
  JI_DISPATCH(ctx.device(), knn, ctx, points, mask, k, neighbours);
}

namespace {
void check_neighbours(const Context& ctx, const Tensor& neighbours, int64_t n, int64_t m, const char* op) {
  check_device(ctx, neighbours, op, "neighbours");
  if (neighbours.dtype() != DType::Int32 || neighbours.ndim() != 3 || neighbours.dim(0) != n || neighbours.dim(1) != m)
    fail(op, ": neighbours must be int32 (N, M, k) = (", n, ", ", m, ", k), got ", dtype_name(neighbours.dtype()), " ",
         neighbours.shape().str());
}
}  // namespace

void edge_features_forward(Context& ctx, const Tensor& x, const Tensor& neighbours, Tensor& edges) {
  const char* op = "edge_features_forward";
  check_device(ctx, x, op, "x");
  check_float(x, op, "x");
  if (x.ndim() != 3) fail(op, ": x must be (N, M, C), got ", x.shape().str());
  check_neighbours(ctx, neighbours, x.dim(0), x.dim(1), op);
  fit(ctx, edges, {x.dim(0), x.dim(1), neighbours.dim(2), 2 * x.dim(2)});
  if (edges.numel() == 0) return;
  JI_DISPATCH(ctx.device(), edge_features_forward, ctx, x, neighbours, edges);
}

void edge_features_backward(Context& ctx, const Tensor& dedges, const Tensor& neighbours, Tensor& dx) {
  const char* op = "edge_features_backward";
  check_device(ctx, dedges, op, "dedges");
  check_float(dedges, op, "dedges");
  if (dedges.ndim() != 4 || dedges.dim(3) % 2 != 0)
    fail(op, ": dedges must be (N, M, k, 2C), got ", dedges.shape().str());
  check_neighbours(ctx, neighbours, dedges.dim(0), dedges.dim(1), op);
  if (neighbours.dim(2) != dedges.dim(2))
    fail(op, ": dedges has ", dedges.dim(2), " neighbours per particle but neighbours ", neighbours.dim(2));
  fit(ctx, dx, {dedges.dim(0), dedges.dim(1), dedges.dim(3) / 2});
  if (dx.numel() == 0) return;
  JI_DISPATCH(ctx.device(), edge_features_backward, ctx, dedges, neighbours, dx);
}

void mask_particles(Context& ctx, const Tensor& x, const Tensor& mask, Tensor& y) {
  const char* op = "mask_particles";
  check_mask(ctx, x, mask, Tensor(), op);
  if (!(y.defined() && y.raw_data() == x.raw_data() && y.shape() == x.shape())) fit(ctx, y, x.shape());
  if (y.numel() == 0) return;
  JI_DISPATCH(ctx.device(), mask_particles, ctx, x, mask, y);
}

void pair_features(Context& ctx, const ConstituentInputs& in, int64_t particles, Tensor& out) {
  const char* op = "pair_features";
  const int64_t n = check_constituents(ctx, in, op);
  if (particles < 1 || particles > 4096) fail(op, ": ", particles, " particles per jet asked for (expected 1 to 4096)");
  fit(ctx, out, {n, particles, particles, 4});
  if (n == 0) return;
  JI_DISPATCH(ctx.device(), pair_features, ctx, in, particles, out);
}

namespace {
// q (B, Lq, H·d), k and v (B, Lk, H·d); returns d.
int64_t check_attention(const Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, const char* op) {
  for (const auto& [t, name] : {std::pair<const Tensor*, const char*>{&q, "q"}, {&k, "k"}, {&v, "v"}}) {
    check_device(ctx, *t, op, name);
    check_float(*t, op, name);
    if (t->ndim() != 3) fail(op, ": '", name, "' must be (B, L, H·d), got ", t->shape().str());
  }
  if (heads < 1 || q.dim(2) % heads != 0)
    fail(op, ": ", heads, " heads do not divide the ", q.dim(2), " channels of q");
  if (k.shape() != v.shape() || k.dim(0) != q.dim(0) || k.dim(2) != q.dim(2))
    fail(op, ": k ", k.shape().str(), " and v ", v.shape().str(), " must match each other and q ", q.shape().str(),
         " in batch and channels");
  if (key_mask.defined()) {
    check_device(ctx, key_mask, op, "key_mask");
    if (key_mask.dtype() != DType::UInt8 || key_mask.shape() != Shape{k.dim(0), k.dim(1)})
      fail(op, ": key_mask must be uint8 (B, Lk) = (", k.dim(0), ", ", k.dim(1), "), got ", dtype_name(key_mask.dtype()),
           " ", key_mask.shape().str());
  }
  return q.dim(2) / heads;
}
}  // namespace

void attention_forward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& key_mask, int64_t heads, float scale, Tensor& out, Tensor& probs) {
  const char* op = "attention_forward";
  check_attention(ctx, q, k, v, key_mask, heads, op);
  if (bias.defined()) {
    check_device(ctx, bias, op, "bias");
    check_float(bias, op, "bias");
    if (bias.shape() != Shape{q.dim(0), q.dim(1), k.dim(1), heads})
      fail(op, ": bias must be (B, Lq, Lk, H) = (", q.dim(0), ", ", q.dim(1), ", ", k.dim(1), ", ", heads, "), got ",
           bias.shape().str());
  }
  fit(ctx, out, q.shape());
  fit(ctx, probs, {q.dim(0), heads, q.dim(1), k.dim(1)});
  if (out.numel() == 0 || probs.numel() == 0) return;
  JI_DISPATCH(ctx.device(), attention_forward, ctx, q, k, v, bias, key_mask, heads, scale, out, probs);
}

void attention_backward(Context& ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& key_mask,
                        int64_t heads, float scale, const Tensor& probs, const Tensor& dout, Tensor& dq, Tensor& dk,
                        Tensor& dv, Tensor* dbias) {
  const char* op = "attention_backward";
  check_attention(ctx, q, k, v, key_mask, heads, op);
  check_device(ctx, dout, op, "dout");
  check_same_shape(q, dout, op, "q", "dout");
  check_device(ctx, probs, op, "probs");
  if (probs.shape() != Shape{q.dim(0), heads, q.dim(1), k.dim(1)})
    fail(op, ": probs has shape ", probs.shape().str(), ", not that of this attention's forward");
  fit(ctx, dq, q.shape());
  fit(ctx, dk, k.shape());
  fit(ctx, dv, v.shape());
  if (dbias) fit(ctx, *dbias, {q.dim(0), q.dim(1), k.dim(1), heads});
  if (q.numel() == 0 || k.numel() == 0) {
    if (dq.numel()) fill(ctx, dq, 0.0f);
    if (dk.numel()) fill(ctx, dk, 0.0f);
    if (dv.numel()) fill(ctx, dv, 0.0f);
    return;
  }
  Tensor dscores = Tensor::empty(probs.shape(), ctx.device());
  JI_DISPATCH(ctx.device(), attention_backward, ctx, q, k, v, key_mask, heads, scale, probs, dout, dq, dk, dv, dscores,
              dbias);
}

}  // namespace jetimg
