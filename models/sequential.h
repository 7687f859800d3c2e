// Sequential: a stack of layers built from a JSON list of layer configs,
//   [{"type": "flatten"}, {"type": "maxout_dense", "units": 256, "pieces": 5},
//    {"type": "dense", "units": 64}, {"type": "relu"}, {"type": "dense", "units": 1}]
// run forward in order and backward in reverse. Unknown types and keys are
// errors naming the file and the key; config() writes the list back complete
// with defaults, so it rebuilds the same network.
//
// Layer types and keys (defaults in brackets):
//   dense         units, activation [linear] (relu, leaky_relu, sigmoid, tanh,
//                 linear; fused with the bias), slope [0.2] (leaky_relu only),
//                 init [glorot_uniform]
//   maxout_dense  units, pieces, init [glorot_uniform]
//   relu, sigmoid, tanh, softmax, flatten
//   leaky_relu    slope [0.2]
//   dropout       rate
//   reshape       shape (one sample; one size may be -1)
//   batch_norm    momentum [0.1] (PyTorch's convention), epsilon [1e-5];
//                 inputs (F) or (C, H, W)
//   conv2d, locally_connected2d, max_pool2d, avg_pool2d, up_sampling2d,
//   zero_padding2d: images (C, H, W), keys in models/conv_layers.h
//   minibatch_discrimination (flat inputs), inpainting_attention (images):
//                 keys in models/gan_layers.h
// init: he_uniform, glorot_uniform, glorot_normal, zeros (biases start at zero).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/layer.h"

namespace jetimg {

// One layer for inputs of one-sample shape `input`. `file` and `path` name the
// config in error messages ("w.json: 'layers[2].units' ...").
std::unique_ptr<Layer> make_layer(Context& ctx, const Json& config, const SampleShape& input, const std::string& file,
                                  const std::string& path);

class Sequential {
 public:
  // `layers`: a JSON list of layer configs; `input_shape`: one sample's shape.
  Sequential(Context& ctx, const Json& layers, const SampleShape& input_shape, const std::string& file = "network");

  // x: (N, input_shape...) -> (N, output_shape...).
  Tensor forward(Context& ctx, const Tensor& x);
  // dy: like forward's output -> dx: like its input. Fills every layer's gradients.
  // After set_input_gradient(false), dx may be left out (an undefined tensor).
  Tensor backward(Context& ctx, const Tensor& dy);
  // Whether backward must return dx (the default); a network fed with data
  // needs none, which saves the first dense layer's largest GEMM.
  void set_input_gradient(bool needed) {
    if (!layers_.empty()) layers_.front()->set_input_gradient(needed);
  }

  // Named "<layer index>.<name>" ("0.weight", "1.bias"), as PyTorch's
  // nn.Sequential names its state.
  std::vector<NamedTensor> parameters();
  std::vector<NamedTensor> gradients();
  // Running statistics and other untrained state, named like parameters.
  std::vector<NamedTensor> buffers();
  Json config() const;
  void set_training(bool training);

  const SampleShape& input_shape() const { return input_shape_; }
  const SampleShape& output_shape() const { return output_shape_; }
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  SampleShape input_shape_, output_shape_;
};

// A network file: {"input_shape": [25, 25], "layers": [...]}.
Sequential load_sequential(Context& ctx, const std::string& path);
// The same from its parsed JSON; `file` names it in errors.
Sequential sequential_from_json(Context& ctx, const Json& json, const std::string& file);
// The JSON of a network file for `net`.
Json network_json(const Sequential& net);

}  // namespace jetimg
