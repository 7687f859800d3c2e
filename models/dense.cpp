#include "models/dense.h"

#include "core/error.h"
#include "core/gemm.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "models/layer_registry.h"
#include "models/onnx_graph.h"
#include "models/simple_layers.h"

namespace jetimg {
namespace {

void check_input(const Tensor& x, int64_t in, const char* layer) {
  if (x.ndim() != 2 || x.dim(1) != in)
    fail(layer, ": expected input (N, ", in, "), got ", x.shape().str(),
         (x.ndim() > 2 ? " (put a flatten layer before it)" : ""));
}

void check_grad(const Tensor& dy, const Tensor& y, const char* layer) {
  if (!y.defined()) fail(layer, ": backward called before forward");
  if (dy.shape() != y.shape()) fail(layer, ": dy has shape ", dy.shape().str(), " but y had ", y.shape().str());
}

bool is_linear(ActivationParams p) { return p.kind == ActivationKind::Linear; }

}  // namespace

// --- Dense -----------------------------------------------------------------------

Dense::Dense(Context& ctx, int64_t in, int64_t units, Init init, ActivationParams activation, bool use_bias)
    : in_(in), units_(units), init_(init), activation_(activation), use_bias_(use_bias) {
  if (in < 1 || units < 1) fail("dense: need in >= 1 and units >= 1, got in ", in, ", units ", units);
  weight_ = Tensor::empty({in, units}, ctx.device());
  initialise(ctx, weight_, init, in, units);
  dweight_ = Tensor::zeros(weight_.shape(), ctx.device());
  if (use_bias_) {
    bias_ = Tensor::zeros({units}, ctx.device());
    dbias_ = Tensor::zeros(bias_.shape(), ctx.device());
  }
}

std::vector<NamedTensor> Dense::parameters() {
  if (!use_bias_) return {{"weight", &weight_}};
  return {{"weight", &weight_}, {"bias", &bias_}};
}

std::vector<NamedTensor> Dense::gradients() {
  if (!use_bias_) return {{"weight", &dweight_}};
  return {{"weight", &dweight_}, {"bias", &dbias_}};
}

Tensor Dense::forward(Context& ctx, const Tensor& x) {
  check_input(x, in_, "dense");
  x_ = x;
  ensure_tensor(z_, {x.dim(0), units_}, ctx.device());
  // z = x · weight + bias in one matmul where the math mode fuses the bias
  // into the GEMM (CUDA tf32/bf16: core/gemm.h); else the GEMM, then the bias.
  const bool fused = use_bias_ && gemm_bias(ctx, x, weight_, bias_, z_);
  if (!fused) gemm(ctx, false, false, 1.0f, x, weight_, 0.0f, z_);  // z = x · weight
  const bool add_bias = use_bias_ && !fused;
  if (is_linear(activation_)) {
    if (add_bias) bias_add(ctx, z_, bias_);
    y_ = z_;
  } else {
    ensure_tensor(y_, z_.shape(), ctx.device());
    if (add_bias)
      bias_activation_forward(ctx, activation_, z_, bias_, y_);  // z += bias; y = f(z), one pass
    else
      activation_forward(ctx, activation_, z_, y_);
  }
  return y_;
}

Tensor Dense::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "dense");
  Tensor dz = dy;
  if (!is_linear(activation_)) {
    ensure_tensor(dz_, dy.shape(), ctx.device());
    activation_backward(ctx, activation_, z_, y_, dy, dz_);  // dz = f'(z) ⊙ dy
    dz = dz_;
  }
  gemm(ctx, true, false, 1.0f, x_, dz, 0.0f, dweight_);  // dweight = xᵀ · dz
  if (use_bias_) bias_backward(ctx, dz, dbias_);         // dbias = Σ_n dz
  if (!input_gradient_) return Tensor();
  ensure_tensor(dx_, x_.shape(), ctx.device());
  gemm(ctx, false, true, 1.0f, dz, weight_, 0.0f, dx_);  // dx = dz · weightᵀ
  return dx_;
}

Json Dense::config() const {
  Json c = {{"type", type()}, {"units", units_}, {"init", init_name(init_)},
            {"activation", activation_name(activation_.kind)}};
  if (activation_.kind == ActivationKind::LeakyReLU) c["slope"] = config_number(activation_.slope);
  if (!use_bias_) c["use_bias"] = false;
  return c;
}

// --- MaxoutDense -----------------------------------------------------------------

MaxoutDense::MaxoutDense(Context& ctx, int64_t in, int64_t units, int64_t pieces, Init init, bool use_bias)
    : in_(in), units_(units), pieces_(pieces), init_(init), use_bias_(use_bias) {
  if (in < 1 || units < 1 || pieces < 1)
    fail("maxout_dense: need in, units and pieces >= 1, got in ", in, ", units ", units, ", pieces ", pieces);
  weight_ = Tensor::empty({in, pieces * units}, ctx.device());
  initialise(ctx, weight_, init, in, units);
  dweight_ = Tensor::zeros(weight_.shape(), ctx.device());
  if (use_bias_) {
    bias_ = Tensor::zeros({pieces * units}, ctx.device());
    dbias_ = Tensor::zeros(bias_.shape(), ctx.device());
  }
}

std::vector<NamedTensor> MaxoutDense::parameters() {
  if (!use_bias_) return {{"weight", &weight_}};
  return {{"weight", &weight_}, {"bias", &bias_}};
}

std::vector<NamedTensor> MaxoutDense::gradients() {
  if (!use_bias_) return {{"weight", &dweight_}};
  return {{"weight", &dweight_}, {"bias", &dbias_}};
}

