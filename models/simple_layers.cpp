#include "models/simple_layers.h"

#include "core/error.h"
#include "core/nn_ops.h"

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
  }
  return "?";
}

ActivationKind parse_activation(const std::string& name, const std::string& where) {
  for (ActivationKind kind : {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid,
                              ActivationKind::Tanh, ActivationKind::Linear})
    if (name == activation_name(kind)) return kind;
  fail(where, ": unknown activation '", name, "' (known: relu, leaky_relu, sigmoid, tanh, linear)");
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
