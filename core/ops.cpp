#include "core/ops.h"

#include "core/dispatch.h"
#include "core/error.h"

namespace jetimg {
namespace {

void check_on_context_device(const Context& ctx, const Tensor& t, const char* op, const char* name) {
  if (!t.defined()) fail(op, ": tensor '", name, "' is empty");
  if (t.device() != ctx.device())
    fail(op, ": tensor '", name, "' is on ", t.device().str(), " but the context runs on ", ctx.device().str());
}

}  // namespace

void fill(Context& ctx, Tensor& x, float value) {
  check_on_context_device(ctx, x, "fill", "x");
  JI_DISPATCH(ctx.device(), fill, ctx, x, value);
}

void scale(Context& ctx, Tensor& x, float alpha) {
  check_on_context_device(ctx, x, "scale", "x");
  JI_DISPATCH(ctx.device(), scale, ctx, x, alpha);
}

void axpy(Context& ctx, float alpha, const Tensor& x, Tensor& y) {
  check_on_context_device(ctx, x, "axpy", "x");
  check_on_context_device(ctx, y, "axpy", "y");
  if (x.shape() != y.shape()) fail("axpy: x has shape ", x.shape().str(), " but y has ", y.shape().str());
  JI_DISPATCH(ctx.device(), axpy, ctx, alpha, x, y);
}

double sum(Context& ctx, const Tensor& x) {
  check_on_context_device(ctx, x, "sum", "x");
  count_synchronization(ctx.device());  // the host reads the result
  return JI_DISPATCH(ctx.device(), sum, ctx, x);
}

void accumulate_sum(Context& ctx, const Tensor& x, float alpha, Tensor& out, int64_t index) {
  check_on_context_device(ctx, x, "accumulate_sum", "x");
  check_on_context_device(ctx, out, "accumulate_sum", "out");
  if (index < 0 || index >= out.numel())
    fail("accumulate_sum: index ", index, " is outside out ", out.shape().str());
  (void)x.data(), (void)out.data();  // float32 only
  JI_DISPATCH(ctx.device(), accumulate_sum, ctx, x, alpha, out, index);
}

void fill_flipped_labels(Context& ctx, Tensor& out, float value, float other, double probability, uint64_t seed,
                         uint64_t stream) {
  check_on_context_device(ctx, out, "fill_flipped_labels", "out");
  (void)out.data();
  JI_DISPATCH(ctx.device(), fill_flipped_labels, ctx, out, value, other, probability, seed, stream);
}

void sum_rows(Context& ctx, const Tensor& x, Tensor& out) {
  check_on_context_device(ctx, x, "sum_rows", "x");
  check_on_context_device(ctx, out, "sum_rows", "out");
  if (x.ndim() < 1 || x.dim(0) == 0 || out.numel() * x.dim(0) != x.numel())
    fail("sum_rows: x ", x.shape().str(), " does not reduce over its first dimension to out ", out.shape().str());
  JI_DISPATCH(ctx.device(), sum_rows, ctx, x, out);
}

void weighted_moments(Context& ctx, const Tensor& x, const Tensor& w, Tensor& sum_wx, Tensor& sum_wx2) {
  check_on_context_device(ctx, x, "weighted_moments", "x");
  check_on_context_device(ctx, w, "weighted_moments", "w");
  check_on_context_device(ctx, sum_wx, "weighted_moments", "sum_wx");
  check_on_context_device(ctx, sum_wx2, "weighted_moments", "sum_wx2");
  if (x.ndim() < 1 || w.shape() != Shape{x.dim(0)} || x.dim(0) == 0 || sum_wx.numel() * x.dim(0) != x.numel() ||
      sum_wx2.numel() != sum_wx.numel())
    fail("weighted_moments: x ", x.shape().str(), ", w ", w.shape().str(), " and outputs ", sum_wx.shape().str(),
         " do not fit (x: (N, ...), w: (N), outputs: one row of x)");
  JI_DISPATCH(ctx.device(), weighted_moments, ctx, x, w, sum_wx, sum_wx2);
}

void random_uniform(Context& ctx, Tensor& x, float lo, float hi) {
  check_on_context_device(ctx, x, "random_uniform", "x");
  if (!(hi > lo)) fail("random_uniform: need lo < hi, got [", lo, ", ", hi, ")");
  JI_DISPATCH(ctx.device(), random_uniform, ctx, x, ctx.next_random_stream(), lo, hi);
}

void random_normal(Context& ctx, Tensor& x, float mean, float stddev) {
  check_on_context_device(ctx, x, "random_normal", "x");
  if (!(stddev >= 0)) fail("random_normal: stddev must be >= 0, got ", stddev);
  JI_DISPATCH(ctx.device(), random_normal, ctx, x, ctx.next_random_stream(), mean, stddev);
}

}  // namespace jetimg
