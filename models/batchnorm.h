// Batch normalisation (Ioffe & Szegedy 2015) for dense features and images.
//
// Input (N, F): each of the F features is normalised over the batch.
// Input (N, C, H, W): each channel is normalised over the batch and its pixels
// (PyTorch's BatchNorm2d, Keras' axis=1).
//
// Training: y = weight · (x - mean_batch) / sqrt(var_batch + eps) + bias, and
// the running statistics move by `momentum` (PyTorch's convention, default
// 0.1: r ← (1 - momentum)·r + momentum·batch, unbiased variance; Keras'
// momentum m corresponds to 1 - m). Inference: the running statistics
// instead of the batch's.
//
// Parameters "weight" (γ, ones) and "bias" (β, zeros), buffers
// "running_mean" (zeros) and "running_var" (ones), each (F) or (C), named and
// laid out as PyTorch names them.
#pragma once

#include "models/layer.h"

namespace jetimg {

class BatchNorm : public Layer {
 public:
  // `input`: one sample's shape, (F) or (C, H, W).
  BatchNorm(Context& ctx, const SampleShape& input, float momentum = 0.1f, float eps = 1e-5f);
  std::string type() const override { return "batch_norm"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override { return {{"weight", &gamma_}, {"bias", &beta_}}; }
  std::vector<NamedTensor> gradients() override { return {{"weight", &dgamma_}, {"bias", &dbeta_}}; }
  std::vector<NamedTensor> buffers() override {
    return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
  }
  Json config() const override { return {{"type", type()}, {"momentum", config_number(momentum_)}, {"epsilon", config_number(eps_)}}; }

 private:
  float momentum_, eps_;
  int64_t channels_;
  Tensor gamma_, beta_, dgamma_, dbeta_, running_mean_, running_var_;
  Tensor save_mean_, save_invstd_, x_, y_, dx_;
  bool trained_forward_ = false;  // whether the last forward used batch statistics
};

// Layer normalisation (Ba, Kiros, Hinton 2016) of each sample's (F)
// features: the same in training and inference, no running statistics.
// Parameters "weight" (ones) and "bias" (zeros), each (F), as PyTorch's
// nn.LayerNorm names them.
class LayerNorm : public Layer {
 public:
  LayerNorm(Context& ctx, int64_t features, float eps = 1e-5f);
  std::string type() const override { return "layer_norm"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override { return {{"weight", &gamma_}, {"bias", &beta_}}; }
  std::vector<NamedTensor> gradients() override { return {{"weight", &dgamma_}, {"bias", &dbeta_}}; }
  Json config() const override { return {{"type", type()}, {"epsilon", config_number(eps_)}}; }

 private:
  float eps_;
  int64_t features_;
  Tensor gamma_, beta_, dgamma_, dbeta_, save_mean_, save_invstd_, x_, y_, dx_;
};

}  // namespace jetimg
