#include "models/graph.h"

#include <algorithm>
#include <set>

#include "core/conv_ops.h"
#include "core/error.h"
#include "core/ops.h"
#include "models/layer_registry.h"

namespace jetimg {
namespace {

SampleShape shape_from(const Json& v, const std::string& where) {
  if (!v.is_array() || v.empty() || v.size() > 3)
    fail(where, " must be a list of 1 to 3 sizes (one sample), got ", v.dump());
  SampleShape shape;
  for (const Json& d : v) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1) fail(where, " must be a list of positive sizes, got ", v.dump());
    shape.push_back(d.get<int64_t>());
  }
  checked_sample_values(shape, where);
  return shape;
}

std::vector<std::string> names_from(const Json& v, const std::string& where) {
  if (!v.is_array() || v.empty()) fail(where, " must be a non-empty list of names, got ", v.dump());
  std::vector<std::string> names;
  for (const Json& n : v) {
    if (!n.is_string()) fail(where, " must be a list of names, got ", v.dump());
    names.push_back(n.get<std::string>());
  }
  return names;
}

// (N, d...) -> (N, d0, 1, 1) for flat samples, (N, C, H, W) as it is for images.
Tensor as_channels(const Tensor& t) {
  if (t.ndim() == 2) return t.view({t.dim(0), t.dim(1), 1, 1});
  return t;
}

}  // namespace

Graph::Graph(Context& ctx, const Json& config, const std::string& file) {
  ConfigSection top(config, file, "");
  std::string type;
  top.optional("type", type);
  top.accept("inputs");
  top.accept("nodes");
  top.accept("outputs");
  top.finish();
  if (!config.contains("inputs") || !config["inputs"].is_object() || config["inputs"].empty())
    fail(file, ": 'inputs' must be an object of input names and their one-sample shapes");
  std::map<std::string, SampleShape> shape_of;
  for (const auto& item : config["inputs"].items()) {
    inputs_.push_back({item.key(), shape_from(item.value(), file + ": 'inputs." + item.key() + "'")});
    shape_of[item.key()] = inputs_.back().shape;
  }
  if (!config.contains("nodes") || !config["nodes"].is_array() || config["nodes"].empty())
    fail(file, ": 'nodes' must be a non-empty list of nodes");
  const Json& nodes = config["nodes"];
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string path = "nodes[" + std::to_string(i) + "]";
    const Json& n = nodes[i];
    ConfigSection s(n, file, path);
    Node node;
    s.required("name", node.name);
    s.accept("inputs");
    s.accept("layer");
    std::string merge;
    s.optional("merge", merge);
    s.finish();
    if (node.name.empty() || node.name.find('.') != std::string::npos)
      fail(file, ": '", path, ".name' must be a name without dots, got '", node.name, "'");
    if (shape_of.count(node.name)) fail(file, ": '", path, ".name' '", node.name, "' is used twice");
    if (!n.contains("inputs")) fail(file, ": required key '", path, ".inputs' is missing");
    node.inputs = names_from(n["inputs"], file + ": '" + path + ".inputs'");
    std::vector<SampleShape> in;
    for (const std::string& input : node.inputs) {
      if (!shape_of.count(input))
        fail(file, ": '", path, ".inputs' names '", input, "', which is neither a graph input nor an earlier node");
      in.push_back(shape_of[input]);
    }
    if (n.contains("layer") == !merge.empty())
      fail(file, ": '", path, "' must have either a 'layer' or a 'merge' (\"concatenate\" or \"add\")");
    if (n.contains("layer")) {
      if (node.inputs.size() != 1) fail(file, ": '", path, "' is a layer and takes one input, not ", node.inputs.size());
      node.layer = make_layer(ctx, n["layer"], in[0], file, path + ".layer");
      node.shape = node.layer->output_shape(in[0]);
    } else if (merge == "concatenate" || merge == "add") {
      if (node.inputs.size() < 2) fail(file, ": '", path, "' merges two or more inputs");
      node.merge = merge == "add" ? Merge::Add : Merge::Concatenate;
      node.shape = in[0];
      for (size_t k = 1; k < in.size(); ++k) {
        bool fits = in[k].size() == in[0].size();
        for (size_t d = node.merge == Merge::Add ? 0 : 1; fits && d < in[0].size(); ++d) fits = in[k][d] == in[0][d];
        if (!fits)
          fail(file, ": '", path, "' cannot ", merge, " ", shape_string(in[0]), " and ", shape_string(in[k]),
               merge == "add" ? " (the shapes must be equal)" : " (all but the first dimension must be equal)");
        if (node.merge == Merge::Concatenate) node.shape[0] += in[k][0];
      }
      if (node.merge == Merge::Concatenate && node.shape.size() == 2)
        fail(file, ": '", path, "' concatenates (F) or (C, H, W) samples, not ", shape_string(in[0]));
    } else {
      fail(file, ": '", path, ".merge' must be \"concatenate\" or \"add\", got \"", merge, "\"");
    }
    checked_sample_values(node.shape, file + ": '" + path + "'");
    shape_of[node.name] = node.shape;
    nodes_.push_back(std::move(node));
  }
  for (Node& node : nodes_)
    if (node.layer) parts_.add(node.name + ".", *node.layer);
  if (!config.contains("outputs") || !config["outputs"].is_object() || config["outputs"].empty())
    fail(file, ": 'outputs' must be an object of output names and the nodes they are");
  for (const auto& item : config["outputs"].items()) {
    if (!item.value().is_string()) fail(file, ": 'outputs.", item.key(), "' must name a node");
    const std::string node = item.value().get<std::string>();
    const bool is_node =
        std::any_of(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.name == node; });
    if (!is_node) fail(file, ": 'outputs.", item.key(), "' names '", node, "', which is not a node");
    outputs_.push_back({item.key(), shape_of[node]});
    output_nodes_.push_back(node);
  }
}

