#include "models/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <vector>

#include "core/conv_math.h"
#include "core/error.h"
#include "io/atomic_output.h"

namespace jetimg {
namespace {

// Builds the graph node by node; names are unique per layer.
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto* graph) : g_(graph) {}

  // A new node with one output; returns the output's name.
  std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& name,
                   const std::vector<onnx::AttributeProto>& attributes = {}) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(name);
    for (const auto& a : attributes) *n->add_attribute() = a;
    return name;
  }

  std::string initializer(const std::string& name, const Tensor& t) {
    const Tensor host = t.to(Device::cpu());
    onnx::TensorProto* p = g_->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::FLOAT);
    for (int i = 0; i < host.ndim(); ++i) p->add_dims(host.dim(i));
    p->set_raw_data(host.data(), static_cast<size_t>(host.numel()) * sizeof(float));
    return name;
  }

  std::string int64s(const std::string& name, const std::vector<int64_t>& values) {
    onnx::TensorProto* p = g_->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::INT64);
    p->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) p->add_int64_data(v);
    return name;
  }

  std::string floats(const std::string& name, const std::vector<float>& values) {
    onnx::TensorProto* p = g_->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::FLOAT);
    p->add_dims(static_cast<int64_t>(values.size()));
    for (float v : values) p->add_float_data(v);
    return name;
  }

 private:
  onnx::GraphProto* g_;
};

onnx::AttributeProto ints(const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
  return a;
}
onnx::AttributeProto one_int(const std::string& name, int64_t value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
  return a;
}
onnx::AttributeProto one_float(const std::string& name, float value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(value);
  return a;
}
onnx::AttributeProto text(const std::string& name, const std::string& value) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(value);
  return a;
}

void set_value_info(onnx::ValueInfoProto* v, const std::string& name, const SampleShape& sample) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("N");
  for (int64_t d : sample) s->add_dim()->set_dim_value(d);
}

std::pair<int64_t, int64_t> pair_of(const Json& v) {
  if (v.is_array()) return {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()};
  return {v.get<int64_t>(), v.get<int64_t>()};
}

// An activation by name (as in dense and conv2d configs) on `x`.
std::string activation(GraphBuilder& b, const Json& config, const std::string& x, const std::string& name) {
  const std::string kind = config.value("activation", std::string("linear"));
  if (kind == "linear") return x;
  if (kind == "relu") return b.node("Relu", {x}, name + "_relu");
  if (kind == "sigmoid") return b.node("Sigmoid", {x}, name + "_sigmoid");
  if (kind == "tanh") return b.node("Tanh", {x}, name + "_tanh");
  if (kind == "leaky_relu")
    return b.node("LeakyRelu", {x}, name + "_leaky_relu", {one_float("alpha", config.value("slope", 0.2f))});
  fail("ONNX export: activation '", kind, "' of ", name, " has no mapping");
}

Tensor* named(std::vector<NamedTensor> list, const std::string& name, const std::string& layer) {
  for (const NamedTensor& t : list)
    if (t.name == name) return t.tensor;
  fail("ONNX export: layer ", layer, " has no tensor '", name, "'");
}

}  // namespace

