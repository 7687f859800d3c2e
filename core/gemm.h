// Matrix product on 2-D row-major tensors, the work-horse of dense and maxout
// layers: OpenBLAS (cblas_sgemm) on the CPU, cuBLAS on CUDA, in the
// context's math mode (core/math_mode.h: float32 unless tf32 or bf16 was
// asked for; the CPU computes float32 in every mode).
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

// The dense forward z = x · weight + bias (x: (N, K), weight: (K, U), bias:
// (U), z: (N, U)) as one cuBLASLt matmul whose epilogue adds the bias, where
// the context allows it: on CUDA in the tf32 and bf16 math modes
// (core/math_mode.h). Returns false, z untouched, everywhere else (the CPU,
// the fp32 default, or no cuBLASLt algorithm for the shape): the caller then
// runs gemm and adds the bias itself, as fp32 always does.
bool gemm_bias(Context& ctx, const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& z);

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
bool gemm_bias(Context& ctx, const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& z);
}  // namespace cuda

}  // namespace jetimg