Tensor MaxoutDense::forward(Context& ctx, const Tensor& x) {
  check_input(x, in_, "maxout_dense");
  x_ = x;
  const int64_t n = x.dim(0);
  ensure_tensor(z_, {n, pieces_ * units_}, ctx.device());
  // z = x · weight + bias, all pieces at once (the bias fused into the GEMM where the math mode allows)
  const bool fused = use_bias_ && gemm_bias(ctx, x, weight_, bias_, z_);
  if (!fused) gemm(ctx, false, false, 1.0f, x, weight_, 0.0f, z_);
  if (use_bias_ && !fused) bias_add(ctx, z_, bias_);
  ensure_tensor(y_, {n, units_}, ctx.device());
  ensure_tensor(winner_, {n, units_}, ctx.device());
  maxout_forward(ctx, z_, pieces_, y_, winner_);
  return y_;
}

Tensor MaxoutDense::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "maxout_dense");
  ensure_tensor(dz_, z_.shape(), ctx.device());
  maxout_backward(ctx, dy, winner_, pieces_, dz_);        // dy to the winning piece
  gemm(ctx, true, false, 1.0f, x_, dz_, 0.0f, dweight_);  // dweight = xᵀ · dz
  if (use_bias_) bias_backward(ctx, dz_, dbias_);
  ensure_tensor(dx_, x_.shape(), ctx.device());
  gemm(ctx, false, true, 1.0f, dz_, weight_, 0.0f, dx_);  // dx = dz · weightᵀ
  return dx_;
}

Json MaxoutDense::config() const {
  Json c = {{"type", type()}, {"units", units_}, {"pieces", pieces_}, {"init", init_name(init_)}};
  if (!use_bias_) c["use_bias"] = false;
  return c;
}

// --- registration -------------------------------------------------------------

namespace {

int64_t flat_input(const LayerArgs& args) {
  if (args.input.size() != 1)
    fail(args.file(), ": '", args.path(), "' (", args.value("type").get<std::string>(),
         ") needs flat inputs, but gets ", shape_string(args.input), "; put {\"type\": \"flatten\"} before it");
  return args.input[0];
}

Init init_of(const LayerArgs& args) { return parse_init(args.text("init"), args.where("init")); }

// Gemm (x · weight + bias as ONNX writes it: bias optional).
std::string gemm_node(OnnxGraph& g, Layer& layer, const std::string& x, const std::string& name) {
  std::vector<std::string> inputs{x, g.initializer(name + ".weight", layer_tensor(layer, "weight", name))};
  if (layer.parameters().size() > 1) inputs.push_back(g.initializer(name + ".bias", layer_tensor(layer, "bias", name)));
  return g.node("Gemm", inputs, name + "_gemm");
}

}  // namespace

void register_dense_layers() {
  const LayerKey init{"init", "glorot_uniform", "weight initialiser: he_uniform, glorot_uniform, glorot_normal, zeros"};
  const LayerKey use_bias{"use_bias", true, "false: no bias parameter"};
  register_layer(
      {"dense", "dense", "fully connected: y = f(x · weight + bias); x (N, in), weight (in, units)",
       {{"units", nullptr, "outputs, 1 to 65536", true},
        {"activation", "linear", "linear, relu, leaky_relu, sigmoid, tanh or gelu, fused with the bias"},
        {"slope", 0.2, "leaky_relu's slope below zero"},
        init,
        use_bias},
       [](LayerArgs& a) -> std::unique_ptr<Layer> {
         const int64_t units = a.integer("units", 1, kMaxLayerUnits);
         ActivationParams act{parse_activation(a.text("activation"), a.where("activation")), 0.2f};
         if (act.kind == ActivationKind::LeakyReLU)
           act.slope = static_cast<float>(a.number("slope", 0, 1e6));
         else if (a.given("slope"))
           a.unknown("slope");
         return std::make_unique<Dense>(a.ctx, flat_input(a), units, init_of(a), act, a.flag("use_bias"));
       },
       [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
         const Json c = layer.config();
         return g.activation(c.value("activation", std::string("linear")), c.value("slope", 0.2f),
                             gemm_node(g, layer, x, name), name);
       }});
  register_layer({"maxout_dense", "dense",
                  "maxout (Goodfellow et al.): y = max over pieces of x · W_k + b_k; weight (in, pieces·units)",
                  {{"units", nullptr, "outputs, 1 to 65536", true}, {"pieces", nullptr, "affine maps per output, 1 to 64", true},
                   init, use_bias},
                  [](LayerArgs& a) -> std::unique_ptr<Layer> {
                    const int64_t units = a.integer("units", 1, kMaxLayerUnits);
                    const int64_t pieces = a.integer("pieces", 1, 64);
                    return std::make_unique<MaxoutDense>(a.ctx, flat_input(a), units, pieces, init_of(a),
                                                         a.flag("use_bias"));
                  },
                  [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
                    const Json c = layer.config();
                    const int64_t units = c.at("units").get<int64_t>(), pieces = c.at("pieces").get<int64_t>();
                    const std::string z = gemm_node(g, layer, x, name);
                    const std::string p = g.node("Reshape", {z, g.int64s(name + "_pieces_shape", {0, pieces, units})},
                                                 name + "_pieces");
                    return g.node("ReduceMax", {p}, name,
                                  {OnnxAttribute::list("axes", {1}), OnnxAttribute::integer("keepdims", 0)});
                  }});
}

}  // namespace jetimg
