// CUDA matrix product through cuBLAS. cuBLAS is column-major: a row-major
// (R, C) matrix is the column-major (C, R) matrix of its transpose, so the
// row-major C = op(A) op(B) is computed as the column-major Cᵀ = op(B)ᵀ op(A)ᵀ,
// i.e. cublasSgemm with the operands swapped and M, N exchanged.
#include "core/cuda_check.h"
#include "core/gemm.h"
#include "core/ops.h"

namespace jetimg::cuda {

void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c) {
  const int m = static_cast<int>(c.dim(0)), n = static_cast<int>(c.dim(1));
  const int k = static_cast<int>(trans_a ? a.dim(0) : a.dim(1));
  if (k == 0) {
    if (beta == 0.0f) cuda::fill(ctx, c, 0.0f);
    else cuda::scale(ctx, c, beta);
    return;
  }
  auto handle = static_cast<cublasHandle_t>(ctx.cublas());
  JI_CUBLAS_CHECK(cublasSgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m,
                              k, &alpha, b.data(), static_cast<int>(b.dim(1)), a.data(), static_cast<int>(a.dim(1)),
                              &beta, c.data(), n));
}

}  // namespace jetimg::cuda