Json Graph::config() const {
  Json inputs = Json::object(), nodes = Json::array(), outputs = Json::object();
  for (const TensorSpec& t : inputs_) inputs[t.name] = t.shape;
  for (const Node& n : nodes_) {
    Json node = {{"name", n.name}, {"inputs", n.inputs}};
    if (n.layer)
      node["layer"] = n.layer->config();
    else
      node["merge"] = n.merge == Merge::Add ? "add" : "concatenate";
    nodes.push_back(node);
  }
  for (size_t i = 0; i < outputs_.size(); ++i) outputs[outputs_[i].name] = output_nodes_[i];
  return {{"type", "graph"}, {"inputs", inputs}, {"nodes", nodes}, {"outputs", outputs}};
}

std::vector<Graph::NodeView> Graph::nodes() {
  std::map<std::string, SampleShape> shape_of;
  for (const TensorSpec& t : inputs_) shape_of[t.name] = t.shape;
  std::vector<NodeView> out;
  for (Node& n : nodes_) {
    out.push_back({n.name, n.inputs, n.layer.get(),
                   n.layer ? "" : (n.merge == Merge::Add ? "add" : "concatenate"), shape_of.at(n.inputs[0])});
    shape_of[n.name] = n.shape;
  }
  return out;
}

void Graph::set_input_gradients(bool needed) {
  input_gradients_ = needed;
  // Layers fed straight from graph inputs need not compute their input's gradient.
  for (Node& n : nodes_) {
    if (!n.layer) continue;
    const bool from_input = std::any_of(inputs_.begin(), inputs_.end(),
                                        [&](const TensorSpec& t) { return t.name == n.inputs[0]; });
    if (from_input) n.layer->set_input_gradient(needed);
  }
}

