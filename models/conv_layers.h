// Image layers of CNN taggers, over the ops of core/conv_ops.h. Inputs are
// images (N, C, H, W); a network whose images have no channel dimension
// starts with input_shape [1, H, W] (or a reshape layer).
//
// Config keys and defaults are registered in conv_layer_configs.cpp
// (models/layer_registry.h; `jetimg layers` prints them). A window pair is an
// integer or [h, w]; locally_connected2d has valid padding only, as in Keras.
// 'same' padding is TensorFlow's: ceil(in / stride) outputs, one more row or
// column of padding after than before for even kernels.
//
// use_bias false makes a layer without a bias: it has no bias parameter at
// all, so its parameter list and checkpoint hold the weight alone. bias_init
// is the bias' starting value: a number for every filter or a list of one
// number per filter, broadcast over the positions of a locally connected
// layer (CaloGAN starts its attention layer at [0, -10], so that the image
// carried over from the previous calorimeter layer is all but ignored at
// first). config() writes use_bias only when false and bias_init only when
// not all zero, so the configs of layers with a plain bias read as before.
//
// Parameters, named as PyTorch names them (biases start at zero unless
// bias_init says otherwise):
//   conv2d              weight (F, C, KH, KW), bias (F). Keras' kernel is
//                       (KH, KW, C, F): keras[kh, kw, c, f] = weight[f, c, kh, kw].
//   locally_connected2d weight (OH·OW, KH·KW·C, F), bias (OH, OW, F): Keras'
//                       own layout (the middle index is (kh·KW + kw)·C + c).
// Initialiser fans are those of one output unit: conv2d fan_in = C·KH·KW,
// fan_out = F·KH·KW (as Keras); locally_connected2d fan_in = KH·KW·C,
// fan_out = F (each position a small dense layer; Keras instead counts all
// positions, which makes its initial weights smaller by about sqrt(OH·OW)).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/conv_ops.h"
#include "core/nn_math.h"
#include "models/init.h"
#include "models/layer.h"

namespace jetimg {

// Whether a layer has a bias, and where it starts: `init` empty (zero), one
// value (every filter) or one value per filter, broadcast over positions.
struct BiasConfig {
  bool use = true;
  std::vector<float> init;
};

class Conv2D : public Layer {
 public:
  // `input`: one sample's shape (C, H, W).
  Conv2D(Context& ctx, const SampleShape& input, int64_t filters, int kernel_h, int kernel_w, Conv2dParams params,
         ActivationParams activation = {ActivationKind::Linear, 0.0f}, Init init = Init::GlorotUniform,
         BiasConfig bias = {});
  std::string type() const override { return "conv2d"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override;
  std::vector<NamedTensor> gradients() override;
  Json config() const override;
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  int64_t channels_, filters_;
  int kernel_h_, kernel_w_;
  Conv2dParams params_;
  ActivationParams activation_;
  Init init_;
  BiasConfig bias_config_;
  Tensor weight_, bias_, dweight_, dbias_;  // (F, C, KH, KW), (F); no bias: undefined
  Tensor x_, z_, y_, dz_, dx_;              // z: before the activation
};

class LocallyConnected2D : public Layer {
 public:
  LocallyConnected2D(Context& ctx, const SampleShape& input, int64_t filters, LocallyConnected2dParams params,
                     ActivationParams activation = {ActivationKind::Linear, 0.0f}, Init init = Init::GlorotUniform,
                     BiasConfig bias = {});
  std::string type() const override { return "locally_connected2d"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override;
  std::vector<NamedTensor> gradients() override;
  Json config() const override;
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  SampleShape input_;
  int64_t filters_;
  LocallyConnected2dParams params_;
  ActivationParams activation_;
  Init init_;
  BiasConfig bias_config_;
  Tensor weight_, bias_, dweight_, dbias_;  // (OH·OW, KH·KW·C, F), (OH, OW, F); no bias: undefined
  Tensor x_, z_, y_, dz_, dx_;
};

// "max_pool2d" or "avg_pool2d".
class Pool2D : public Layer {
 public:
  enum class Kind { Max, Average };
  Pool2D(Kind kind, Pool2dParams params);
  std::string type() const override { return kind_ == Kind::Max ? "max_pool2d" : "avg_pool2d"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override;
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  Kind kind_;
  Pool2dParams params_;  // strides resolved (never 0)
  Tensor x_, y_, dx_;
};

class UpSampling2D : public Layer {
 public:
  explicit UpSampling2D(UpSampling2dParams params);
  std::string type() const override { return "up_sampling2d"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override;
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  UpSampling2dParams params_;
  Tensor x_, y_, dx_;
};

class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(ZeroPadding2dParams params);
  std::string type() const override { return "zero_padding2d"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override;
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  ZeroPadding2dParams params_;
  Tensor x_, y_, dx_;
};

}  // namespace jetimg
