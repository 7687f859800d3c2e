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

std::string ActivationLayer::type() const {
  switch (params_.kind) {
    case ActivationKind::ReLU: return "relu";
    case ActivationKind::LeakyReLU: return "leaky_relu";
    case ActivationKind::Sigmoid: return "sigmoid";
    case ActivationKind::Tanh: return "tanh";
  }
  return "?";
}

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
  if (params_.kind == ActivationKind::LeakyReLU) c["slope"] = params_.slope;
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

}  // namespace jetimg
