// CPU matrix product through OpenBLAS. BLAS leaves C untouched only when
// beta = 0 is honoured as "do not read C", which cblas_sgemm does; an empty
// inner dimension (K = 0) is handled here since it means C = beta · C.
#include <cblas.h>

#include "core/gemm.h"
#include "core/ops.h"

namespace jetimg::host {

void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c) {
  const int m = static_cast<int>(c.dim(0)), n = static_cast<int>(c.dim(1));
  const int k = static_cast<int>(trans_a ? a.dim(0) : a.dim(1));
  if (k == 0) {
    if (beta == 0.0f) host::fill(ctx, c, 0.0f);
    else host::scale(ctx, c, beta);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha,
              a.data(), static_cast<int>(a.dim(1)), b.data(), static_cast<int>(b.dim(1)), beta, c.data(), n);
}

}  // namespace jetimg::host
