#include "models/conv_layers.h"

#include <utility>

#include "core/error.h"
#include "core/nn_ops.h"
#include "models/simple_layers.h"

namespace jetimg {

namespace {

// One sample's image shape (C, H, W) with a batch of one in front.
Shape image_shape(const SampleShape& input, const std::string& layer) {
  if (input.size() != 3)
    fail(layer, ": needs images (C, H, W), but gets ", shape_string(input),
         (input.size() == 2 ? "; give the network input_shape [1, H, W] or put a reshape layer before it" : ""));
  return Shape{1, input[0], input[1], input[2]};
}

SampleShape sample_of(const Shape& batch_of_one) { return {batch_of_one[1], batch_of_one[2], batch_of_one[3]}; }

void check_images(const Tensor& x, int64_t channels, const std::string& layer) {
  if (x.ndim() != 4 || (channels > 0 && x.dim(1) != channels))
    fail(layer, ": expected input (N, ", channels > 0 ? std::to_string(channels) : std::string("C"),
         ", H, W), got ", x.shape().str());
}

void check_grad(const Tensor& dy, const Tensor& y, const std::string& layer) {
  if (!y.defined()) fail(layer, ": backward called before forward");
  if (dy.shape() != y.shape()) fail(layer, ": dy has shape ", dy.shape().str(), " but y had ", y.shape().str());
}

bool is_linear(ActivationParams p) { return p.kind == ActivationKind::Linear; }

// y = f(z) after the op wrote z; y is z itself when f is linear.
Tensor& activate(Context& ctx, ActivationParams p, Tensor& z, Tensor& y) {
  if (is_linear(p)) {
    y = z;
  } else {
    ensure_tensor(y, z.shape(), ctx.device());
    activation_forward(ctx, p, z, y);
  }
  return y;
}

// dz = f'(z) ⊙ dy (dy itself when f is linear).
Tensor activation_grad(Context& ctx, ActivationParams p, const Tensor& z, const Tensor& y, const Tensor& dy,
                       Tensor& dz) {
  if (is_linear(p)) return dy;
  ensure_tensor(dz, dy.shape(), ctx.device());
  activation_backward(ctx, p, z, y, dy, dz);
  return dz;
}

Json pair_json(int h, int w) { return Json::array({h, w}); }

void add_activation(Json& c, ActivationParams p) {
  c["activation"] = activation_name(p.kind);
  if (p.kind == ActivationKind::LeakyReLU) c["slope"] = config_number(p.slope);
}

// A bias of `shape` whose last dimension runs over the `filters`, set from
// `b.init` (one value for all, or one per filter); undefined without a bias.
Tensor initial_bias(Context& ctx, const BiasConfig& b, const Shape& shape, int64_t filters, const std::string& layer) {
  if (!b.use) {
    if (!b.init.empty()) fail(layer, ": bias_init is given but the layer has no bias (use_bias false)");
    return Tensor();
  }
  const size_t given = b.init.size();
  if (given > 1 && given != static_cast<size_t>(filters))
    fail(layer, ": bias_init has ", given, " values, but the layer has ", filters, " filters (give one or ", filters,
         ")");
  std::vector<float> values(static_cast<size_t>(shape.numel()), 0.0f);
  if (given > 0)
    for (size_t i = 0; i < values.size(); ++i) values[i] = b.init[given == 1 ? 0 : i % given];
  return Tensor::from_vector(values, shape).to(ctx.device());
}

// use_bias only when false and bias_init only when not all zero: a plain
// layer's config reads as it did before the two keys existed.
void add_bias(Json& c, const BiasConfig& b) {
  if (!b.use) c["use_bias"] = false;
  bool zero = true;
  for (float v : b.init) zero = zero && v == 0.0f;
  if (zero) return;
  if (b.init.size() == 1) {
    c["bias_init"] = config_number(b.init[0]);
  } else {
    Json list = Json::array();
    for (float v : b.init) list.push_back(config_number(v));
    c["bias_init"] = list;
  }
}

std::vector<NamedTensor> weight_and_bias(Tensor& weight, Tensor& bias) {
  if (!bias.defined()) return {{"weight", &weight}};
  return {{"weight", &weight}, {"bias", &bias}};
}

}  // namespace

// --- Conv2D ----------------------------------------------------------------------------

Conv2D::Conv2D(Context& ctx, const SampleShape& input, int64_t filters, int kernel_h, int kernel_w,
               Conv2dParams params, ActivationParams activation, Init init, BiasConfig bias)
    : filters_(filters),
      kernel_h_(kernel_h),
      kernel_w_(kernel_w),
      params_(params),
      activation_(activation),
      init_(init),
      bias_config_(std::move(bias)) {
  const Shape x = image_shape(input, "conv2d");
  channels_ = x[1];
  if (filters < 1 || kernel_h < 1 || kernel_w < 1)
    fail("conv2d: need filters and kernel sizes >= 1, got ", filters, " filters of ", kernel_h, "x", kernel_w);
  const Shape w{filters, channels_, kernel_h, kernel_w};
  conv2d_output_shape(x, w, params);  // fails early when the kernel or strides do not fit
  weight_ = Tensor::empty(w, ctx.device());
  initialise(ctx, weight_, init, channels_ * kernel_h * kernel_w, filters * kernel_h * kernel_w);
  bias_ = initial_bias(ctx, bias_config_, Shape{filters}, filters, "conv2d");
  dweight_ = Tensor::zeros(w, ctx.device());
  if (bias_.defined()) dbias_ = Tensor::zeros({filters}, ctx.device());
}

std::vector<NamedTensor> Conv2D::parameters() { return weight_and_bias(weight_, bias_); }
std::vector<NamedTensor> Conv2D::gradients() { return weight_and_bias(dweight_, dbias_); }

Tensor Conv2D::forward(Context& ctx, const Tensor& x) {
  check_images(x, channels_, "conv2d");
  x_ = x;
  ensure_tensor(z_, conv2d_output_shape(x.shape(), weight_.shape(), params_), ctx.device());
  conv2d_forward(ctx, params_, x, weight_, bias_, z_);
  return activate(ctx, activation_, z_, y_);
}

Tensor Conv2D::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "conv2d");
  const Tensor dz = activation_grad(ctx, activation_, z_, y_, dy, dz_);
  conv2d_backward_weight(ctx, params_, x_, dz, dweight_);
  if (bias_.defined()) conv2d_backward_bias(ctx, dz, dbias_);
  ensure_tensor(dx_, x_.shape(), ctx.device());
  conv2d_backward_input(ctx, params_, weight_, dz, dx_);
  return dx_;
}

