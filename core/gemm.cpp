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

bool gemm_bias(Context& ctx, const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& z) {
  if (!ctx.device().is_cuda() || ctx.math_mode() == MathMode::fp32) return false;
  for (const Tensor* t : {&x, &weight, &bias, static_cast<const Tensor*>(&z)})
    if (!t->defined() || t->device() != ctx.device()) return false;
  if (x.ndim() != 2 || weight.ndim() != 2 || bias.ndim() != 1 || z.ndim() != 2 || weight.dim(0) != x.dim(1) ||
      bias.dim(0) != weight.dim(1) || z.dim(0) != x.dim(0) || z.dim(1) != weight.dim(1))
    fail("gemm_bias: x ", x.shape().str(), " · weight ", weight.shape().str(), " + bias ", bias.shape().str(),
         " does not fit z ", z.shape().str());
#if JETIMG_WITH_CUDA
  return (cuda::DeviceGuard(ctx.device().index), cuda::gemm_bias(ctx, x, weight, bias, z));
#else
  return false;
#endif
}

}  // namespace jetimg
