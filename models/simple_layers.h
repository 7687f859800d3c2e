// Layers without parameters: element-wise activations, softmax over the last
// dimension, dropout, flatten and reshape.
#pragma once

#include "core/nn_math.h"
#include "models/layer.h"

namespace jetimg {

// Activation names as configs spell them: "relu", "leaky_relu", "sigmoid",
// "tanh", "linear". parse_activation fails naming `where` and the known names.
std::string activation_name(ActivationKind kind);
ActivationKind parse_activation(const std::string& name, const std::string& where);

// "relu", "leaky_relu" (y = slope·x below zero; slope 0.2 by default),
// "sigmoid", "tanh".
class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(ActivationParams params) : params_(params) {}
  std::string type() const override;
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override;

 private:
  ActivationParams params_;
  Tensor x_, y_, dx_;
};

// Softmax over the last dimension.
class SoftmaxLayer : public Layer {
 public:
  std::string type() const override { return "softmax"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override { return {{"type", type()}}; }

 private:
  Tensor y_, dx_;
};

// Inverted dropout: in training, each element is zeroed with probability
// `rate` and the rest scaled by 1/(1 - rate), with a mask from the context's
// next random stream (the same mask on the CPU and CUDA for one seed); at
// inference, the identity.
class Dropout : public Layer {
 public:
  explicit Dropout(float rate);
  std::string type() const override { return "dropout"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override { return {{"type", type()}, {"rate", config_number(rate_)}}; }

 private:
  float rate_;
  bool masked_ = false;  // whether the last forward applied a mask
  Tensor mask_, y_, dx_;
};

// (N, d1, d2, ...) -> (N, d1·d2·...), sharing storage (row-major order, so a
// (N, H, W) image becomes row after row).
class Flatten : public Layer {
 public:
  std::string type() const override { return "flatten"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override { return {{"type", type()}}; }
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  Shape input_shape_;
  bool seen_input_ = false;
};

// (N, d1, ...) -> (N, shape...) with the same elements in the same
// (row-major) order, sharing storage. One entry of `shape` may be -1: the
// size that makes the element counts agree.
class Reshape : public Layer {
 public:
  explicit Reshape(SampleShape shape) : shape_(std::move(shape)) {}
  std::string type() const override { return "reshape"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  Json config() const override { return {{"type", type()}, {"shape", shape_}}; }
  // The target shape with -1 resolved; Error if `input` does not fit.
  SampleShape output_shape(const SampleShape& input) const override;

 private:
  SampleShape shape_;
  Shape input_shape_;
  bool seen_input_ = false;
};

}  // namespace jetimg
