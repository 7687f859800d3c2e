#include "models/particle_net.h"

#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/particle_ops.h"

namespace jetimg {
namespace {

Json dense(int64_t units, bool bias) {
  Json d = {{"type", "dense"}, {"units", units}};
  if (!bias) d["use_bias"] = false;
  return d;
}
const Json kBatchNorm = {{"type", "batch_norm"}};
const Json kRelu = {{"type", "relu"}};

}  // namespace

ParticleNet::ParticleNet(Context& ctx, const Json& config, const std::string& file) {
  ConfigSection s(config, file, "");
  std::string type = "particlenet";
  std::vector<std::vector<int64_t>> blocks = {{64, 64, 64}, {128, 128, 128}, {256, 256, 256}};
  fc_ = {256};
  double dropout = 0.1;
  s.optional("type", type);
  s.optional("features", features_);
  s.optional("k", k_, 1, kMaxNeighbours);
  s.optional("blocks", blocks);
  s.optional("fc", fc_);
  s.optional("dropout", dropout);
  s.optional("outputs", outputs_, int64_t{1}, kMaxLayerUnits);
  s.finish();
  if (features_ != kKinematicFeatures && features_ != kIdentityFeatures)
    fail(file, ": 'features' is ", features_, ", expected ", kKinematicFeatures, " or ", kIdentityFeatures);
  if (blocks.empty()) fail(file, ": 'blocks' must list at least one EdgeConv block, e.g. [[64, 64, 64]]");
  for (size_t b = 0; b < blocks.size(); ++b) {
    if (blocks[b].empty()) fail(file, ": 'blocks[", b, "]' has no layers");
    for (int64_t c : blocks[b])
      if (c < 1 || c > kMaxLayerUnits) fail(file, ": 'blocks[", b, "]' has a layer of ", c, " channels (expected 1 to ", kMaxLayerUnits, ")");
  }
  for (int64_t u : fc_)
    if (u < 1 || u > kMaxLayerUnits) fail(file, ": 'fc' has a layer of ", u, " units (expected 1 to ", kMaxLayerUnits, ")");
  if (!(dropout >= 0 && dropout < 1)) fail(file, ": 'dropout' must be in [0, 1), got ", dropout);
  dropout_ = static_cast<float>(dropout);

  input_bn_ = std::make_unique<Sequential>(ctx, Json::array({kBatchNorm}), SampleShape{features_}, file + ": input");
  parts_.add("input_bn.", *input_bn_);
  int64_t channels = features_;
  for (size_t b = 0; b < blocks.size(); ++b) {
    Block block;
    block.channels = blocks[b];
    Json edge = Json::array();
    for (int64_t c : blocks[b]) edge.push_back(dense(c, false)), edge.push_back(kBatchNorm), edge.push_back(kRelu);
    const std::string where = file + ": block " + std::to_string(b);
    block.edge = std::make_unique<Sequential>(ctx, edge, SampleShape{2 * channels}, where);
    block.shortcut = std::make_unique<Sequential>(ctx, Json::array({dense(blocks[b].back(), false), kBatchNorm}),
                                                  SampleShape{channels}, where);
    channels = blocks[b].back();
    blocks_.push_back(std::move(block));
  }
  for (size_t b = 0; b < blocks_.size(); ++b) {
    parts_.add("block" + std::to_string(b) + ".edge.", *blocks_[b].edge);
    parts_.add("block" + std::to_string(b) + ".shortcut.", *blocks_[b].shortcut);
  }
  Json head = Json::array();
  for (int64_t u : fc_) {
    Json d = dense(u, true);
    d["activation"] = "relu";
    head.push_back(d);
    if (dropout_ > 0) head.push_back({{"type", "dropout"}, {"rate", config_number(dropout_)}});
  }
  head.push_back(dense(outputs_, true));
  head_ = std::make_unique<Sequential>(ctx, head, SampleShape{channels}, file + ": head");
  parts_.add("head.", *head_);
}

Json ParticleNet::config() const {
  Json blocks = Json::array();
  for (const Block& b : blocks_) blocks.push_back(b.channels);
  return {{"type", "particlenet"}, {"features", features_}, {"k", k_},     {"blocks", blocks},
          {"fc", fc_},             {"dropout", config_number(dropout_)}, {"outputs", outputs_}};
}

const TensorMap& ParticleNet::forward(Context& ctx, const TensorMap& inputs) {
  const Tensor& coords = model_input(inputs, "coords", "particlenet");
  const Tensor& features = model_input(inputs, "features", "particlenet");
  mask_ = model_input(inputs, "mask", "particlenet");
  if (features.ndim() != 3 || features.dim(2) != features_ || features.dim(1) < 1)
    fail("particlenet: expected features (N, M, ", features_, ") with M >= 1, got ", features.shape().str());
  n_ = features.dim(0), m_ = features.dim(1);
  if (coords.shape() != Shape{n_, m_, 2})
    fail("particlenet: expected coords (", n_, ", ", m_, ", 2) beside features ", features.shape().str(), ", got ",
         coords.shape().str());
  const int64_t rows = n_ * m_;
  const Tensor normalised = input_bn_->forward(ctx, features.view({rows, features_}));
  mask_particles(ctx, normalised.view({n_, m_, features_}), mask_, h0_);
  Tensor h = h0_;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Block& block = blocks_[b];
    const int64_t c_in = h.dim(2), c_out = block.channels.back();
    block.input = h;
    knn(ctx, b == 0 ? coords : h, mask_, k_, block.neighbours);
    edge_features_forward(ctx, h, block.neighbours, block.edges);
    const Tensor e = block.edge->forward(ctx, block.edges.view({rows * k_, 2 * c_in}));
    Tensor unused;
    particle_pool_forward(ctx, PoolMode::Mean, e.view({rows, k_, c_out}), Tensor(), Tensor(), block.pooled, unused);
    const Tensor s = block.shortcut->forward(ctx, h.view({rows, c_in}));
    axpy(ctx, 1.0f, s, block.pooled);  // z = a + s, in the pooled buffer
    block.z = block.pooled;
    ensure_tensor(block.y, {rows, c_out}, ctx.device());
    activation_forward(ctx, {ActivationKind::ReLU, 0.0f}, block.z, block.y);
    Tensor y3 = block.y.view({n_, m_, c_out});
    mask_particles(ctx, y3, mask_, y3);
    h = y3;
  }
  Tensor unused;
  particle_pool_forward(ctx, PoolMode::Mean, h, mask_, Tensor(), pooled_, unused);
  result_["score"] = head_->forward(ctx, pooled_);
  return result_;
}

