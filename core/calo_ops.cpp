#include "core/calo_ops.h"

#include "core/dispatch.h"
#include "core/op_checks.h"

namespace jetimg {
namespace {

void check_rows(const Tensor& t, int64_t n, int64_t cols, const char* op, const char* name) {
  const bool ok = t.dim(0) == n && t.numel() == n * cols && (t.ndim() == 2 || (t.ndim() == 1 && cols == 1));
  if (!ok) fail(op, ": '", name, "' must be (", n, ", ", cols, "), got ", t.shape().str());
}

}  // namespace

void scale_rows(Context& ctx, const Tensor& x, const Tensor& s, float factor, Tensor& y) {
  check_device(ctx, x, "scale_rows", "x");
  check_device(ctx, s, "scale_rows", "s");
  check_device(ctx, y, "scale_rows", "y");
  if (x.ndim() != 2) fail("scale_rows: 'x' must be (N, K), got ", x.shape().str());
  check_rows(s, x.dim(0), 1, "scale_rows", "s");
  check_same_shape(x, y, "scale_rows", "x", "y");
  JI_DISPATCH(ctx.device(), scale_rows, ctx, x, s, factor, y);
}

void energy_features_forward(Context& ctx, const Tensor& e, const Tensor& incident, Tensor& feats, Tensor& total) {
  const char* op = "energy_features_forward";
  check_device(ctx, e, op, "e");
  check_device(ctx, incident, op, "incident");
  check_device(ctx, feats, op, "feats");
  check_device(ctx, total, op, "total");
  if (e.ndim() != 2) fail(op, ": 'e' must be (N, L), got ", e.shape().str());
  const int64_t n = e.dim(0), layers = e.dim(1);
  check_rows(incident, n, 1, op, "incident");
  check_rows(feats, n, layers + 3, op, "feats");
  check_rows(total, n, 1, op, "total");
  JI_DISPATCH(ctx.device(), energy_features_forward, ctx, e, incident, feats, total);
}

void energy_features_backward(Context& ctx, const Tensor& e, const Tensor& incident, const Tensor& dfeats,
                              const Tensor& dtotal, Tensor& de) {
  const char* op = "energy_features_backward";
  check_device(ctx, e, op, "e");
  check_device(ctx, incident, op, "incident");
  check_device(ctx, dfeats, op, "dfeats");
  check_device(ctx, de, op, "de");
  if (e.ndim() != 2) fail(op, ": 'e' must be (N, L), got ", e.shape().str());
  const int64_t n = e.dim(0), layers = e.dim(1);
  check_rows(incident, n, 1, op, "incident");
  check_rows(dfeats, n, layers + 3, op, "dfeats");
  check_same_shape(e, de, op, "e", "de");
  if (dtotal.defined()) {
    check_device(ctx, dtotal, op, "dtotal");
    check_rows(dtotal, n, 1, op, "dtotal");
  }
  JI_DISPATCH(ctx.device(), energy_features_backward, ctx, e, incident, dfeats,
              dtotal.defined() ? dtotal.data() : nullptr, de);
}

}  // namespace jetimg
