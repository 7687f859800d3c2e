// Matrix product on 2-D row-major tensors, the work-horse of dense and maxout
// layers: OpenBLAS (cblas_sgemm) on the CPU, cuBLAS on CUDA.
//
//   C = alpha · op(A) · op(B) + beta · C,   op(X) = X or Xᵀ
//
// with op(A): (M, K), op(B): (K, N), C: (M, N). With beta = 0, C is written
// and its previous contents (even NaN) are ignored.
#pragma once

#include "core/context.h"
#include "core/tensor.h"

namespace jetimg {

void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c);

namespace host {
void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c);
// Keeps OpenBLAS to one thread (host/gemm.cpp says why); every CPU op that
// calls cblas directly calls this first.
void serial_blas();
}  // namespace host

namespace cuda {
void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c);
}  // namespace cuda

}  // namespace jetimg
