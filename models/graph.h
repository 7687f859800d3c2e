// Graph: a model that is a small DAG of layers, for networks with several
// inputs, skip connections and concatenation. Sequential is its simplest
// case (a chain with one input).
//
//   {"type": "graph",
//    "inputs": {"images": [1, 25, 25], "jet": [4]},
//    "nodes": [
//      {"name": "conv", "inputs": ["images"], "layer": {"type": "conv2d", "filters": 8, "kernel_size": 3}},
//      {"name": "flat", "inputs": ["conv"], "layer": {"type": "flatten"}},
//      {"name": "both", "inputs": ["flat", "jet"], "merge": "concatenate"},
//      {"name": "score", "inputs": ["both"], "layer": {"type": "dense", "units": 1}}],
//    "outputs": {"score": "score"}}
//
// A node is a registered layer ("layer": its config; one input) or a merge of
// two or more inputs: "concatenate" along the first dimension of a sample
// (features of (F) inputs, channels of (C, H, W) ones, the rest equal) or
// "add" (equal shapes). Inputs name graph inputs or earlier nodes, so the
// list is in an order that can run; outputs name nodes. Parameters are named
// "<node>.<name>" ("conv.weight"). A node's output used by several nodes
// gets the sum of their gradients.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"

namespace jetimg {

class Graph : public Model {
 public:
  Graph(Context& ctx, const Json& config, const std::string& file);

  std::string type() const override { return "graph"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override { return inputs_; }
  std::vector<TensorSpec> outputs() const override { return outputs_; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  void set_input_gradients(bool needed) override;
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }

  // The nodes in order, for exporters: name, inputs, the layer (nullptr for a
  // merge), the merge ("concatenate" or "add"; "" for a layer) and the
  // one-sample shape of the node's (first) input.
  struct NodeView {
    std::string name;
    std::vector<std::string> inputs;
    Layer* layer;
    std::string merge;
    SampleShape input_shape;
  };
  std::vector<NodeView> nodes();
  const std::string& output_node(size_t output) const { return output_nodes_.at(output); }

 private:
  enum class Merge { None, Concatenate, Add };
  struct Node {
    std::string name;
    std::vector<std::string> inputs;
    Merge merge = Merge::None;
    std::unique_ptr<Layer> layer;  // for Merge::None
    SampleShape shape;             // its output, one sample
  };
  void accumulate(Context& ctx, const std::string& name, const Tensor& grad);

  std::vector<TensorSpec> inputs_, outputs_;
  std::vector<std::string> output_nodes_;  // per output, the node it is
  std::vector<Node> nodes_;
  ModelParts parts_;
  bool input_gradients_ = true;
  TensorMap values_, grads_, result_, dinputs_;
  std::vector<std::string> grad_seen_;  // names whose gradient holds a first contribution this backward
};

}  // namespace jetimg
