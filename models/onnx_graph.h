// Building an ONNX graph node by node, for layers to write themselves
// (models/layer_registry.h) and for the exporter (models/onnx_export.h). The
// onnx headers stay in the .cpp: layer files include only this.
#pragma once

#include <string>
#include <vector>

#include "models/layer.h"

namespace jetimg {

// An attribute of a node: a list of integers, one integer, one float or a string.
struct OnnxAttribute {
  enum class Kind { Ints, Int, Float, Text };
  std::string name;
  Kind kind = Kind::Int;
  std::vector<int64_t> ints;
  float f = 0;
  std::string s;
  static OnnxAttribute list(const std::string& name, std::vector<int64_t> values);
  static OnnxAttribute integer(const std::string& name, int64_t value);
  static OnnxAttribute real(const std::string& name, float value);
  static OnnxAttribute text(const std::string& name, const std::string& value);
};

class OnnxGraph {
 public:
  // `graph`: an onnx::GraphProto (opaque here).
  explicit OnnxGraph(void* graph) : graph_(graph) {}
  // A new node with one output named `name`; returns that name.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& name,
                   const std::vector<OnnxAttribute>& attributes = {});
  // Constants: a tensor's values (copied to the host), int64 and float lists.
  std::string initializer(const std::string& name, const Tensor& values);
  std::string int64s(const std::string& name, const std::vector<int64_t>& values);
  std::string floats(const std::string& name, const std::vector<float>& values);
  // `kind` ("linear", "relu", "leaky_relu" with `slope`, "sigmoid", "tanh") on x.
  std::string activation(const std::string& kind, float slope, const std::string& x, const std::string& name);

 private:
  void* graph_;
};

// The parameter or buffer `name` of `layer`; an Error naming `where` if it has none.
Tensor& layer_tensor(Layer& layer, const std::string& name, const std::string& where);
// (h, w) from a config value that is an integer or [h, w].
std::pair<int64_t, int64_t> config_pair(const Json& value);

}  // namespace jetimg
