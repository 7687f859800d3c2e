// ParT, the Particle Transformer (Qu, Li, Qian, "Particle Transformer for jet
// tagging", 2022): particles embedded by an MLP, pair features (ln kT, ln z,
// ln ΔR, ln m²) embedded into one additive attention bias per head, particle
// attention blocks, class attention blocks that pool into a class token, and
// a linear head.
//
//   {"type": "part", "features": 7, "embed": [128, 512, 128], "pair_embed": [64, 64, 64],
//    "heads": 8, "blocks": 8, "class_blocks": 2, "ffn_ratio": 4, "outputs": 1}
//
// Embedding: per entry of "embed", layer norm, dense, GELU, on every particle.
// Pair embedding: per entry of "pair_embed", dense and GELU, then dense to one
// value per head, on every pair: the bias U (N, M, M, heads).
// Particle block, on x (N, M, C):   x += proj(attention(LN(x); bias U, padded keys masked))
//                                   x += W2·GELU(W1·LN(x))        (W1: C -> ffn_ratio·C)
// with padded particles zeroed after each block. Class block, on the class
// token u (N, C), learned and shared at the start:
//                                   u += proj(attention(q = LN(u); k, v = LN(x) of the real particles))
//                                   u += W2·GELU(W1·LN(u))
// Head: layer norm, dense to "outputs" logits.
//
// Differences from the published network: the pair embedding has no batch
// normalisation; the class token attends to the particles only (not to
// itself); no dropout and no extra normalisation inside the blocks. The
// published sizes are the config above; "part_small" in configs/nets/ trains
// on 2 cores.
//
// Inputs: "features" (M, F) with F 7 or 13, "pairs" (M, M, 4), "mask" (M).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/sequential.h"

namespace jetimg {

class ParticleTransformer : public Model {
 public:
  ParticleTransformer(Context& ctx, const Json& config, const std::string& file);

  std::string type() const override { return "part"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override {
    return {{"features", {-1, features_}}, {"pairs", {-1, -1, 4}}, {"mask", {-1}}};
  }
  std::vector<TensorSpec> outputs() const override { return {{"score", head_->output_shape()}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  void set_input_gradients(bool needed) override { embed_->set_input_gradient(needed); }
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }

 private:
  // One attention block: the query side's norm and projection, the key and
  // value side's (the same as the query's for particle blocks), the output
  // projection and the feed-forward part with its norm.
  struct Block {
    std::unique_ptr<Sequential> norm_q, norm_kv, q, k, v, proj, norm_ffn, ffn;
    Tensor qo, ko, vo;  // the projections of the last forward
    Tensor probs, attended, dq, dk, dv, dbias, residual, dresidual, dkv_in;
  };
  void make_block(Context& ctx, Block& b, bool class_block, const std::string& file);
  void add_block(Block& b, const std::string& prefix, bool class_block);

  int64_t features_ = 7, heads_ = 8, ffn_ratio_ = 4, outputs_ = 1;
  std::vector<int64_t> embed_dims_, pair_dims_;
  int64_t channels_ = 0;
  std::unique_ptr<Sequential> embed_, pair_embed_, head_norm_, head_;
  std::vector<Block> blocks_, class_blocks_;
  Tensor cls_, dcls_;
  ModelParts parts_;
  // Saved by forward.
  Tensor mask_, bias_, x_final_, u_, dbias_total_, dx_, du_;
  std::vector<Tensor> x_in_;  // each particle block's input
  std::vector<Tensor> u_in_;  // each class block's input
  int64_t n_ = 0, m_ = 0;
  TensorMap result_, dinputs_;
};

}  // namespace jetimg
