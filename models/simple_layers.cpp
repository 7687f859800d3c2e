#include "models/simple_layers.h"

#include "core/error.h"
#include "core/nn_ops.h"
#include "models/batchnorm.h"
#include "models/layer_registry.h"
#include "models/onnx_graph.h"

namespace jetimg {
namespace {

void check_grad(const Tensor& dy, const Shape& expected, bool seen, const std::string& layer) {
  if (!seen) fail(layer, ": backward called before forward");
  if (dy.shape() != expected) fail(layer, ": dy has shape ", dy.shape().str(), " but y had ", expected.str());
}

}  // namespace

// --- ActivationLayer -------------------------------------------------------------

std::string activation_name(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::ReLU: return "relu";
    case ActivationKind::LeakyReLU: return "leaky_relu";
    case ActivationKind::Sigmoid: return "sigmoid";
    case ActivationKind::Tanh: return "tanh";
    case ActivationKind::Linear: return "linear";
    case ActivationKind::GELU: return "gelu";
  }
  return "?";
}

ActivationKind parse_activation(const std::string& name, const std::string& where) {
  for (ActivationKind kind : {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid,
                              ActivationKind::Tanh, ActivationKind::Linear, ActivationKind::GELU})
    if (name == activation_name(kind)) return kind;
  fail(where, ": unknown activation '", name, "' (known: relu, leaky_relu, sigmoid, tanh, gelu, linear)");
}

std::string ActivationLayer::type() const { return activation_name(params_.kind); }

Tensor ActivationLayer::forward(Context& ctx, const Tensor& x) {
  x_ = x;
  ensure_tensor(y_, x.shape(), ctx.device());
  activation_forward(ctx, params_, x, y_);
  return y_;
}

Tensor ActivationLayer::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_.shape(), y_.defined(), type());
  ensure_tensor(dx_, dy.shape(), ctx.device());
  activation_backward(ctx, params_, x_, y_, dy, dx_);
  return dx_;
}

Json ActivationLayer::config() const {
  Json c = {{"type", type()}};
  if (params_.kind == ActivationKind::LeakyReLU) c["slope"] = config_number(params_.slope);
  return c;
}

// --- SoftmaxLayer ----------------------------------------------------------------

Tensor SoftmaxLayer::forward(Context& ctx, const Tensor& x) {
  ensure_tensor(y_, x.shape(), ctx.device());
  softmax_forward(ctx, x, y_);
  return y_;
}

Tensor SoftmaxLayer::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_.shape(), y_.defined(), type());
  ensure_tensor(dx_, dy.shape(), ctx.device());
  softmax_backward(ctx, y_, dy, dx_);
  return dx_;
}

// --- Dropout ---------------------------------------------------------------------

Dropout::Dropout(float rate) : rate_(rate) {
  if (!(rate >= 0.0f && rate < 1.0f)) fail("dropout: 'rate' must be in [0, 1), got ", rate);
}

Tensor Dropout::forward(Context& ctx, const Tensor& x) {
  masked_ = training_ && rate_ > 0.0f;
  if (!masked_) {
    y_ = x;
    return x;
  }
  ensure_tensor(mask_, x.shape(), ctx.device());
  ensure_tensor(y_, x.shape(), ctx.device());
  dropout_forward(ctx, x, rate_, mask_, y_);
  return y_;
}

Tensor Dropout::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_.shape(), y_.defined(), type());
  if (!masked_) return dy;
  ensure_tensor(dx_, dy.shape(), ctx.device());
  multiply(ctx, dy, mask_, dx_);  // dx = dy ⊙ mask
  return dx_;
}

// --- Flatten ---------------------------------------------------------------------

Tensor Flatten::forward(Context&, const Tensor& x) {
  if (x.ndim() < 1) fail("flatten: input has no batch dimension");
  input_shape_ = x.shape();
  seen_input_ = true;
  return x.view({x.dim(0), x.dim(0) == 0 ? 0 : x.numel() / x.dim(0)});
}

Tensor Flatten::backward(Context&, const Tensor& dy) {
  if (!seen_input_) fail("flatten: backward called before forward");
  if (dy.numel() != input_shape_.numel())
    fail("flatten: dy has shape ", dy.shape().str(), " but the input was ", input_shape_.str());
  return dy.view(input_shape_);
}

SampleShape Flatten::output_shape(const SampleShape& input) const {
  int64_t size = 1;
  for (int64_t d : input) size *= d;
  return {size};
}

