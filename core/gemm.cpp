#include "core/gemm.h"

#include "core/dispatch.h"
#include "core/error.h"

namespace jetimg {

void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c) {
  const auto check = [&](const Tensor& t, const char* name) {
    if (!t.defined()) fail("gemm: tensor '", name, "' is empty");
    if (t.device() != ctx.device())
      fail("gemm: tensor '", name, "' is on ", t.device().str(), " but the context runs on ", ctx.device().str());
    if (t.ndim() != 2) fail("gemm: '", name, "' must be 2-D, got ", t.shape().str());
  };
  check(a, "a");
  check(b, "b");
  check(c, "c");
  const int64_t m = trans_a ? a.dim(1) : a.dim(0), k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = trans_b ? b.dim(1) : b.dim(0), n = trans_b ? b.dim(0) : b.dim(1);
  if (k != kb || c.dim(0) != m || c.dim(1) != n)
    fail("gemm: op(a) ", Shape{m, k}.str(), " times op(b) ", Shape{kb, n}.str(), " does not fit c ",
         c.shape().str());
  if (m == 0 || n == 0) return;
  JI_DISPATCH(ctx.device(), gemm, ctx, trans_a, trans_b, alpha, a, b, beta, c);
}

}  // namespace jetimg