const TensorMap& ParticleNet::backward(Context& ctx, const TensorMap& doutputs) {
  const int64_t rows = n_ * m_;
  const Tensor dpooled = head_->backward(ctx, output_gradient(doutputs, "score", "particlenet"));
  particle_pool_backward(ctx, PoolMode::Mean, dpooled, mask_, Tensor(), Tensor(), dlast_);
  Tensor dh = dlast_;
  for (size_t b = blocks_.size(); b-- > 0;) {
    Block& block = blocks_[b];
    const int64_t c_in = block.input.dim(2), c_out = block.channels.back();
    // Through the mask and the ReLU (dh is ours to overwrite: a pooling or edge gradient).
    mask_particles(ctx, dh, mask_, dh);
    Tensor dz = dh.view({rows, c_out});
    activation_backward(ctx, {ActivationKind::ReLU, 0.0f}, block.z, block.y, dz, dz);
    const Tensor dshort = block.shortcut->backward(ctx, dz);
    ensure_tensor(block.dpooled, {rows, k_, c_out}, ctx.device());
    particle_pool_backward(ctx, PoolMode::Mean, dz, Tensor(), Tensor(), Tensor(), block.dpooled);
    const Tensor dedges = block.edge->backward(ctx, block.dpooled.view({rows * k_, c_out}));
    edge_features_backward(ctx, dedges.view({n_, m_, k_, 2 * c_in}), block.neighbours, block.dinput);
    axpy(ctx, 1.0f, dshort.view({n_, m_, c_in}), block.dinput);
    dh = block.dinput;
  }
  mask_particles(ctx, dh, mask_, dh);
  dinputs_.clear();
  const Tensor dfeatures = input_bn_->backward(ctx, dh.view({rows, features_}));
  if (dfeatures.defined()) dinputs_["features"] = dfeatures.view({n_, m_, features_});
  return dinputs_;
}

}  // namespace jetimg
