#include "models/sequential.h"

#include <map>

#include "core/error.h"
#include "models/layer_registry.h"

namespace jetimg {

Sequential::Sequential(Context& ctx, const Json& layers, const SampleShape& input_shape, const std::string& file)
    : input_shape_(input_shape), output_shape_(input_shape) {
  if (input_shape.empty() || input_shape.size() > 3)
    fail(file, ": 'input_shape' must have 1 to 3 dimensions (one sample), got ", shape_string(input_shape));
  for (int64_t d : input_shape)
    if (d < 1) fail(file, ": 'input_shape' must be positive, got ", shape_string(input_shape));
  checked_sample_values(input_shape, file + ": 'input_shape'");
  if (!layers.is_array() || layers.empty())
    fail(file, ": 'layers' must be a list of one or more layer configs, got ", layers.dump());
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string path = "layers[" + std::to_string(i) + "]";
    layers_.push_back(make_layer(ctx, layers[i], output_shape_, file, path));
    output_shape_ = layers_.back()->output_shape(output_shape_);
    checked_sample_values(output_shape_, file + ": '" + path + "' (" + layers_.back()->type() + ")");
  }
}

Tensor Sequential::forward(Context& ctx, const Tensor& x) {
  bool fits = x.ndim() == static_cast<int>(input_shape_.size()) + 1;
  for (size_t i = 0; fits && i < input_shape_.size(); ++i) fits = x.dim(static_cast<int>(i) + 1) == input_shape_[i];
  if (!fits) fail("network: expected input (N, ", shape_string(input_shape_).substr(1), ", got ", x.shape().str());
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(ctx, h);
  return h;
}

Tensor Sequential::backward(Context& ctx, const Tensor& dy) {
  Tensor g = dy;
  for (auto it = layers_.rbegin(); it != layers_.rend() && g.defined(); ++it) g = (*it)->backward(ctx, g);
  return g;
}

std::vector<NamedTensor> Sequential::parameters() {
  std::vector<NamedTensor> all;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (NamedTensor p : layers_[i]->parameters()) all.push_back({std::to_string(i) + "." + p.name, p.tensor});
  return all;
}

std::vector<NamedTensor> Sequential::gradients() {
  std::vector<NamedTensor> all;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (NamedTensor g : layers_[i]->gradients()) all.push_back({std::to_string(i) + "." + g.name, g.tensor});
  return all;
}

std::vector<NamedTensor> Sequential::buffers() {
  std::vector<NamedTensor> all;
  for (size_t i = 0; i < layers_.size(); ++i)
    for (NamedTensor b : layers_[i]->buffers()) all.push_back({std::to_string(i) + "." + b.name, b.tensor});
  return all;
}

const TensorMap& Sequential::forward(Context& ctx, const TensorMap& inputs) {
  outputs_["y"] = forward(ctx, model_input(inputs, "x", "sequential model"));
  return outputs_;
}

const TensorMap& Sequential::backward(Context& ctx, const TensorMap& doutputs) {
  const Tensor& dy = output_gradient(doutputs, "y", "sequential model");
  dinputs_.clear();
  const Tensor dx = backward(ctx, dy);
  if (dx.defined()) dinputs_["x"] = dx;
  return dinputs_;
}

Json Sequential::config() const { return {{"type", "sequential"}, {"input_shape", input_shape_}, {"layers", layer_configs()}}; }

Json Sequential::layer_configs() const {
  Json list = Json::array();
  for (const auto& layer : layers_) list.push_back(layer->config());
  return list;
}

void Sequential::set_training(bool training) {
  for (auto& layer : layers_) layer->set_training(training);
}

Sequential load_sequential(Context& ctx, const std::string& path) {
  return sequential_from_json(ctx, load_json_file(path), path);
}

Sequential sequential_from_json(Context& ctx, const Json& json, const std::string& path) {
  ConfigSection top(json, path, "");
  top.accept("input_shape");
  top.accept("layers");
  std::string type = "sequential";
  top.optional("type", type);
  if (type != "sequential") fail(path, ": 'type' must be \"sequential\" for a list of layers, got \"", type, "\"");
  top.finish();
  if (!json.is_object() || !json.contains("input_shape") || !json.contains("layers"))
    fail(path, ": a network file needs 'input_shape' and 'layers'");
  const Json& shape = json["input_shape"];
  SampleShape input;
  if (!shape.is_array()) fail(path, ": 'input_shape' must be a list of integers, got ", shape.dump());
  for (const Json& d : shape) {
    if (!d.is_number_integer()) fail(path, ": 'input_shape' must be a list of integers, got ", shape.dump());
    input.push_back(d.get<int64_t>());
  }
  return Sequential(ctx, json["layers"], input, path);
}

Json network_json(const Sequential& net) {
  return {{"input_shape", net.input_shape()}, {"layers", net.layer_configs()}};
}

}  // namespace jetimg
