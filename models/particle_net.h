// ParticleNet (Qu, Gouskos, "Jet tagging via particle clouds", 2020): the
// jet as a point cloud, EdgeConv blocks on a k-nearest-neighbour graph that
// is rebuilt in each block's feature space, global average pooling over the
// real particles, and a dense head.
//
//   {"type": "particlenet", "features": 7, "k": 16,
//    "blocks": [[64, 64, 64], [128, 128, 128], [256, 256, 256]],
//    "fc": [256], "dropout": 0.1, "outputs": 1}
//
// The input features are batch-normalised first. Block b, on particle
// features h (N, M, C):
//   neighbours = knn(coords for the first block, else h; k)
//   edges (i, j) = (h_i, h_j - h_i)                                    (N, M, k, 2C)
//   edge MLP: per channel c of the block, dense (no bias), batch norm, ReLU
//   a_i = mean over i's k edges;  s_i = shortcut(h_i): dense (no bias), batch norm
//   h' = ReLU(a + s), padded particles zeroed                          (N, M, C_last of the block)
// then the mean of h' over each jet's real particles, and the head: dense
// (ReLU, dropout) per "fc" entry, dense "outputs" (logits). The published
// network is the config above (k = 16, three blocks, fc 256, dropout 0.1);
// ParticleNet-Lite is k = 7, blocks [[32, 32, 32], [64, 64, 64]], fc [128].
//
// Inputs: "coords" (M, 2) (Δη, Δφ), "features" (M, F) with F 7 or 13
// (core/particle_math.h), "mask" (M); M any (-1 in the specs). Output
// "score". Parameters: "input_bn.0.*", "block<b>.edge.<i>.*",
// "block<b>.shortcut.<i>.*", "head.<i>.*".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/sequential.h"

namespace jetimg {

class ParticleNet : public Model {
 public:
  ParticleNet(Context& ctx, const Json& config, const std::string& file);

  std::string type() const override { return "particlenet"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override {
    return {{"coords", {-1, 2}}, {"features", {-1, features_}}, {"mask", {-1}}};
  }
  std::vector<TensorSpec> outputs() const override { return {{"score", head_->output_shape()}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  void set_input_gradients(bool needed) override { input_bn_->set_input_gradient(needed); }
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }

 private:
  struct Block {
    std::vector<int64_t> channels;
    std::unique_ptr<Sequential> edge, shortcut;
    // Saved by forward for backward.
    Tensor input, neighbours, edges, pooled, z, y, dedges, dpooled, dinput;
  };
  int64_t features_ = 7;
  int k_ = 16;
  std::vector<int64_t> fc_;
  float dropout_ = 0.1f;
  int64_t outputs_ = 1;
  std::unique_ptr<Sequential> input_bn_, head_;
  std::vector<Block> blocks_;
  ModelParts parts_;
  Tensor mask_, h0_, pooled_, dlast_, dh0_;
  int64_t n_ = 0, m_ = 0;
  TensorMap result_, dinputs_;
};

}  // namespace jetimg
