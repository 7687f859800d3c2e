#include "core/train_ops.h"

#include <cmath>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/nn_math.h"
#include "core/op_checks.h"
#include "core/ops.h"

namespace jetimg {
namespace {

// Checks the per-sample weights (if given) against N samples.
const float* weights_of(const Context& ctx, const Tensor& weights, int64_t n, const char* op) {
  if (!weights.defined()) return nullptr;
  check_device(ctx, weights, op, "weights");
  if (weights.numel() != n) fail(op, ": ", n, " samples but weights has shape ", weights.shape().str());
  return weights.data();
}

float* gradient_of(const Context& ctx, const Tensor& input, Tensor* grad, const char* op, const char* name) {
  if (!grad) return nullptr;
  check_device(ctx, *grad, op, name);
  check_same_shape(input, *grad, op, "input", name);
  return grad->data();
}

Tensor regression(Context& ctx, RegressionLoss kind, const Tensor& pred, const Tensor& target, const Tensor& weights,
                  Tensor* dpred, const char* op) {
  check_device(ctx, pred, op, "pred");
  check_device(ctx, target, op, "target");
  check_same_shape(pred, target, op, "pred", "target");
  if (pred.ndim() < 1 || pred.numel() == 0) fail(op, ": empty prediction ", pred.shape().str());
  const int64_t n = pred.dim(0);
  const float* w = weights_of(ctx, weights, n, op);
  float* grad = gradient_of(ctx, pred, dpred, op, "dpred");
  Tensor terms = Tensor::empty(pred.shape(), ctx.device());
  JI_DISPATCH(ctx.device(), regression_loss, ctx, static_cast<int>(kind), pred, target, w,
              1.0f / static_cast<float>(pred.numel()), terms, grad);
  return terms;
}

// The loss from its terms: read back, or added to a slot on the device.
double total(Context& ctx, const Tensor& terms) { return sum(ctx, terms); }
void total(Context& ctx, const Tensor& terms, const LossSlot& slot) {
  if (!slot.out) fail("a loss slot without a tensor");
  accumulate_sum(ctx, terms, slot.alpha, *slot.out, slot.index);
}

}  // namespace

namespace {

Tensor bce_terms(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits) {
  const char* op = "bce_with_logits";
  check_device(ctx, logits, op, "logits");
  check_device(ctx, labels, op, "labels");
  const int64_t n = logits.ndim() >= 1 ? logits.dim(0) : 0;
  if (n == 0 || logits.numel() != n || logits.ndim() > 2)
    fail(op, ": logits must be (N) or (N, 1) with N > 0, got ", logits.shape().str());
  if (labels.numel() != n) fail(op, ": ", n, " logits but labels has shape ", labels.shape().str());
  const float* w = weights_of(ctx, weights, n, op);
  float* grad = gradient_of(ctx, logits, dlogits, op, "dlogits");
  Tensor terms = Tensor::empty({n}, ctx.device());
  JI_DISPATCH(ctx.device(), bce_with_logits, ctx, logits, labels, w, 1.0f / static_cast<float>(n), terms, grad);
  return terms;
}

Tensor cce_terms(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits) {
  const char* op = "categorical_crossentropy_with_logits";
  check_device(ctx, logits, op, "logits");
  check_device(ctx, labels, op, "labels");
  if (logits.ndim() != 2 || logits.dim(0) == 0 || logits.dim(1) == 0)
    fail(op, ": logits must be (N, C) with N, C > 0, got ", logits.shape().str());
  const int64_t n = logits.dim(0);
  const bool class_indices = labels.numel() == n && !(labels.ndim() == 2 && labels.dim(1) == logits.dim(1));
  if (!class_indices && labels.shape() != logits.shape())
    fail(op, ": labels must be N class indices or (N, C) targets like logits ", logits.shape().str(), ", got ",
         labels.shape().str());
  const float* w = weights_of(ctx, weights, n, op);
  float* grad = gradient_of(ctx, logits, dlogits, op, "dlogits");
  Tensor terms = Tensor::empty({n}, ctx.device());
  JI_DISPATCH(ctx.device(), softmax_cross_entropy, ctx, logits, labels, class_indices, w,
              1.0f / static_cast<float>(n), terms, grad);
  return terms;
}

}  // namespace

double bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights,
                       Tensor* dlogits) {
  return total(ctx, bce_terms(ctx, logits, labels, weights, dlogits));
}
void bce_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels, const Tensor& weights,
                     Tensor* dlogits, const LossSlot& slot) {
  total(ctx, bce_terms(ctx, logits, labels, weights, dlogits), slot);
}

