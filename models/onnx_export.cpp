#include "models/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <map>
#include <vector>

#include "core/error.h"
#include "io/atomic_output.h"
#include "models/graph.h"
#include "models/layer_registry.h"
#include "models/particle_flow.h"
#include "models/topo_dnn.h"
#include "models/sequential.h"
#include "models/onnx_graph.h"

namespace jetimg {
namespace {

onnx::GraphProto* proto(void* graph) { return static_cast<onnx::GraphProto*>(graph); }

onnx::AttributeProto to_proto(const OnnxAttribute& a) {
  onnx::AttributeProto p;
  p.set_name(a.name);
  switch (a.kind) {
    case OnnxAttribute::Kind::Ints:
      p.set_type(onnx::AttributeProto::INTS);
      for (int64_t v : a.ints) p.add_ints(v);
      break;
    case OnnxAttribute::Kind::Int:
      p.set_type(onnx::AttributeProto::INT);
      p.set_i(a.ints.at(0));
      break;
    case OnnxAttribute::Kind::Float:
      p.set_type(onnx::AttributeProto::FLOAT);
      p.set_f(a.f);
      break;
    case OnnxAttribute::Kind::Text:
      p.set_type(onnx::AttributeProto::STRING);
      p.set_s(a.s);
      break;
  }
  return p;
}

// A graph input or output: the batch "N" first, then one sample's shape,
// where -1 is the number of particles "M" (any, per batch).
void set_value_info(onnx::ValueInfoProto* v, const std::string& name, const SampleShape& sample,
                    int elem_type = onnx::TensorProto::FLOAT) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("N");
  for (int64_t d : sample) {
    if (d < 0)
      s->add_dim()->set_dim_param("M");
    else
      s->add_dim()->set_dim_value(d);
  }
}

}  // namespace

OnnxAttribute OnnxAttribute::list(const std::string& name, std::vector<int64_t> values) {
  OnnxAttribute a;
  a.name = name, a.kind = Kind::Ints, a.ints = std::move(values);
  return a;
}
OnnxAttribute OnnxAttribute::integer(const std::string& name, int64_t value) {
  OnnxAttribute a;
  a.name = name, a.kind = Kind::Int, a.ints = {value};
  return a;
}
OnnxAttribute OnnxAttribute::real(const std::string& name, float value) {
  OnnxAttribute a;
  a.name = name, a.kind = Kind::Float, a.f = value;
  return a;
}
OnnxAttribute OnnxAttribute::text(const std::string& name, const std::string& value) {
  OnnxAttribute a;
  a.name = name, a.kind = Kind::Text, a.s = value;
  return a;
}

std::string OnnxGraph::node(const std::string& op, const std::vector<std::string>& inputs, const std::string& name,
                            const std::vector<OnnxAttribute>& attributes) {
  onnx::NodeProto* n = proto(graph_)->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(name);
  for (const auto& a : attributes) *n->add_attribute() = to_proto(a);
  return name;
}

std::string OnnxGraph::initializer(const std::string& name, const Tensor& t) {
  const Tensor host = t.to(Device::cpu());
  onnx::TensorProto* p = proto(graph_)->add_initializer();
  p->set_name(name);
  p->set_data_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < host.ndim(); ++i) p->add_dims(host.dim(i));
  p->set_raw_data(host.data(), static_cast<size_t>(host.numel()) * sizeof(float));
  return name;
}

std::string OnnxGraph::int64s(const std::string& name, const std::vector<int64_t>& values) {
  onnx::TensorProto* p = proto(graph_)->add_initializer();
  p->set_name(name);
  p->set_data_type(onnx::TensorProto::INT64);
  p->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) p->add_int64_data(v);
  return name;
}

std::string OnnxGraph::floats(const std::string& name, const std::vector<float>& values) {
  onnx::TensorProto* p = proto(graph_)->add_initializer();
  p->set_name(name);
  p->set_data_type(onnx::TensorProto::FLOAT);
  p->add_dims(static_cast<int64_t>(values.size()));
  for (float v : values) p->add_float_data(v);
  return name;
}

