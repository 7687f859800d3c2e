#include "models/part.h"

#include <cmath>

#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/particle_ops.h"

namespace jetimg {
namespace {

Json dense(int64_t units, const char* activation = "linear") {
  return {{"type", "dense"}, {"units", units}, {"activation", activation}};
}
const Json kLayerNorm = {{"type", "layer_norm"}};

// dst = a + b (shapes of a), into dst's storage.
void add_into(Context& ctx, const Tensor& a, const Tensor& b, Tensor& dst) {
  ensure_tensor(dst, a.shape(), ctx.device()).copy_from_async(ctx, a);
  axpy(ctx, 1.0f, b.view(a.shape()), dst);
}

}  // namespace

ParticleTransformer::ParticleTransformer(Context& ctx, const Json& config, const std::string& file) {
  ConfigSection s(config, file, "");
  std::string type = "part";
  embed_dims_ = {128, 512, 128};
  pair_dims_ = {64, 64, 64};
  int64_t blocks = 8, class_blocks = 2;
  s.optional("type", type);
  s.optional("features", features_);
  s.optional("embed", embed_dims_);
  s.optional("pair_embed", pair_dims_);
  s.optional("heads", heads_, int64_t{1}, int64_t{256});
  s.optional("blocks", blocks, int64_t{0}, int64_t{64});
  s.optional("class_blocks", class_blocks, int64_t{1}, int64_t{64});
  s.optional("ffn_ratio", ffn_ratio_, int64_t{1}, int64_t{16});
  s.optional("outputs", outputs_, int64_t{1}, kMaxLayerUnits);
  s.finish();
  if (features_ != kKinematicFeatures && features_ != kIdentityFeatures)
    fail(file, ": 'features' is ", features_, ", expected ", kKinematicFeatures, " or ", kIdentityFeatures);
  if (embed_dims_.empty()) fail(file, ": 'embed' must list at least one width, e.g. [128, 512, 128]");
  for (int64_t d : embed_dims_)
    if (d < 1 || d > kMaxLayerUnits) fail(file, ": 'embed' has a width of ", d, " (expected 1 to ", kMaxLayerUnits, ")");
  for (int64_t d : pair_dims_)
    if (d < 1 || d > kMaxLayerUnits) fail(file, ": 'pair_embed' has a width of ", d, " (expected 1 to ", kMaxLayerUnits, ")");
  channels_ = embed_dims_.back();
  if (channels_ % heads_ != 0)
    fail(file, ": ", heads_, " heads do not divide the embedding's ", channels_, " channels");

  Json embed = Json::array();
  for (int64_t d : embed_dims_) embed.push_back(kLayerNorm), embed.push_back(dense(d, "gelu"));
  embed_ = std::make_unique<Sequential>(ctx, embed, SampleShape{features_}, file + ": embed");
  Json pair = Json::array();
  for (int64_t d : pair_dims_) pair.push_back(dense(d, "gelu"));
  pair.push_back(dense(heads_));
  pair_embed_ = std::make_unique<Sequential>(ctx, pair, SampleShape{4}, file + ": pair_embed");
  blocks_.resize(static_cast<size_t>(blocks));
  class_blocks_.resize(static_cast<size_t>(class_blocks));
  for (Block& b : blocks_) make_block(ctx, b, false, file);
  for (Block& b : class_blocks_) make_block(ctx, b, true, file);
  cls_ = Tensor::empty({channels_}, ctx.device());
  random_normal(ctx, cls_, 0.0f, 0.02f);  // as ParT's trunc_normal(std = 0.02)
  dcls_ = Tensor::zeros({channels_}, ctx.device());
  head_norm_ = std::make_unique<Sequential>(ctx, Json::array({kLayerNorm}), SampleShape{channels_}, file + ": head");
  head_ = std::make_unique<Sequential>(ctx, Json::array({dense(outputs_)}), SampleShape{channels_}, file + ": head");

  parts_.add("embed.", *embed_);
  parts_.add("pair_embed.", *pair_embed_);
  for (size_t b = 0; b < blocks_.size(); ++b) add_block(blocks_[b], "block" + std::to_string(b) + ".", false);
  parts_.add_tensor("cls_token", cls_, dcls_);
  for (size_t b = 0; b < class_blocks_.size(); ++b)
    add_block(class_blocks_[b], "class_block" + std::to_string(b) + ".", true);
  parts_.add("head_norm.", *head_norm_);
  parts_.add("head.", *head_);
}

void ParticleTransformer::make_block(Context& ctx, Block& b, bool class_block, const std::string& file) {
  const SampleShape c{channels_};
  const auto seq = [&](const Json& layers) {
    return std::make_unique<Sequential>(ctx, layers, c, file + (class_block ? ": class block" : ": block"));
  };
  b.norm_q = seq(Json::array({kLayerNorm}));
  if (class_block) b.norm_kv = seq(Json::array({kLayerNorm}));
  b.q = seq(Json::array({dense(channels_)}));
  b.k = seq(Json::array({dense(channels_)}));
  b.v = seq(Json::array({dense(channels_)}));
  b.proj = seq(Json::array({dense(channels_)}));
  b.norm_ffn = seq(Json::array({kLayerNorm}));
  b.ffn = seq(Json::array({dense(ffn_ratio_ * channels_, "gelu"), dense(channels_)}));
}

void ParticleTransformer::add_block(Block& b, const std::string& prefix, bool class_block) {
  parts_.add(prefix + "norm_q.", *b.norm_q);
  if (class_block) parts_.add(prefix + "norm_kv.", *b.norm_kv);
  parts_.add(prefix + "q.", *b.q);
  parts_.add(prefix + "k.", *b.k);
  parts_.add(prefix + "v.", *b.v);
  parts_.add(prefix + "proj.", *b.proj);
  parts_.add(prefix + "norm_ffn.", *b.norm_ffn);
  parts_.add(prefix + "ffn.", *b.ffn);
}

Json ParticleTransformer::config() const {
  return {{"type", "part"},
          {"features", features_},
          {"embed", embed_dims_},
          {"pair_embed", pair_dims_},
          {"heads", heads_},
          {"blocks", static_cast<int64_t>(blocks_.size())},
          {"class_blocks", static_cast<int64_t>(class_blocks_.size())},
          {"ffn_ratio", ffn_ratio_},
          {"outputs", outputs_}};
}

const TensorMap& ParticleTransformer::forward(Context& ctx, const TensorMap& inputs) {
  const Tensor& features = model_input(inputs, "features", "part");
  const Tensor& pairs = model_input(inputs, "pairs", "part");
  mask_ = model_input(inputs, "mask", "part");
  if (features.ndim() != 3 || features.dim(2) != features_ || features.dim(1) < 1)
    fail("part: expected features (N, M, ", features_, ") with M >= 1, got ", features.shape().str());
  n_ = features.dim(0), m_ = features.dim(1);
  if (pairs.shape() != Shape{n_, m_, m_, 4})
    fail("part: expected pairs (", n_, ", ", m_, ", ", m_, ", 4) beside features ", features.shape().str(), ", got ",
         pairs.shape().str());
  const int64_t rows = n_ * m_, c = channels_;
  const Shape cloud{n_, m_, c};
  const float scale = 1.0f / std::sqrt(static_cast<float>(c / heads_));

  x_in_.resize(blocks_.size() + 1);
  const Tensor embedded = embed_->forward(ctx, features.view({rows, features_}));
  ensure_tensor(x_in_[0], cloud, ctx.device());
  mask_particles(ctx, embedded.view(cloud), mask_, x_in_[0]);
  bias_ = pair_embed_->forward(ctx, pairs.view({rows * m_, 4})).view({n_, m_, m_, heads_});
  for (size_t i = 0; i < blocks_.size(); ++i) {
    Block& b = blocks_[i];
    const Tensor x = x_in_[i].view({rows, c});
    const Tensor h = b.norm_q->forward(ctx, x);
    b.qo = b.q->forward(ctx, h), b.ko = b.k->forward(ctx, h), b.vo = b.v->forward(ctx, h);
    attention_forward(ctx, b.qo.view(cloud), b.ko.view(cloud), b.vo.view(cloud), bias_, mask_, heads_, scale,
                      b.attended, b.probs);
    add_into(ctx, x, b.proj->forward(ctx, b.attended.view({rows, c})), b.residual);
    const Tensor f = b.ffn->forward(ctx, b.norm_ffn->forward(ctx, b.residual));
    add_into(ctx, b.residual, f, x_in_[i + 1]);
    Tensor out = x_in_[i + 1].view(cloud);
    mask_particles(ctx, out, mask_, out);
  }
  x_final_ = x_in_.back().view({rows, c});
  // The class token, the same for every jet at the start.
  u_in_.resize(class_blocks_.size() + 1);
  ensure_tensor(u_in_[0], {n_, c}, ctx.device());
  fill(ctx, u_in_[0], 0.0f);
  bias_add(ctx, u_in_[0], cls_);
  for (size_t i = 0; i < class_blocks_.size(); ++i) {
    Block& b = class_blocks_[i];
    const Tensor& u = u_in_[i];
    b.qo = b.q->forward(ctx, b.norm_q->forward(ctx, u));
    const Tensor hkv = b.norm_kv->forward(ctx, x_final_);
    b.ko = b.k->forward(ctx, hkv), b.vo = b.v->forward(ctx, hkv);
    attention_forward(ctx, b.qo.view({n_, 1, c}), b.ko.view(cloud), b.vo.view(cloud), Tensor(), mask_, heads_, scale,
                      b.attended, b.probs);
    add_into(ctx, u, b.proj->forward(ctx, b.attended.view({n_, c})), b.residual);
    add_into(ctx, b.residual, b.ffn->forward(ctx, b.norm_ffn->forward(ctx, b.residual)), u_in_[i + 1]);
  }
  result_["score"] = head_->forward(ctx, head_norm_->forward(ctx, u_in_.back()));
  return result_;
}

const TensorMap& ParticleTransformer::backward(Context& ctx, const TensorMap& doutputs) {
  const int64_t rows = n_ * m_, c = channels_;
  const Shape cloud{n_, m_, c};
  const float scale = 1.0f / std::sqrt(static_cast<float>(c / heads_));

  Tensor du = head_norm_->backward(ctx, head_->backward(ctx, output_gradient(doutputs, "score", "part")));
  ensure_tensor(du_, {n_, c}, ctx.device()).copy_from_async(ctx, du);
  ensure_tensor(dx_, {rows, c}, ctx.device());
  fill(ctx, dx_, 0.0f);
  for (size_t i = class_blocks_.size(); i-- > 0;) {
    Block& b = class_blocks_[i];
    add_into(ctx, du_, b.norm_ffn->backward(ctx, b.ffn->backward(ctx, du_)), b.dresidual);
    const Tensor da = b.proj->backward(ctx, b.dresidual);
    attention_backward(ctx, b.qo.view({n_, 1, c}), b.ko.view(cloud), b.vo.view(cloud), mask_, heads_, scale, b.probs,
                       da.view({n_, 1, c}), b.dq, b.dk, b.dv, nullptr);
    add_into(ctx, b.dresidual, b.norm_q->backward(ctx, b.q->backward(ctx, b.dq.view({n_, c}))), du_);
    add_into(ctx, b.k->backward(ctx, b.dk.view({rows, c})), b.v->backward(ctx, b.dv.view({rows, c})), b.dkv_in);
    axpy(ctx, 1.0f, b.norm_kv->backward(ctx, b.dkv_in), dx_);
  }
  sum_rows(ctx, du_, dcls_);
  for (size_t i = blocks_.size(); i-- > 0;) {
    Block& b = blocks_[i];
    Tensor dx3 = dx_.view(cloud);
    mask_particles(ctx, dx3, mask_, dx3);
    add_into(ctx, dx_, b.norm_ffn->backward(ctx, b.ffn->backward(ctx, dx_)), b.dresidual);
    const Tensor da = b.proj->backward(ctx, b.dresidual);
    attention_backward(ctx, b.qo.view(cloud), b.ko.view(cloud), b.vo.view(cloud), mask_, heads_, scale, b.probs, da.view(cloud),
                       b.dq, b.dk, b.dv, &b.dbias);
    if (i + 1 == blocks_.size())
      ensure_tensor(dbias_total_, b.dbias.shape(), ctx.device()).copy_from_async(ctx, b.dbias);
    else
      axpy(ctx, 1.0f, b.dbias, dbias_total_);
    add_into(ctx, b.q->backward(ctx, b.dq.view({rows, c})), b.k->backward(ctx, b.dk.view({rows, c})), b.dkv_in);
    axpy(ctx, 1.0f, b.v->backward(ctx, b.dv.view({rows, c})), b.dkv_in);
    add_into(ctx, b.dresidual, b.norm_q->backward(ctx, b.dkv_in), dx_);
  }
  Tensor dx3 = dx_.view(cloud);
  mask_particles(ctx, dx3, mask_, dx3);
  if (!blocks_.empty()) pair_embed_->backward(ctx, dbias_total_.view({rows * m_, heads_}));
  const Tensor dfeatures = embed_->backward(ctx, dx_);
  dinputs_.clear();
  if (dfeatures.defined()) dinputs_["features"] = dfeatures.view({n_, m_, features_});
  return dinputs_;
}

}  // namespace jetimg
