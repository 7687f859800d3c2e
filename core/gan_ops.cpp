#include "core/gan_ops.h"

#include <cmath>
#include <vector>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/op_checks.h"

namespace jetimg {
namespace {

// x: (N, C, ...) and y: (N, 1, ...) with the same trailing dimensions.
Shape combined_shape(const Shape& x) {
  std::vector<int64_t> dims;
  for (int i = 0; i < x.ndim(); ++i) dims.push_back(i == 1 ? 1 : x[i]);
  return Shape(dims);
}

void check_attention(const Tensor& x, const Tensor& logits, const Tensor& y, const char* op, const char* y_name) {
  if (x.ndim() < 2 || x.dim(1) < 1)
    fail(op, ": x must be (N, C, ...) with C >= 1, got ", x.shape().str());
  check_same_shape(x, logits, op, "x", "logits");
  if (y.shape() != combined_shape(x.shape()))
    fail(op, ": '", y_name, "' must be ", combined_shape(x.shape()).str(), " for x ", x.shape().str(), ", got ",
         y.shape().str());
}

// x: (N, ...) against out: (N, 1).
void check_per_sample(const Tensor& x, const Tensor& out, const char* op, const char* x_name, const char* out_name) {
  if (x.ndim() < 1) fail(op, ": '", x_name, "' must be (N, ...), got ", x.shape().str());
  if (out.shape() != Shape{x.dim(0), 1})
    fail(op, ": '", out_name, "' must be (", x.dim(0), ", 1) for '", x_name, "' ", x.shape().str(), ", got ",
         out.shape().str());
}

}  // namespace

// --- minibatch discrimination -------------------------------------------------------------

void minibatch_discrimination_forward(Context& ctx, const Tensor& m, Tensor& out) {
  const char* op = "minibatch_discrimination_forward";
  check_device(ctx, m, op, "m");
  check_device(ctx, out, op, "out");
  if (m.ndim() != 3 || m.dim(2) < 1) fail(op, ": m must be (N, F, V) with V >= 1, got ", m.shape().str());
  if (out.shape() != Shape{m.dim(0), m.dim(1)})
    fail(op, ": out must be (", m.dim(0), ", ", m.dim(1), ") for m ", m.shape().str(), ", got ", out.shape().str());
  if (m.numel() == 0) return;
  JI_DISPATCH(ctx.device(), minibatch_discrimination_forward, ctx, m, out);
}

void minibatch_discrimination_backward(Context& ctx, const Tensor& m, const Tensor& dout, Tensor& dm) {
  const char* op = "minibatch_discrimination_backward";
  check_device(ctx, m, op, "m");
  check_device(ctx, dout, op, "dout");
  check_device(ctx, dm, op, "dm");
  if (m.ndim() != 3 || m.dim(2) < 1) fail(op, ": m must be (N, F, V) with V >= 1, got ", m.shape().str());
  if (dout.shape() != Shape{m.dim(0), m.dim(1)})
    fail(op, ": dout must be (", m.dim(0), ", ", m.dim(1), ") for m ", m.shape().str(), ", got ",
         dout.shape().str());
  check_same_shape(m, dm, op, "m", "dm");
  if (m.numel() == 0) return;
  JI_DISPATCH(ctx.device(), minibatch_discrimination_backward, ctx, m, dout, dm);
}

// --- attention combine ------------------------------------------------------------------------

void attention_combine_forward(Context& ctx, const Tensor& x, const Tensor& logits, Tensor& y) {
  const char* op = "attention_combine_forward";
  check_device(ctx, x, op, "x");
  check_device(ctx, logits, op, "logits");
  check_device(ctx, y, op, "y");
  check_attention(x, logits, y, op, "y");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), attention_combine_forward, ctx, x, logits, y);
}

void attention_combine_backward(Context& ctx, const Tensor& x, const Tensor& logits, const Tensor& dy, Tensor& dx,
                                Tensor& dlogits) {
  const char* op = "attention_combine_backward";
  check_device(ctx, x, op, "x");
  check_device(ctx, logits, op, "logits");
  check_device(ctx, dy, op, "dy");
  check_device(ctx, dx, op, "dx");
  check_device(ctx, dlogits, op, "dlogits");
  check_attention(x, logits, dy, op, "dy");
  check_same_shape(x, dx, op, "x", "dx");
  check_same_shape(x, dlogits, op, "x", "dlogits");
  if (x.numel() == 0) return;
  JI_DISPATCH(ctx.device(), attention_combine_backward, ctx, x, logits, dy, dx, dlogits);
}

// --- per-sample reductions -----------------------------------------------------------------------

void sum_per_sample(Context& ctx, const Tensor& x, Tensor& out) {
  check_device(ctx, x, "sum_per_sample", "x");
  check_device(ctx, out, "sum_per_sample", "out");
  check_per_sample(x, out, "sum_per_sample", "x", "out");
  if (x.dim(0) == 0) return;
  JI_DISPATCH(ctx.device(), sum_per_sample, ctx, x, out);
}

void sum_per_sample_backward(Context& ctx, const Tensor& dout, Tensor& dx) {
  check_device(ctx, dout, "sum_per_sample_backward", "dout");
  check_device(ctx, dx, "sum_per_sample_backward", "dx");
  check_per_sample(dx, dout, "sum_per_sample_backward", "dx", "dout");
  if (dx.numel() == 0) return;
  JI_DISPATCH(ctx.device(), sum_per_sample_backward, ctx, dout, dx);
}

void fraction_above(Context& ctx, const Tensor& x, float threshold, Tensor& out) {
  check_device(ctx, x, "fraction_above", "x");
  check_device(ctx, out, "fraction_above", "out");
  check_per_sample(x, out, "fraction_above", "x", "out");
  if (x.dim(0) == 0) return;
  if (x.numel() == 0) fail("fraction_above: the samples of x ", x.shape().str(), " have no elements");
  if (std::isnan(threshold)) fail("fraction_above: the threshold is NaN");
  JI_DISPATCH(ctx.device(), fraction_above, ctx, x, threshold, out);
}

}  // namespace jetimg