std::string OnnxGraph::activation(const std::string& kind, float slope, const std::string& x, const std::string& name) {
  if (kind == "linear") return x;
  if (kind == "relu") return node("Relu", {x}, name + "_relu");
  if (kind == "sigmoid") return node("Sigmoid", {x}, name + "_sigmoid");
  if (kind == "tanh") return node("Tanh", {x}, name + "_tanh");
  if (kind == "leaky_relu") return node("LeakyRelu", {x}, name + "_leaky_relu", {OnnxAttribute::real("alpha", slope)});
  if (kind == "gelu") {  // x/2·(1 + erf(x/√2)): opset 13 has Erf but no Gelu
    const std::string e = node("Erf", {node("Mul", {x, floats(name + "_inv_sqrt2", {0.70710678118654752f})}, name + "_scaled")},
                               name + "_erf");
    const std::string one_plus = node("Add", {e, floats(name + "_one", {1.0f})}, name + "_one_plus");
    return node("Mul", {node("Mul", {x, floats(name + "_half", {0.5f})}, name + "_half_x"), one_plus}, name + "_gelu");
  }
  fail("ONNX export: activation '", kind, "' of ", name, " has no mapping");
}

Tensor& layer_tensor(Layer& layer, const std::string& name, const std::string& where) {
  for (const NamedTensor& t : layer.parameters())
    if (t.name == name) return *t.tensor;
  for (const NamedTensor& t : layer.buffers())
    if (t.name == name) return *t.tensor;
  fail("ONNX export: layer ", where, " has no tensor '", name, "'");
}

std::pair<int64_t, int64_t> config_pair(const Json& v) {
  if (v.is_array()) return {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()};
  return {v.get<int64_t>(), v.get<int64_t>()};
}