Json Conv2D::config() const {
  Json c = {{"type", type()},
            {"filters", filters_},
            {"kernel_size", pair_json(kernel_h_, kernel_w_)},
            {"strides", pair_json(params_.stride_h, params_.stride_w)},
            {"padding", params_.padding == Padding::Same ? "same" : "valid"},
            {"init", init_name(init_)}};
  add_activation(c, activation_);
  add_bias(c, bias_config_);
  return c;
}

SampleShape Conv2D::output_shape(const SampleShape& input) const {
  return sample_of(conv2d_output_shape(image_shape(input, "conv2d"), weight_.shape(), params_));
}

// --- LocallyConnected2D ----------------------------------------------------------------

LocallyConnected2D::LocallyConnected2D(Context& ctx, const SampleShape& input, int64_t filters,
                                       LocallyConnected2dParams params, ActivationParams activation, Init init,
                                       BiasConfig bias)
    : input_(input),
      filters_(filters),
      params_(params),
      activation_(activation),
      init_(init),
      bias_config_(std::move(bias)) {
  const Shape x = image_shape(input, "locally_connected2d");
  if (filters < 1) fail("locally_connected2d: need filters >= 1, got ", filters);
  const Shape w = locally_connected2d_weight_shape(x, filters, params);
  const Shape b = locally_connected2d_bias_shape(x, filters, params);
  weight_ = Tensor::empty(w, ctx.device());
  initialise(ctx, weight_, init, w[1], filters);
  bias_ = initial_bias(ctx, bias_config_, b, filters, "locally_connected2d");
  dweight_ = Tensor::zeros(w, ctx.device());
  if (bias_.defined()) dbias_ = Tensor::zeros(b, ctx.device());
}

std::vector<NamedTensor> LocallyConnected2D::parameters() { return weight_and_bias(weight_, bias_); }
std::vector<NamedTensor> LocallyConnected2D::gradients() { return weight_and_bias(dweight_, dbias_); }

Tensor LocallyConnected2D::forward(Context& ctx, const Tensor& x) {
  if (x.ndim() != 4 || x.dim(1) != input_[0] || x.dim(2) != input_[1] || x.dim(3) != input_[2])
    fail("locally_connected2d: expected input (N, ", shape_string(input_).substr(1), ", got ", x.shape().str(),
         " (its weights are made for one image size)");
  x_ = x;
  ensure_tensor(z_, locally_connected2d_output_shape(x.shape(), filters_, params_), ctx.device());
  locally_connected2d_forward(ctx, params_, x, weight_, bias_, z_);
  return activate(ctx, activation_, z_, y_);
}

Tensor LocallyConnected2D::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "locally_connected2d");
  const Tensor dz = activation_grad(ctx, activation_, z_, y_, dy, dz_);
  locally_connected2d_backward_weight(ctx, params_, x_, dz, dweight_);
  if (bias_.defined()) locally_connected2d_backward_bias(ctx, dz, dbias_);
  ensure_tensor(dx_, x_.shape(), ctx.device());
  locally_connected2d_backward_input(ctx, params_, weight_, dz, dx_);
  return dx_;
}

