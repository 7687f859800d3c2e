#include "core/train_ops.h"

#include <cmath>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops.h"

namespace jetimg {
namespace {

void check_device(const Context& ctx, const Tensor& t, const char* op, const char* name) {
  if (!t.defined()) fail(op, ": tensor '", name, "' is empty");
  if (t.device() != ctx.device())
    fail(op, ": tensor '", name, "' is on ", t.device().str(), " but the context runs on ", ctx.device().str());
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* op, const char* name_a, const char* name_b) {
  if (a.shape() != b.shape())
    fail(op, ": '", name_a, "' has shape ", a.shape().str(), " but '", name_b, "' has ", b.shape().str());
}

}  // namespace

double bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights,
                       Tensor* dlogits) {
  const char* op = "bce_with_logits";
  check_device(ctx, logits, op, "logits");
  check_device(ctx, labels, op, "labels");
  const int64_t n = logits.ndim() >= 1 ? logits.dim(0) : 0;
  if (n == 0 || logits.numel() != n || logits.ndim() > 2)
    fail(op, ": logits must be (N) or (N, 1) with N > 0, got ", logits.shape().str());
  if (labels.numel() != n) fail(op, ": ", n, " logits but labels has shape ", labels.shape().str());
  if (weights.defined()) {
    check_device(ctx, weights, op, "weights");
    if (weights.numel() != n) fail(op, ": ", n, " logits but weights has shape ", weights.shape().str());
  }
  if (dlogits) {
    check_device(ctx, *dlogits, op, "dlogits");
    check_same_shape(logits, *dlogits, op, "logits", "dlogits");
  }
  Tensor terms = Tensor::empty({n}, ctx.device());
  const float* w = weights.defined() ? weights.data() : nullptr;
  float* grad = dlogits ? dlogits->data() : nullptr;
  JI_DISPATCH(ctx.device(), bce_with_logits, ctx, logits, labels, w, 1.0f / static_cast<float>(n), terms, grad);
  return sum(ctx, terms);
}

double mean_squared_error(Context& ctx, const Tensor& pred, const Tensor& target, Tensor* dpred) {
  const char* op = "mean_squared_error";
  check_device(ctx, pred, op, "pred");
  check_device(ctx, target, op, "target");
  check_same_shape(pred, target, op, "pred", "target");
  if (pred.numel() == 0) fail(op, ": empty prediction ", pred.shape().str());
  if (dpred) {
    check_device(ctx, *dpred, op, "dpred");
    check_same_shape(pred, *dpred, op, "pred", "dpred");
  }
  Tensor terms = Tensor::empty(pred.shape(), ctx.device());
  JI_DISPATCH(ctx.device(), squared_error, ctx, pred, target, 1.0f / static_cast<float>(pred.numel()), terms,
              dpred ? dpred->data() : nullptr);
  return sum(ctx, terms);
}

void sgd_momentum_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& velocity, float lr, float momentum) {
  const char* op = "sgd_momentum_step";
  check_device(ctx, param, op, "param");
  check_device(ctx, grad, op, "grad");
  check_device(ctx, velocity, op, "velocity");
  check_same_shape(param, grad, op, "param", "grad");
  check_same_shape(param, velocity, op, "param", "velocity");
  if (!(lr >= 0) || !(momentum >= 0 && momentum < 1))
    fail(op, ": need lr >= 0 and momentum in [0, 1), got lr ", lr, ", momentum ", momentum);
  JI_DISPATCH(ctx.device(), sgd_momentum_step, ctx, param, grad, velocity, lr, momentum);
}

void adam_step(Context& ctx, Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, float lr, float beta1,
               float beta2, float eps, int64_t step) {
  const char* op = "adam_step";
  check_device(ctx, param, op, "param");
  check_device(ctx, grad, op, "grad");
  check_device(ctx, m, op, "m");
  check_device(ctx, v, op, "v");
  check_same_shape(param, grad, op, "param", "grad");
  check_same_shape(param, m, op, "param", "m");
  check_same_shape(param, v, op, "param", "v");
  if (step < 1) fail(op, ": step counts from 1, got ", step);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(lr >= 0))
    fail(op, ": need lr >= 0, beta1 and beta2 in [0, 1), eps > 0; got lr ", lr, ", beta1 ", beta1, ", beta2 ", beta2,
         ", eps ", eps);
  // The bias corrections in double, once per step.
  const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(step))));
  const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(step))));
  JI_DISPATCH(ctx.device(), adam_step, ctx, param, grad, m, v, lr, beta1, beta2, eps, c1, c2);
}

}  // namespace jetimg