void export_onnx(Model& model, ScoreTransform transform, const std::string& path, const std::string& note) {
  onnx::ModelProto proto_model;
  proto_model.set_ir_version(8);
  proto_model.set_producer_name("jetimg");
  proto_model.set_producer_version("0.1.0");
  proto_model.set_doc_string(note);
  auto* opset = proto_model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  onnx::GraphProto* graph = proto_model.mutable_graph();
  graph->set_name("jetimg_tagger");
  OnnxGraph b(graph);
  if (model.outputs().size() != 1)
    fail("ONNX export: a tagger has one output; this ", model.type(), " model has ", model.outputs().size());
  const auto write_layer = [&](Layer& layer, const std::string& x, const SampleShape& shape, const std::string& name,
                               const std::string& where) {
    const LayerType* registered = find_layer_type(layer.type());
    if (!registered || !registered->onnx)
      fail("ONNX export: layer ", where, " (", layer.type(), ") has no ONNX operator; networks with it cannot be exported");
    return registered->onnx(b, layer, x, shape, name);
  };
  std::string x;
  SampleShape shape;
  if (auto* net = dynamic_cast<Sequential*>(&model)) {
    set_value_info(graph->add_input(), "images", net->input_shape());
    x = "images";
    shape = net->input_shape();
    for (size_t i = 0; i < net->size(); ++i) {
      Layer& layer = net->layer(i);
      char prefix[64];
      std::snprintf(prefix, sizeof prefix, "layer_%02zu_%s", i, layer.type().c_str());
      x = write_layer(layer, x, shape, prefix, std::to_string(i));
      shape = layer.output_shape(shape);
    }
  } else if (auto* g = dynamic_cast<Graph*>(&model)) {
    for (const TensorSpec& t : g->inputs()) set_value_info(graph->add_input(), t.name, t.shape);
    std::map<std::string, std::string> value;  // node or input -> ONNX value name
    for (const TensorSpec& t : g->inputs()) value[t.name] = t.name;
    for (const Graph::NodeView& n : g->nodes()) {
      std::vector<std::string> in;
      for (const std::string& i : n.inputs) in.push_back(value.at(i));
      if (n.layer)
        value[n.name] = write_layer(*n.layer, in[0], n.input_shape, "node_" + n.name, "'" + n.name + "'");
      else if (n.merge == "add")
        value[n.name] = b.node("Sum", in, "node_" + n.name);
      else
        value[n.name] = b.node("Concat", in, "node_" + n.name, {OnnxAttribute::integer("axis", 1)});
    }
    x = value.at(g->output_node(0));
    shape = g->outputs()[0].shape;
  } else if (auto* flow = dynamic_cast<ParticleFlowNetwork*>(&model)) {
    // Φ on every particle: (N, M, F) reshaped to (N·M, F), Φ's layers, and
    // back to (N, M, H); the (weighted) sum or mean over the real particles;
    // F on the result. M is free: any number of particles per call.
    const bool efn = flow->type() == "efn";
    const std::string in = efn ? "coords" : "features";
    for (const TensorSpec& t : flow->inputs())
      set_value_info(graph->add_input(), t.name, t.shape,
                     t.name == "mask" ? onnx::TensorProto::UINT8 : onnx::TensorProto::FLOAT);
    const int64_t features = flow->inputs()[0].shape.back();
    const int64_t latent = flow->phi().output_shape().at(0);
    if (flow->pooling() == PoolMode::Max)
      fail("ONNX export: a pfn with max pooling has no ONNX mapping yet (sum and mean pooling do)");
    x = b.node("Reshape", {in, b.int64s("phi_rows", {-1, features})}, "phi_in");
    shape = {features};
    for (size_t i = 0; i < flow->phi().size(); ++i) {
      Layer& layer = flow->phi().layer(i);
      x = write_layer(layer, x, shape, "phi_" + std::to_string(i) + "_" + layer.type(), "phi." + std::to_string(i));
      shape = layer.output_shape(shape);
    }
    const std::string batch_dims = b.node("Slice", {b.node("Shape", {in}, "in_shape"), b.int64s("first", {0}),
                                                    b.int64s("second", {2})},
                                          "batch_dims");
    const std::string out_shape = b.node("Concat", {batch_dims, b.int64s("latent", {latent})}, "phi_out_shape",
                                         {OnnxAttribute::integer("axis", 0)});
    x = b.node("Reshape", {x, out_shape}, "phi_out");
    std::string weight = b.node("Cast", {"mask"}, "mask_float", {OnnxAttribute::integer("to", onnx::TensorProto::FLOAT)});
    const std::string real = weight;
    if (efn) weight = b.node("Mul", {weight, "pt_frac"}, "weights");
    const std::string axis1 = b.int64s("axis_1", {1}), axis2 = b.int64s("axis_2", {2});
    x = b.node("Mul", {x, b.node("Unsqueeze", {weight, axis2}, "weights_3d")}, "weighted");
    x = b.node("ReduceSum", {x, axis1}, "pooled", {OnnxAttribute::integer("keepdims", 0)});
    if (flow->pooling() == PoolMode::Mean) {
      const std::string count = b.node("ReduceSum", {real, axis1}, "count", {OnnxAttribute::integer("keepdims", 1)});
      x = b.node("Div", {x, b.node("Max", {count, b.floats("one", {1.0f})}, "count_at_least_1")}, "pooled_mean");
    }
    shape = {latent};
    for (size_t i = 0; i < flow->f().size(); ++i) {
      Layer& layer = flow->f().layer(i);
      x = write_layer(layer, x, shape, "f_" + std::to_string(i) + "_" + layer.type(), "f." + std::to_string(i));
      shape = layer.output_shape(shape);
    }
  } else if (auto* topo = dynamic_cast<TopoDnn*>(&model)) {
    const TensorSpec in = topo->inputs()[0];
    set_value_info(graph->add_input(), in.name, in.shape);
    const int64_t values = in.shape.at(0) * in.shape.at(1);
    x = b.node("Reshape", {in.name, b.int64s("flat_shape", {-1, values})}, "flat");
    shape = {values};
    for (size_t i = 0; i < topo->net().size(); ++i) {
      Layer& layer = topo->net().layer(i);
      x = write_layer(layer, x, shape, "net_" + std::to_string(i) + "_" + layer.type(), "net." + std::to_string(i));
      shape = layer.output_shape(shape);
    }
  } else {
    fail("ONNX export: ", model.type(),
         " models cannot be exported (sequential, graph, pfn, efn and topodnn models can)");
  }
  if (transform == ScoreTransform::Sigmoid)
    x = b.node("Sigmoid", {x}, "score_sigmoid");
  else if (transform == ScoreTransform::Softmax)
    x = b.node("Softmax", {x}, "score_softmax", {OnnxAttribute::integer("axis", -1)});
  b.node("Identity", {x}, "score");
  set_value_info(graph->add_output(), "score", shape);

  try {
    onnx::checker::check_model(proto_model);
  } catch (const std::exception& e) {
    fail("ONNX export: the graph does not pass the ONNX checker: ", e.what());
  }
  AtomicOutput output(path);
  {
    std::ofstream out(output.temp_path(), std::ios::binary);
    if (!proto_model.SerializeToOstream(&out) || !out.flush()) fail("cannot write '", path, "'");
  }
  output.commit();
}

}  // namespace jetimg