void export_onnx(Sequential& net, ScoreTransform transform, const std::string& path, const std::string& note) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("jetimg");
  model.set_producer_version("0.1.0");
  model.set_doc_string(note);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("jetimg_tagger");
  GraphBuilder b(graph);

  set_value_info(graph->add_input(), "images", net.input_shape());
  std::string x = "images";
  SampleShape shape = net.input_shape();
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    const Json config = layer.config();
    const std::string type = layer.type();
    char prefix[64];
    std::snprintf(prefix, sizeof prefix, "layer_%02zu_%s", i, type.c_str());
    const std::string name = prefix;
    if (type == "flatten") {
      x = b.node("Flatten", {x}, name, {one_int("axis", 1)});
    } else if (type == "reshape") {
      std::vector<int64_t> target = {0};  // 0: keep the batch size
      for (int64_t d : layer.output_shape(shape)) target.push_back(d);
      x = b.node("Reshape", {x, b.int64s(name + "_shape", target)}, name);
    } else if (type == "dense") {
      x = b.node("Gemm", {x, b.initializer(name + ".weight", *named(layer.parameters(), "weight", name)),
                          b.initializer(name + ".bias", *named(layer.parameters(), "bias", name))},
                 name + "_gemm");
      x = activation(b, config, x, name);
    } else if (type == "maxout_dense") {
      const int64_t units = config.at("units").get<int64_t>(), pieces = config.at("pieces").get<int64_t>();
      x = b.node("Gemm", {x, b.initializer(name + ".weight", *named(layer.parameters(), "weight", name)),
                          b.initializer(name + ".bias", *named(layer.parameters(), "bias", name))},
                 name + "_gemm");
      x = b.node("Reshape", {x, b.int64s(name + "_pieces_shape", {0, pieces, units})}, name + "_pieces");
      x = b.node("ReduceMax", {x}, name, {ints("axes", {1}), one_int("keepdims", 0)});
    } else if (type == "relu" || type == "sigmoid" || type == "tanh" || type == "leaky_relu") {
      Json as_activation = config;
      as_activation["activation"] = type;
      x = activation(b, as_activation, x, name);
    } else if (type == "softmax") {
      x = b.node("Softmax", {x}, name, {one_int("axis", -1)});
    } else if (type == "dropout") {
      // inference: the identity
    } else if (type == "batch_norm") {
      x = b.node("BatchNormalization",
                 {x, b.initializer(name + ".weight", *named(layer.parameters(), "weight", name)),
                  b.initializer(name + ".bias", *named(layer.parameters(), "bias", name)),
                  b.initializer(name + ".running_mean", *named(layer.buffers(), "running_mean", name)),
                  b.initializer(name + ".running_var", *named(layer.buffers(), "running_var", name))},
                 name, {one_float("epsilon", config.value("epsilon", 1e-5f))});
    } else if (type == "conv2d") {
      const Tensor& w = *named(layer.parameters(), "weight", name);
      const auto [sh, sw] = pair_of(config.value("strides", Json(1)));
      const Padding padding = config.value("padding", std::string("valid")) == "same" ? Padding::Same : Padding::Valid;
      const Window2d g = make_window(static_cast<int>(shape.at(1)), static_cast<int>(shape.at(2)),
                                     static_cast<int>(w.dim(2)), static_cast<int>(w.dim(3)), static_cast<int>(sh),
                                     static_cast<int>(sw), padding);
      // Conv's bias input is optional: a layer without a bias (use_bias false) leaves it out.
      std::vector<std::string> inputs{x, b.initializer(name + ".weight", w)};
      if (layer.parameters().size() > 1)
        inputs.push_back(b.initializer(name + ".bias", *named(layer.parameters(), "bias", name)));
      x = b.node("Conv", inputs, name + "_conv",
                 {ints("kernel_shape", {w.dim(2), w.dim(3)}), ints("strides", {sh, sw}),
                  ints("pads", {g.pad_top, g.pad_left, g.pad_bottom(), g.pad_right()})});
      x = activation(b, config, x, name);
    } else if (type == "max_pool2d" || type == "avg_pool2d") {
      const auto [ph, pw] = pair_of(config.value("pool_size", Json(2)));
      const auto [sh, sw] = pair_of(config.value("strides", config.value("pool_size", Json(2))));
      x = b.node(type == "max_pool2d" ? "MaxPool" : "AveragePool", {x}, name,
                 {ints("kernel_shape", {ph, pw}), ints("strides", {sh, sw})});
    } else if (type == "zero_padding2d") {
      // The layer's own output shape says how much goes on each side.
      const Json p = config.at("padding");
      int64_t top, bottom, left, right;
      if (p.is_array() && p.at(0).is_array()) {
        top = p[0][0], bottom = p[0][1], left = p[1][0], right = p[1][1];
      } else {
        const auto [h, w] = pair_of(p);
        top = bottom = h, left = right = w;
      }
      x = b.node("Pad", {x, b.int64s(name + "_pads", {0, 0, top, left, 0, 0, bottom, right})}, name);
    } else if (type == "up_sampling2d") {
      const auto [fh, fw] = pair_of(config.value("size", Json(2)));
      x = b.node("Resize",
                 {x, "", b.floats(name + "_scales", {1.0f, 1.0f, static_cast<float>(fh), static_cast<float>(fw)})},
                 name,
                 {text("mode", "nearest"), text("coordinate_transformation_mode", "asymmetric"),
                  text("nearest_mode", "floor")});
    } else {
      fail("ONNX export: layer ", i, " (", type, ") has no ONNX operator; networks with it cannot be exported");
    }
    shape = layer.output_shape(shape);
  }
  if (transform == ScoreTransform::Sigmoid)
    x = b.node("Sigmoid", {x}, "score_sigmoid");
  else if (transform == ScoreTransform::Softmax)
    x = b.node("Softmax", {x}, "score_softmax", {one_int("axis", -1)});
  b.node("Identity", {x}, "score");
  set_value_info(graph->add_output(), "score", shape);

  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    fail("ONNX export: the graph does not pass the ONNX checker: ", e.what());
  }
  AtomicOutput output(path);
  {
    std::ofstream out(output.temp_path(), std::ios::binary);
    if (!model.SerializeToOstream(&out) || !out.flush()) fail("cannot write '", path, "'");
  }
  output.commit();
}

}  // namespace jetimg