// --- Reshape ---------------------------------------------------------------------

SampleShape Reshape::output_shape(const SampleShape& input) const {
  int64_t size = 1, known = 1, free_dims = 0;
  for (int64_t d : input) size *= d;
  for (int64_t d : shape_) {
    if (d == -1) ++free_dims;
    else if (d < 1) fail("reshape: sizes must be positive or -1, got ", shape_string(shape_));
    else known *= d;
  }
  if (free_dims > 1) fail("reshape: at most one size may be -1, got ", shape_string(shape_));
  SampleShape out = shape_;
  if (free_dims == 1) {
    if (size % known != 0) fail("reshape: cannot make ", shape_string(input), " into ", shape_string(shape_));
    for (int64_t& d : out)
      if (d == -1) d = size / known;
  }
  int64_t out_size = 1;
  for (int64_t d : out) out_size *= d;
  if (out_size != size || out.empty() || out.size() > 3)
    fail("reshape: cannot make ", shape_string(input), " (", size, " values) into ", shape_string(shape_));
  return out;
}

Tensor Reshape::forward(Context&, const Tensor& x) {
  if (x.ndim() < 1) fail("reshape: input has no batch dimension");
  SampleShape sample;
  for (int i = 1; i < x.ndim(); ++i) sample.push_back(x.dim(i));
  std::vector<int64_t> dims{x.dim(0)};
  for (int64_t d : output_shape(sample)) dims.push_back(d);
  input_shape_ = x.shape();
  seen_input_ = true;
  return x.view(Shape(dims));
}

Tensor Reshape::backward(Context&, const Tensor& dy) {
  if (!seen_input_) fail("reshape: backward called before forward");
  if (dy.numel() != input_shape_.numel())
    fail("reshape: dy has shape ", dy.shape().str(), " but the input was ", input_shape_.str());
  return dy.view(input_shape_);
}

}  // namespace jetimg

// --- registration -------------------------------------------------------------