double categorical_crossentropy_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels,
                                            const Tensor& weights, Tensor* dlogits) {
  return total(ctx, cce_terms(ctx, logits, labels, weights, dlogits));
}
void categorical_crossentropy_with_logits(Context& ctx, const Tensor& logits, const Tensor& labels,
                                          const Tensor& weights, Tensor* dlogits, const LossSlot& slot) {
  total(ctx, cce_terms(ctx, logits, labels, weights, dlogits), slot);
}

double mean_squared_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights,
                          Tensor* dpred) {
  return total(ctx, regression(ctx, RegressionLoss::Squared, pred, target, weights, dpred, "mean_squared_error"));
}
void mean_squared_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights, Tensor* dpred,
                        const LossSlot& slot) {
  total(ctx, regression(ctx, RegressionLoss::Squared, pred, target, weights, dpred, "mean_squared_error"), slot);
}

double mean_absolute_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights,
                           Tensor* dpred) {
  return total(ctx, regression(ctx, RegressionLoss::Absolute, pred, target, weights, dpred, "mean_absolute_error"));
}
void mean_absolute_error(Context& ctx, const Tensor& pred, const Tensor& target, const Tensor& weights, Tensor* dpred,
                         const LossSlot& slot) {
  total(ctx, regression(ctx, RegressionLoss::Absolute, pred, target, weights, dpred, "mean_absolute_error"), slot);
}

void clip_by_global_norm(Context& ctx, const std::vector<Tensor*>& tensors, double max_norm, const LossSlot& norm) {
  const char* op = "clip_by_global_norm";
  if (!norm.out) fail(op, ": no tensor for the norm");
  check_device(ctx, *norm.out, op, "norm");
  if (norm.index < 0 || norm.index >= norm.out->numel())
    fail(op, ": index ", norm.index, " is outside the norm's tensor ", norm.out->shape().str());
  for (Tensor* t : tensors) {
    if (!t) fail(op, ": a null tensor");
    check_device(ctx, *t, op, "tensor");
    (void)t->data();
  }
  JI_DISPATCH(ctx.device(), clip_by_global_norm, ctx, tensors, max_norm, *norm.out, norm.index, norm.alpha);
}

double squared_norm(Context& ctx, const Tensor& x) {
  check_device(ctx, x, "squared_norm", "x");
  if (x.numel() == 0) return 0.0;
  count_synchronization(ctx.device());  // the host reads the result
  return JI_DISPATCH(ctx.device(), squared_norm, ctx, x);
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
               float beta2, float eps, float weight_decay, int64_t step) {
  const char* op = "adam_step";
  check_device(ctx, param, op, "param");
  check_device(ctx, grad, op, "grad");
  check_device(ctx, m, op, "m");
  check_device(ctx, v, op, "v");
  check_same_shape(param, grad, op, "param", "grad");
  check_same_shape(param, m, op, "param", "m");
  check_same_shape(param, v, op, "param", "v");
  if (step < 1) fail(op, ": step counts from 1, got ", step);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(lr >= 0) || !(weight_decay >= 0))
    fail(op, ": need lr >= 0, beta1 and beta2 in [0, 1), eps > 0, weight_decay >= 0; got lr ", lr, ", beta1 ", beta1,
         ", beta2 ", beta2, ", eps ", eps, ", weight_decay ", weight_decay);
  // The bias corrections in double, once per step.
  const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta1), static_cast<double>(step))));
  const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(static_cast<double>(beta2), static_cast<double>(step))));
  JI_DISPATCH(ctx.device(), adam_step, ctx, param, grad, m, v, lr, beta1, beta2, eps, c1, c2, weight_decay);
}

}  // namespace jetimg
