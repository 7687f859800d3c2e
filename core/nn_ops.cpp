#include "core/nn_ops.h"

#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/op_checks.h"
#include "core/ops.h"

namespace jetimg {

void activation_forward(Context& ctx, ActivationParams p, const Tensor& x, Tensor& y) {
  check_device(ctx, x, "activation_forward", "x");
  check_device(ctx, y, "activation_forward", "y");
  check_same_shape(x, y, "activation_forward", "x", "y");
  JI_DISPATCH(ctx.device(), activation_forward, ctx, p, x, y);
}

void activation_backward(Context& ctx, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx) {
  const char* op = "activation_backward";
  check_device(ctx, x, op, "x");
  check_device(ctx, y, op, "y");
  check_device(ctx, dy, op, "dy");
  check_device(ctx, dx, op, "dx");
  check_same_shape(x, y, op, "x", "y");
  check_same_shape(x, dy, op, "x", "dy");
  check_same_shape(x, dx, op, "x", "dx");
  JI_DISPATCH(ctx.device(), activation_backward, ctx, p, x, y, dy, dx);
}

void softmax_forward(Context& ctx, const Tensor& x, Tensor& y) {
  check_device(ctx, x, "softmax_forward", "x");
  check_device(ctx, y, "softmax_forward", "y");
  check_same_shape(x, y, "softmax_forward", "x", "y");
  if (x.ndim() < 1 || x.dim(x.ndim() - 1) == 0) fail("softmax_forward: x ", x.shape().str(), " has no classes");
  JI_DISPATCH(ctx.device(), softmax_forward, ctx, x, y);
}

void softmax_backward(Context& ctx, const Tensor& y, const Tensor& dy, Tensor& dx) {
  check_device(ctx, y, "softmax_backward", "y");
  check_device(ctx, dy, "softmax_backward", "dy");
  check_device(ctx, dx, "softmax_backward", "dx");
  check_same_shape(y, dy, "softmax_backward", "y", "dy");
  check_same_shape(y, dx, "softmax_backward", "y", "dx");
  if (y.ndim() < 1 || y.dim(y.ndim() - 1) == 0) fail("softmax_backward: y ", y.shape().str(), " has no classes");
  JI_DISPATCH(ctx.device(), softmax_backward, ctx, y, dy, dx);
}

void bias_add(Context& ctx, Tensor& y, const Tensor& bias) {
  check_device(ctx, y, "bias_add", "y");
  check_device(ctx, bias, "bias_add", "bias");
  if (y.ndim() != 2 || bias.shape() != Shape{y.dim(1)})
    fail("bias_add: y ", y.shape().str(), " and bias ", bias.shape().str(), " do not fit (y: (N, F), bias: (F))");
  JI_DISPATCH(ctx.device(), bias_add, ctx, y, bias);
}

void bias_backward(Context& ctx, const Tensor& dy, Tensor& dbias) {
  if (dy.ndim() != 2 || dbias.shape() != Shape{dy.dim(1)})
    fail("bias_backward: dy ", dy.shape().str(), " and dbias ", dbias.shape().str(),
         " do not fit (dy: (N, F), dbias: (F))");
  if (dy.dim(0) == 0) {
    fill(ctx, dbias, 0.0f);
    return;
  }
  sum_rows(ctx, dy, dbias);
}

void maxout_forward(Context& ctx, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner) {
  check_device(ctx, z, "maxout_forward", "z");
  check_device(ctx, y, "maxout_forward", "y");
  check_device(ctx, winner, "maxout_forward", "winner");
  if (pieces < 1 || z.ndim() != 2 || y.ndim() != 2 || z.dim(0) != y.dim(0) || z.dim(1) != pieces * y.dim(1) ||
      winner.shape() != y.shape())
    fail("maxout_forward: z ", z.shape().str(), ", y ", y.shape().str(), ", winner ", winner.shape().str(),
         " and ", pieces, " pieces do not fit (z: (N, pieces·units), y and winner: (N, units))");
  JI_DISPATCH(ctx.device(), maxout_forward, ctx, z, pieces, y, winner);
}

void maxout_backward(Context& ctx, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz) {
  check_device(ctx, dy, "maxout_backward", "dy");
  check_device(ctx, winner, "maxout_backward", "winner");
  check_device(ctx, dz, "maxout_backward", "dz");
  if (pieces < 1 || dy.ndim() != 2 || dz.ndim() != 2 || dy.dim(0) != dz.dim(0) || dz.dim(1) != pieces * dy.dim(1) ||
      winner.shape() != dy.shape())
    fail("maxout_backward: dy ", dy.shape().str(), ", winner ", winner.shape().str(), ", dz ", dz.shape().str(),
         " and ", pieces, " pieces do not fit");
  JI_DISPATCH(ctx.device(), maxout_backward, ctx, dy, winner, pieces, dz);
}

void dropout_forward(Context& ctx, const Tensor& x, float rate, Tensor& mask, Tensor& y) {
  check_device(ctx, x, "dropout_forward", "x");
  check_device(ctx, mask, "dropout_forward", "mask");
  check_device(ctx, y, "dropout_forward", "y");
  check_same_shape(x, mask, "dropout_forward", "x", "mask");
  check_same_shape(x, y, "dropout_forward", "x", "y");
  if (!(rate >= 0.0f && rate < 1.0f)) fail("dropout: rate must be in [0, 1), got ", rate);
  JI_DISPATCH(ctx.device(), dropout_forward, ctx, x, rate, ctx.next_random_stream(), mask, y);
}

void multiply(Context& ctx, const Tensor& a, const Tensor& b, Tensor& out) {
  check_device(ctx, a, "multiply", "a");
  check_device(ctx, b, "multiply", "b");
  check_device(ctx, out, "multiply", "out");
  check_same_shape(a, b, "multiply", "a", "b");
  check_same_shape(a, out, "multiply", "a", "out");
  JI_DISPATCH(ctx.device(), multiply, ctx, a, b, out);
}

void bias_activation_forward(Context& ctx, ActivationParams p, Tensor& z, const Tensor& bias, Tensor& y) {
  check_device(ctx, z, "bias_activation_forward", "z");
  check_device(ctx, bias, "bias_activation_forward", "bias");
  check_device(ctx, y, "bias_activation_forward", "y");
  if (z.ndim() != 2 || bias.shape() != Shape{z.dim(1)})
    fail("bias_activation_forward: z ", z.shape().str(), " and bias ", bias.shape().str(),
         " do not fit (z: (N, F), bias: (F))");
  check_same_shape(z, y, "bias_activation_forward", "z", "y");
  JI_DISPATCH(ctx.device(), bias_activation_forward, ctx, p, z, bias, y);
}

namespace {

// x: (N, C, ...) against per-channel tensors of C values.
void check_batchnorm(const Context& ctx, const Tensor& x, const std::vector<std::pair<const Tensor*, const char*>>& per_channel,
                     const char* op) {
  check_device(ctx, x, op, "x");
  if (x.ndim() < 2 || x.dim(0) == 0) fail(op, ": x must be (N, C) or (N, C, ...) with N > 0, got ", x.shape().str());
  for (const auto& [t, name] : per_channel) {
    check_device(ctx, *t, op, name);
    if (t->shape() != Shape{x.dim(1)})
      fail(op, ": '", name, "' has shape ", t->shape().str(), " but x ", x.shape().str(), " has ", x.dim(1),
           " channels");
  }
}

}  // namespace

void batchnorm_forward_train(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum,
                             float eps, Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& save_mean,
                             Tensor& save_invstd) {
  const char* op = "batchnorm_forward_train";
  check_batchnorm(ctx, x, {{&gamma, "gamma"}, {&beta, "beta"}, {&running_mean, "running_mean"},
                           {&running_var, "running_var"}, {&save_mean, "save_mean"}, {&save_invstd, "save_invstd"}},
                  op);
  check_device(ctx, y, op, "y");
  check_same_shape(x, y, op, "x", "y");
  if (!(eps > 0) || !(momentum >= 0 && momentum <= 1))
    fail(op, ": need eps > 0 and momentum in [0, 1], got eps ", eps, ", momentum ", momentum);
  JI_DISPATCH(ctx.device(), batchnorm_forward_train, ctx, x, gamma, beta, momentum, eps, running_mean, running_var, y,
              save_mean, save_invstd);
}

void batchnorm_forward_inference(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                                 const Tensor& running_mean, const Tensor& running_var, Tensor& y) {
  const char* op = "batchnorm_forward_inference";
  check_batchnorm(ctx, x, {{&gamma, "gamma"}, {&beta, "beta"}, {&running_mean, "running_mean"},
                           {&running_var, "running_var"}},
                  op);
  check_device(ctx, y, op, "y");
  check_same_shape(x, y, op, "x", "y");
  if (!(eps > 0)) fail(op, ": need eps > 0, got ", eps);
  JI_DISPATCH(ctx.device(), batchnorm_forward_inference, ctx, x, gamma, beta, eps, running_mean, running_var, y);
}

void batchnorm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                        const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  const char* op = "batchnorm_backward";
  check_batchnorm(ctx, x, {{&gamma, "gamma"}, {&save_mean, "save_mean"}, {&save_invstd, "save_invstd"},
                           {&dgamma, "dgamma"}, {&dbeta, "dbeta"}},
                  op);
  check_device(ctx, dy, op, "dy");
  check_device(ctx, dx, op, "dx");
  check_same_shape(x, dy, op, "x", "dy");
  check_same_shape(x, dx, op, "x", "dx");
  JI_DISPATCH(ctx.device(), batchnorm_backward, ctx, x, dy, gamma, save_mean, save_invstd, dx, dgamma, dbeta);
}