namespace jetimg {

void register_simple_layers() {
  // The element-wise activations as layers of their own.
  for (ActivationKind kind : {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid,
                              ActivationKind::Tanh, ActivationKind::GELU}) {
    const bool leaky = kind == ActivationKind::LeakyReLU;
    LayerType t;
    t.name = activation_name(kind);
    t.family = "element-wise";
    t.summary = leaky ? "y = x above zero, slope · x below"
                : kind == ActivationKind::GELU ? "y = x·Φ(x) = x/2·(1 + erf(x/√2)), element by element (exact GELU)"
                                               : "y = " + t.name + "(x), element by element";
    if (leaky) t.keys = {{"slope", 0.2, "slope below zero"}};
    t.make = [kind, leaky](LayerArgs& a) -> std::unique_ptr<Layer> {
      ActivationParams p;
      p.kind = kind;
      if (leaky) p.slope = static_cast<float>(a.number("slope", 0, 1e6));
      return std::make_unique<ActivationLayer>(p);
    };
    t.onnx = [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
      const Json c = layer.config();
      return g.activation(layer.type(), c.value("slope", 0.2f), x, name);
    };
    register_layer(std::move(t));
  }
  register_layer({"softmax", "element-wise", "softmax over the last dimension", {},
                  [](LayerArgs&) -> std::unique_ptr<Layer> { return std::make_unique<SoftmaxLayer>(); },
                  [](OnnxGraph& g, Layer&, const std::string& x, const SampleShape&, const std::string& name) {
                    return g.node("Softmax", {x}, name, {OnnxAttribute::integer("axis", -1)});
                  }});
  register_layer({"dropout", "element-wise", "training: zero a share `rate` of the inputs, scale the rest by 1/(1 - rate)",
                  {{"rate", nullptr, "share dropped, in [0, 1)", true}},
                  [](LayerArgs& a) -> std::unique_ptr<Layer> {
                    const Json& v = a.value("rate");
                    const double rate = v.is_number() ? v.get<double>() : -1;
                    if (!(rate >= 0 && rate < 1)) a.bad("rate", "in [0, 1)");
                    return std::make_unique<Dropout>(static_cast<float>(rate));
                  },
                  [](OnnxGraph&, Layer&, const std::string& x, const SampleShape&, const std::string&) {
                    return x;  // inference: the identity
                  }});
  register_layer({"flatten", "shape", "(N, d1, d2, ...) -> (N, d1·d2·...)", {},
                  [](LayerArgs&) -> std::unique_ptr<Layer> { return std::make_unique<Flatten>(); },
                  [](OnnxGraph& g, Layer&, const std::string& x, const SampleShape&, const std::string& name) {
                    return g.node("Flatten", {x}, name, {OnnxAttribute::integer("axis", 1)});
                  }});
  register_layer(
      {"reshape", "shape", "the same values in another shape (one sample's; one size may be -1)",
       {{"shape", nullptr, "list of sizes", true}},
       [](LayerArgs& a) -> std::unique_ptr<Layer> {
         const Json& v = a.value("shape");
         if (!v.is_array()) a.bad("shape", "a list of sizes (one may be -1)");
         SampleShape shape;
         for (const Json& d : v) {
           if (!d.is_number_integer()) a.bad("shape", "a list of integers");
           shape.push_back(d.get<int64_t>());
         }
         auto layer = std::make_unique<Reshape>(shape);
         layer->output_shape(a.input);
         return layer;
       },
       [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape& input, const std::string& name) {
         std::vector<int64_t> target = {0};  // 0: keep the batch size
         for (int64_t d : layer.output_shape(input)) target.push_back(d);
         return g.node("Reshape", {x, g.int64s(name + "_shape", target)}, name);
       }});
  register_layer(
      {"layer_norm", "normalisation",
       "layer normalisation of each sample's features (F): zero mean, unit variance, then weight and bias",
       {{"epsilon", 1e-5, "added to the variance, > 0"}},
       [](LayerArgs& a) -> std::unique_ptr<Layer> {
         const double eps = a.number("epsilon", 0, 1);
         if (!(eps > 0)) a.bad("epsilon", "> 0");
         if (a.input.size() != 1)
           fail(a.file(), ": '", a.path(), "' (layer_norm) needs inputs (F), but gets ", shape_string(a.input));
         return std::make_unique<LayerNorm>(a.ctx, a.input[0], static_cast<float>(eps));
       },
       [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
         // Opset 13 has no LayerNormalization: (x - mean) / sqrt(var + eps) · weight + bias.
         const std::vector<OnnxAttribute> last = {OnnxAttribute::list("axes", {-1}), OnnxAttribute::integer("keepdims", 1)};
         const std::string d = g.node("Sub", {x, g.node("ReduceMean", {x}, name + "_mean", last)}, name + "_centred");
         const std::string var = g.node("ReduceMean", {g.node("Mul", {d, d}, name + "_squares")}, name + "_var", last);
         const std::string eps = g.floats(name + "_eps", {layer.config().value("epsilon", 1e-5f)});
         const std::string norm =
             g.node("Div", {d, g.node("Sqrt", {g.node("Add", {var, eps}, name + "_var_eps")}, name + "_std")}, name + "_norm");
         const std::string scaled =
             g.node("Mul", {norm, g.initializer(name + ".weight", layer_tensor(layer, "weight", name))}, name + "_scaled");
         return g.node("Add", {scaled, g.initializer(name + ".bias", layer_tensor(layer, "bias", name))}, name);
       }});
  register_layer(
      {"batch_norm", "normalisation",
       "batch normalisation of inputs (F) or (C, H, W); running statistics for inference",
       {{"momentum", 0.1, "weight of each batch in the running statistics (PyTorch's convention), in [0, 1]"},
        {"epsilon", 1e-5, "added to the variance, > 0"}},
       [](LayerArgs& a) -> std::unique_ptr<Layer> {
         const double momentum = a.number("momentum", 0, 1);
         const double eps = a.number("epsilon", 0, 1);
         if (!(eps > 0)) a.bad("epsilon", "> 0");
         if (a.input.size() != 1 && a.input.size() != 3)
           fail(a.file(), ": '", a.path(), "' (batch_norm) needs inputs (F) or (C, H, W), but gets ",
                shape_string(a.input));
         return std::make_unique<BatchNorm>(a.ctx, a.input, static_cast<float>(momentum), static_cast<float>(eps));
       },
       [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
         return g.node("BatchNormalization",
                       {x, g.initializer(name + ".weight", layer_tensor(layer, "weight", name)),
                        g.initializer(name + ".bias", layer_tensor(layer, "bias", name)),
                        g.initializer(name + ".running_mean", layer_tensor(layer, "running_mean", name)),
                        g.initializer(name + ".running_var", layer_tensor(layer, "running_var", name))},
                       name, {OnnxAttribute::real("epsilon", layer.config().value("epsilon", 1e-5f))});
       }});
}

}  // namespace jetimg
