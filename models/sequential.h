// Sequential: a stack of layers built from a JSON list of layer configs,
//   [{"type": "flatten"}, {"type": "maxout_dense", "units": 256, "pieces": 5},
//    {"type": "dense", "units": 64}, {"type": "relu"}, {"type": "dense", "units": 1}]
// run forward in order and backward in reverse. Unknown types and keys are
// errors naming the file and the key; config() writes the list back complete
// with defaults, so it rebuilds the same network.
//
// Layer types and their keys: models/layer_registry.h (`jetimg layers` prints
// them, and docs/configs.md holds that table).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/layer.h"
#include "models/model.h"

namespace jetimg {

// As a Model (type "sequential"), its one input is "x" and its one output "y";
// its config is the network file {"type": "sequential", "input_shape": [...],
// "layers": [...]}.
class Sequential : public Model {
 public:
  // `layers`: a JSON list of layer configs; `input_shape`: one sample's shape.
  Sequential(Context& ctx, const Json& layers, const SampleShape& input_shape, const std::string& file = "network");

  std::string type() const override { return "sequential"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override { return {{"x", input_shape_}}; }
  std::vector<TensorSpec> outputs() const override { return {{"y", output_shape_}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  void set_input_gradients(bool needed) override { set_input_gradient(needed); }

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
  std::vector<NamedTensor> parameters() override;
  std::vector<NamedTensor> gradients() override;
  // Running statistics and other untrained state, named like parameters.
  std::vector<NamedTensor> buffers() override;
  // The layers' configs, complete with defaults (the network file's "layers").
  Json layer_configs() const;
  void set_training(bool training) override;

  const SampleShape& input_shape() const { return input_shape_; }
  const SampleShape& output_shape() const { return output_shape_; }
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  SampleShape input_shape_, output_shape_;
  TensorMap outputs_, dinputs_;
};

// A network file: {"input_shape": [25, 25], "layers": [...]} ("type":
// "sequential" may be given).
Sequential load_sequential(Context& ctx, const std::string& path);
// The same from its parsed JSON; `file` names it in errors.
Sequential sequential_from_json(Context& ctx, const Json& json, const std::string& file);
// The JSON of a network file for `net`.
Json network_json(const Sequential& net);

}  // namespace jetimg