Json LocallyConnected2D::config() const {
  Json c = {{"type", type()},
            {"filters", filters_},
            {"kernel_size", pair_json(params_.kernel_h, params_.kernel_w)},
            {"strides", pair_json(params_.stride_h, params_.stride_w)},
            {"init", init_name(init_)}};
  add_activation(c, activation_);
  add_bias(c, bias_config_);
  return c;
}

SampleShape LocallyConnected2D::output_shape(const SampleShape& input) const {
  return sample_of(locally_connected2d_output_shape(image_shape(input, "locally_connected2d"), filters_, params_));
}

// --- Pool2D ------------------------------------------------------------------------------

Pool2D::Pool2D(Kind kind, Pool2dParams params) : kind_(kind), params_(params) {
  if (params_.stride_h == 0) params_.stride_h = params_.pool_h;
  if (params_.stride_w == 0) params_.stride_w = params_.pool_w;
  if (params_.pool_h < 1 || params_.pool_w < 1 || params_.stride_h < 1 || params_.stride_w < 1)
    fail(type(), ": pool sizes and strides must be >= 1, got pool ", params_.pool_h, "x", params_.pool_w,
         ", strides ", params_.stride_h, "x", params_.stride_w);
}

Tensor Pool2D::forward(Context& ctx, const Tensor& x) {
  check_images(x, 0, type());
  x_ = x;
  ensure_tensor(y_, pool2d_output_shape(x.shape(), params_), ctx.device());
  if (kind_ == Kind::Max) max_pool2d_forward(ctx, params_, x, y_);
  else avg_pool2d_forward(ctx, params_, x, y_);
  return y_;
}

Tensor Pool2D::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, type());
  ensure_tensor(dx_, x_.shape(), ctx.device());
  if (kind_ == Kind::Max) max_pool2d_backward(ctx, params_, x_, dy, dx_);
  else avg_pool2d_backward(ctx, params_, dy, dx_);
  return dx_;
}

Json Pool2D::config() const {
  return {{"type", type()},
          {"pool_size", pair_json(params_.pool_h, params_.pool_w)},
          {"strides", pair_json(params_.stride_h, params_.stride_w)}};
}

SampleShape Pool2D::output_shape(const SampleShape& input) const {
  return sample_of(pool2d_output_shape(image_shape(input, type()), params_));
}

// --- UpSampling2D -------------------------------------------------------------------------

UpSampling2D::UpSampling2D(UpSampling2dParams params) : params_(params) {
  if (params.factor_h < 1 || params.factor_w < 1)
    fail("up_sampling2d: size must be >= 1, got ", params.factor_h, "x", params.factor_w);
}

Tensor UpSampling2D::forward(Context& ctx, const Tensor& x) {
  check_images(x, 0, type());
  x_ = x;
  ensure_tensor(y_, up_sampling2d_output_shape(x.shape(), params_), ctx.device());
  up_sampling2d_forward(ctx, params_, x, y_);
  return y_;
}

Tensor UpSampling2D::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, type());
  ensure_tensor(dx_, x_.shape(), ctx.device());
  up_sampling2d_backward(ctx, params_, dy, dx_);
  return dx_;
}

Json UpSampling2D::config() const { return {{"type", type()}, {"size", pair_json(params_.factor_h, params_.factor_w)}}; }

SampleShape UpSampling2D::output_shape(const SampleShape& input) const {
  return sample_of(up_sampling2d_output_shape(image_shape(input, type()), params_));
}

// --- ZeroPadding2D ------------------------------------------------------------------------

ZeroPadding2D::ZeroPadding2D(ZeroPadding2dParams params) : params_(params) {
  zero_padding2d_output_shape(Shape{1, 1, 1, 1}, params);  // fails on negative padding
}

Tensor ZeroPadding2D::forward(Context& ctx, const Tensor& x) {
  check_images(x, 0, type());
  x_ = x;
  ensure_tensor(y_, zero_padding2d_output_shape(x.shape(), params_), ctx.device());
  zero_padding2d_forward(ctx, params_, x, y_);
  return y_;
}

Tensor ZeroPadding2D::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, type());
  ensure_tensor(dx_, x_.shape(), ctx.device());
  zero_padding2d_backward(ctx, params_, dy, dx_);
  return dx_;
}

Json ZeroPadding2D::config() const {
  return {{"type", type()},
          {"padding", Json::array({pair_json(params_.top, params_.bottom), pair_json(params_.left, params_.right)})}};
}

SampleShape ZeroPadding2D::output_shape(const SampleShape& input) const {
  return sample_of(zero_padding2d_output_shape(image_shape(input, type()), params_));
}

}  // namespace jetimg