const TensorMap& Graph::forward(Context& ctx, const TensorMap& inputs) {
  int64_t batch = -1;
  for (const TensorSpec& t : inputs_) {
    const Tensor& x = model_input(inputs, t.name, "graph model");
    bool fits = x.ndim() == static_cast<int>(t.shape.size()) + 1 && (batch < 0 || x.dim(0) == batch);
    for (size_t d = 0; fits && d < t.shape.size(); ++d) fits = x.dim(static_cast<int>(d) + 1) == t.shape[d];
    if (!fits)
      fail("graph model: input '", t.name, "' is ", x.shape().str(), ", expected (N, ", shape_string(t.shape).substr(1),
           batch >= 0 ? " with the batch of the other inputs" : "");
    batch = x.dim(0);
    values_[t.name] = x;
  }
  for (Node& n : nodes_) {
    if (n.layer) {
      values_[n.name] = n.layer->forward(ctx, values_.at(n.inputs[0]));
      continue;
    }
    std::vector<int64_t> dims{batch};
    dims.insert(dims.end(), n.shape.begin(), n.shape.end());
    Tensor& y = ensure_tensor(values_[n.name], Shape(dims), ctx.device());
    if (n.merge == Merge::Add) {
      y.copy_from(values_.at(n.inputs[0]));
      for (size_t k = 1; k < n.inputs.size(); ++k) axpy(ctx, 1.0f, values_.at(n.inputs[k]), y);
    } else {
      std::vector<Tensor> parts;
      for (const std::string& in : n.inputs) parts.push_back(as_channels(values_.at(in)));
      Tensor out = as_channels(y);
      concatenate_channels_forward(ctx, parts, out);
    }
  }
  result_.clear();
  for (size_t i = 0; i < outputs_.size(); ++i) result_[outputs_[i].name] = values_.at(output_nodes_[i]);
  return result_;
}

void Graph::accumulate(Context& ctx, const std::string& name, const Tensor& grad) {
  if (std::find(grad_seen_.begin(), grad_seen_.end(), name) == grad_seen_.end()) {
    grad_seen_.push_back(name);
    ensure_tensor(grads_[name], grad.shape(), ctx.device()).copy_from(grad);
  } else {
    axpy(ctx, 1.0f, grad, grads_.at(name));
  }
}

const TensorMap& Graph::backward(Context& ctx, const TensorMap& doutputs) {
  grad_seen_.clear();
  for (size_t i = 0; i < outputs_.size(); ++i) {
    const auto it = doutputs.find(outputs_[i].name);
    if (it != doutputs.end()) accumulate(ctx, output_nodes_[i], it->second);
  }
  for (auto n = nodes_.rbegin(); n != nodes_.rend(); ++n) {
    if (std::find(grad_seen_.begin(), grad_seen_.end(), n->name) == grad_seen_.end()) continue;  // no gradient reaches it
    const Tensor dy = grads_.at(n->name);
    if (n->layer) {
      const Tensor dx = n->layer->backward(ctx, dy);
      if (dx.defined()) accumulate(ctx, n->inputs[0], dx);
    } else if (n->merge == Merge::Add) {
      for (const std::string& in : n->inputs) accumulate(ctx, in, dy);
    } else {
      std::vector<Tensor> dxs;
      for (const std::string& in : n->inputs) dxs.push_back(Tensor::empty(as_channels(values_.at(in)).shape(), ctx.device()));
      concatenate_channels_backward(ctx, as_channels(dy), dxs);
      for (size_t k = 0; k < n->inputs.size(); ++k) accumulate(ctx, n->inputs[k], dxs[k].view(values_.at(n->inputs[k]).shape()));
    }
  }
  dinputs_.clear();
  if (input_gradients_)
    for (const TensorSpec& t : inputs_)
      if (std::find(grad_seen_.begin(), grad_seen_.end(), t.name) != grad_seen_.end()) dinputs_[t.name] = grads_.at(t.name);
  return dinputs_;
}

}  // namespace jetimg