namespace {
// x (R, C) and the per-column (C) and per-row (R) tensors of layer norm.
void check_layer_norm(const Context& ctx, const Tensor& x, const std::vector<std::pair<const Tensor*, const char*>>& columns,
                      const std::vector<std::pair<const Tensor*, const char*>>& rows, const char* op) {
  check_device(ctx, x, op, "x");
  if (x.ndim() != 2 || x.dim(1) < 1) fail(op, ": x must be (R, C) with C >= 1, got ", x.shape().str());
  for (const auto& [t, name] : columns) {
    check_device(ctx, *t, op, name);
    if (t->numel() != x.dim(1)) fail(op, ": '", name, "' has shape ", t->shape().str(), " but x has ", x.dim(1), " columns");
  }
  for (const auto& [t, name] : rows) {
    check_device(ctx, *t, op, name);
    if (t->numel() != x.dim(0)) fail(op, ": '", name, "' has shape ", t->shape().str(), " but x has ", x.dim(0), " rows");
  }
}
}  // namespace

void layer_norm_forward(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y,
                        Tensor& save_mean, Tensor& save_invstd) {
  const char* op = "layer_norm_forward";
  if (!(eps > 0)) fail(op, ": epsilon must be > 0, got ", eps);
  check_layer_norm(ctx, x, {{&gamma, "gamma"}, {&beta, "beta"}}, {{&save_mean, "save_mean"}, {&save_invstd, "save_invstd"}},
                   op);
  check_device(ctx, y, op, "y");
  check_same_shape(x, y, op, "x", "y");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), layer_norm_forward, ctx, x, gamma, beta, eps, y, save_mean, save_invstd);
}

void layer_norm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma,
                         const Tensor& save_mean, const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
  const char* op = "layer_norm_backward";
  check_layer_norm(ctx, x, {{&gamma, "gamma"}, {&dgamma, "dgamma"}, {&dbeta, "dbeta"}},
                   {{&save_mean, "save_mean"}, {&save_invstd, "save_invstd"}}, op);
  check_device(ctx, dy, op, "dy");
  check_device(ctx, dx, op, "dx");
  check_same_shape(x, dy, op, "x", "dy");
  check_same_shape(x, dx, op, "x", "dx");
  if (x.dim(0) == 0) {
    fill(ctx, dgamma, 0.0f);
    fill(ctx, dbeta, 0.0f);
    return;
  }
  // dy·x̂ per element, then both column sums in the fixed order of sum_rows.
  Tensor prod = Tensor::empty(x.shape(), ctx.device());
  JI_DISPATCH(ctx.device(), layer_norm_backward, ctx, x, dy, gamma, save_mean, save_invstd, dx, prod);
  sum_rows(ctx, prod, dgamma);
  sum_rows(ctx, dy, dbeta);
}

}  // namespace jetimg
