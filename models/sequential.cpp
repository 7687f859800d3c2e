#include "models/sequential.h"

#include <map>

#include "core/error.h"
#include "models/batchnorm.h"
#include "models/conv_layers.h"
#include "models/dense.h"
#include "models/gan_layers.h"
#include "models/init.h"
#include "models/simple_layers.h"

namespace jetimg {
namespace {

const char* kLayerTypes =
    "dense, maxout_dense, relu, leaky_relu, sigmoid, tanh, softmax, dropout, flatten, reshape, batch_norm";

int64_t positive(ConfigSection& s, const std::string& key, int64_t most) {
  int64_t value = 0;
  s.required(key, value, int64_t{1}, most);
  return value;
}

int64_t flat_size(const SampleShape& input, const std::string& type, const std::string& file,
                  const std::string& path) {
  if (input.size() != 1)
    fail(file, ": '", path, "' (", type, ") needs flat inputs, but gets ", shape_string(input),
         "; put {\"type\": \"flatten\"} before it");
  return input[0];
}

}  // namespace

std::unique_ptr<Layer> make_layer(Context& ctx, const Json& config, const SampleShape& input, const std::string& file,
                                  const std::string& path) {
  ConfigSection s(config, file, path);
  if (!config.is_object()) fail(file, ": '", path, "' must be a layer config object, got ", config.dump());
  std::string type;
  s.required("type", type);
  // A misspelt key is reported as such, before any missing one it may stand for.
  static const std::map<std::string, std::vector<std::string>> kKeys = {
      {"dense", {"units", "init", "activation", "slope"}},
      {"maxout_dense", {"units", "pieces", "init"}},
      {"leaky_relu", {"slope"}},
      {"dropout", {"rate"}},
      {"reshape", {"shape"}},
      {"batch_norm", {"momentum", "epsilon"}}};
  if (const auto keys = kKeys.find(type); keys != kKeys.end()) {
    ConfigSection names(config, file, path);
    names.accept("type");
    for (const std::string& key : keys->second) names.accept(key);
    names.finish();
  }
  if (type == "dense" || type == "maxout_dense") {
    const int64_t units = positive(s, "units", kMaxLayerUnits);
    const int64_t pieces = type == "maxout_dense" ? positive(s, "pieces", 64) : 1;
    std::string init = "glorot_uniform", activation = "linear";
    s.optional("init", init);
    ActivationParams act{ActivationKind::Linear, 0.2f};
    if (type == "dense") {
      s.optional("activation", activation);
      act.kind = parse_activation(activation, file + ": '" + path + ".activation'");
      if (act.kind == ActivationKind::LeakyReLU) s.optional("slope", act.slope);
    }
    s.finish();
    const Init initialiser = parse_init(init, file + ": '" + path + ".init'");
    const int64_t in = flat_size(input, type, file, path);
    if (type == "dense") return std::make_unique<Dense>(ctx, in, units, initialiser, act);
    return std::make_unique<MaxoutDense>(ctx, in, units, pieces, initialiser);
  }
  if (type == "relu" || type == "leaky_relu" || type == "sigmoid" || type == "tanh") {
    ActivationParams p;
    p.kind = type == "relu" ? ActivationKind::ReLU
             : type == "leaky_relu" ? ActivationKind::LeakyReLU
             : type == "sigmoid" ? ActivationKind::Sigmoid
                                 : ActivationKind::Tanh;
    if (p.kind == ActivationKind::LeakyReLU) {
      p.slope = 0.2f;
      s.optional("slope", p.slope);
    }
    s.finish();
    return std::make_unique<ActivationLayer>(p);
  }
  if (type == "softmax" || type == "flatten") {
    s.finish();
    if (type == "softmax") return std::make_unique<SoftmaxLayer>();
    return std::make_unique<Flatten>();
  }
  if (type == "dropout") {
    float rate = 0.0f;
    s.required("rate", rate);
    s.finish();
    if (!(rate >= 0.0f && rate < 1.0f)) fail(file, ": '", path, ".rate' must be in [0, 1), got ", rate);
    return std::make_unique<Dropout>(rate);
  }
  if (type == "reshape") {
    if (!config.contains("shape") || !config["shape"].is_array())
      fail(file, ": '", path, ".shape' must be a list of sizes (one may be -1)");
    s.accept("shape");
    s.finish();
    SampleShape shape;
    for (const Json& d : config["shape"]) {
      if (!d.is_number_integer()) fail(file, ": '", path, ".shape' must be a list of integers, got ", config["shape"].dump());
      shape.push_back(d.get<int64_t>());
    }
    auto layer = std::make_unique<Reshape>(shape);
    try {
      layer->output_shape(input);
    } catch (const Error& e) {
      fail(file, ": '", path, "': ", e.what());
    }
    return layer;
  }
  if (type == "batch_norm") {
    float momentum = 0.1f, eps = 1e-5f;
    s.optional("momentum", momentum);
    s.optional("epsilon", eps);
    s.finish();
    if (!(momentum >= 0 && momentum <= 1)) fail(file, ": '", path, ".momentum' must be in [0, 1], got ", momentum);
    if (!(eps > 0)) fail(file, ": '", path, ".epsilon' must be > 0, got ", eps);
    if (input.size() != 1 && input.size() != 3)
      fail(file, ": '", path, "' (batch_norm) needs inputs (F) or (C, H, W), but gets ", shape_string(input));
    return std::make_unique<BatchNorm>(ctx, input, momentum, eps);
  }
  if (auto layer = make_image_layer(ctx, type, s, config, input, file, path)) return layer;
  if (auto layer = make_gan_layer(ctx, type, s, config, input, file, path)) return layer;
  fail(file, ": '", path, ".type' is '", type, "', not a layer type (known: ", kLayerTypes, ", ", kImageLayerTypes,
       ", ", kGanLayerTypes, ")");
}

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

Json Sequential::config() const {
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
  return {{"input_shape", net.input_shape()}, {"layers", net.config()}};
}

}  // namespace jetimg
