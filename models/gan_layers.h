// Layers of CaloGAN/LAGAN-style networks, over the ops of core/gan_ops.h.
//
// Config keys and defaults: registered in gan_layers.cpp (models/layer_registry.h;
// `jetimg layers` prints them).
//
// MinibatchDiscrimination (Salimans et al. 2016, as CaloGAN and LAGAN use it):
//   m = x · weight + bias, viewed as (N, F, V);  y = f(minibatch(m)) : (N, F)
// with minibatch() the op of core/gan_ops.h. Parameters weight (in, F·V) and
// bias (F·V), column f·V + v. CaloGAN's Dense3D keeps a kernel (F, in, V) and
// a bias (F, V): kernel[f, i, v] = weight[i, f·V + v], bias[f, v] =
// bias[f·V + v]. The bias cancels in every distance m[i] - m[j], so it never
// changes the output and its gradient is zero up to rounding; it is there so
// that CaloGAN's weights load as they are (use_bias false leaves it out).
// Initialiser fans are those of one dense unit: fan_in = in, fan_out = F·V
// (Keras counts Dense3D's 3-D kernel as fan_in = in·F, fan_out = V·F).
//
// InpaintingAttention (CaloGAN's inter-layer conditioning): x (N, C, H, W)
// holds a calorimeter layer's own image in channel 0 and, in the last
// channel, the image carried over from the layer before. A locally connected
// layer with C filters on x zero-padded by kernel_size / 2 gives per-pixel
// logits h (N, C, H, W), and y = Σ_c softmax_c(h) · x_c (N, 1, H, W). Its
// parameters are the locally connected layer's, weight (H·W, k·k·C, C) and
// bias (H, W, C); bias_init's default of -10 on the last channel starts the
// layer all but ignoring the carried-over image, as CaloGAN does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/nn_math.h"
#include "models/conv_layers.h"
#include "models/init.h"
#include "models/layer.h"

namespace jetimg {

class MinibatchDiscrimination : public Layer {
 public:
  MinibatchDiscrimination(Context& ctx, int64_t in, int64_t features = 10, int64_t dims = 10,
                          ActivationParams activation = {ActivationKind::Tanh, 0.0f}, Init init = Init::GlorotUniform,
                          bool use_bias = true);
  std::string type() const override { return "minibatch_discrimination"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override;
  std::vector<NamedTensor> gradients() override;
  Json config() const override;
  SampleShape output_shape(const SampleShape&) const override { return {features_}; }

 private:
  int64_t in_, features_, dims_;
  ActivationParams activation_;
  Init init_;
  Tensor weight_, bias_, dweight_, dbias_;  // (in, F·V), (F·V); no bias: undefined
  Tensor x_, m_, o_, y_, do_, dm_, dx_;     // m: (N, F·V); o: (N, F) before the activation
};

class InpaintingAttention : public Layer {
 public:
  // `input`: one sample's shape (C, H, W), C >= 2. `bias_init`: empty for
  // the default (0, ..., 0, -10), one value or C values.
  InpaintingAttention(Context& ctx, const SampleShape& input, int kernel_size = 3, std::vector<float> bias_init = {},
                      Init init = Init::GlorotUniform);
  std::string type() const override { return "inpainting_attention"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override { return logits_->parameters(); }
  std::vector<NamedTensor> gradients() override { return logits_->gradients(); }
  Json config() const override;
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  SampleShape input_;
  int kernel_size_;
  std::vector<float> bias_init_;
  Init init_;
  std::unique_ptr<ZeroPadding2D> pad_;
  std::unique_ptr<LocallyConnected2D> logits_;
  Tensor x_, h_, y_, dx_, dh_;
};

}  // namespace jetimg
