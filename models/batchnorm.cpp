#include "models/batchnorm.h"

#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"

namespace jetimg {

BatchNorm::BatchNorm(Context& ctx, const SampleShape& input, float momentum, float eps)
    : momentum_(momentum), eps_(eps) {
  if (input.size() != 1 && input.size() != 3)
    fail("batch_norm: needs inputs (F) or (C, H, W), got ", shape_string(input));
  if (!(momentum >= 0 && momentum <= 1)) fail("batch_norm: 'momentum' must be in [0, 1], got ", momentum);
  if (!(eps > 0)) fail("batch_norm: 'epsilon' must be > 0, got ", eps);
  channels_ = input[0];
  const Device device = ctx.device();
  gamma_ = Tensor::empty({channels_}, device);
  fill(ctx, gamma_, 1.0f);
  beta_ = Tensor::zeros({channels_}, device);
  dgamma_ = Tensor::zeros({channels_}, device);
  dbeta_ = Tensor::zeros({channels_}, device);
  running_mean_ = Tensor::zeros({channels_}, device);
  running_var_ = Tensor::empty({channels_}, device);
  fill(ctx, running_var_, 1.0f);
  save_mean_ = Tensor::zeros({channels_}, device);
  save_invstd_ = Tensor::zeros({channels_}, device);
}

Tensor BatchNorm::forward(Context& ctx, const Tensor& x) {
  if ((x.ndim() != 2 && x.ndim() != 4) || x.dim(1) != channels_)
    fail("batch_norm: expected input (N, ", channels_, ") or (N, ", channels_, ", H, W), got ", x.shape().str());
  x_ = x;
  ensure_tensor(y_, x.shape(), ctx.device());
  trained_forward_ = training_;
  if (training_)
    batchnorm_forward_train(ctx, x, gamma_, beta_, momentum_, eps_, running_mean_, running_var_, y_, save_mean_,
                            save_invstd_);
  else
    batchnorm_forward_inference(ctx, x, gamma_, beta_, eps_, running_mean_, running_var_, y_);
  return y_;
}

Tensor BatchNorm::backward(Context& ctx, const Tensor& dy) {
  if (!y_.defined()) fail("batch_norm: backward called before forward");
  if (!trained_forward_) fail("batch_norm: backward needs a forward in training mode");
  if (dy.shape() != y_.shape()) fail("batch_norm: dy has shape ", dy.shape().str(), " but y had ", y_.shape().str());
  ensure_tensor(dx_, x_.shape(), ctx.device());
  batchnorm_backward(ctx, x_, dy, gamma_, save_mean_, save_invstd_, dx_, dgamma_, dbeta_);
  return dx_;
}

LayerNorm::LayerNorm(Context& ctx, int64_t features, float eps) : eps_(eps), features_(features) {
  if (!(eps > 0)) fail("layer_norm: 'epsilon' must be > 0, got ", eps);
  const Device device = ctx.device();
  gamma_ = Tensor::empty({features}, device);
  fill(ctx, gamma_, 1.0f);
  beta_ = Tensor::zeros({features}, device);
  dgamma_ = Tensor::zeros({features}, device);
  dbeta_ = Tensor::zeros({features}, device);
}

Tensor LayerNorm::forward(Context& ctx, const Tensor& x) {
  if (x.ndim() != 2 || x.dim(1) != features_)
    fail("layer_norm: expected input (N, ", features_, "), got ", x.shape().str());
  x_ = x;
  ensure_tensor(y_, x.shape(), ctx.device());
  ensure_tensor(save_mean_, {x.dim(0)}, ctx.device());
  ensure_tensor(save_invstd_, {x.dim(0)}, ctx.device());
  layer_norm_forward(ctx, x, gamma_, beta_, eps_, y_, save_mean_, save_invstd_);
  return y_;
}

Tensor LayerNorm::backward(Context& ctx, const Tensor& dy) {
  if (!y_.defined()) fail("layer_norm: backward called before forward");
  if (dy.shape() != y_.shape()) fail("layer_norm: dy has shape ", dy.shape().str(), " but y had ", y_.shape().str());
  ensure_tensor(dx_, x_.shape(), ctx.device());
  layer_norm_backward(ctx, x_, dy, gamma_, save_mean_, save_invstd_, dx_, dgamma_, dbeta_);
  return dx_;
}

}  // namespace jetimg
