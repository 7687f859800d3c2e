// CPU matrix product through OpenBLAS. BLAS leaves C untouched only when
// beta = 0 is honoured as "do not read C", which cblas_sgemm does; an empty
// inner dimension (K = 0) is handled here since it means C = beta · C.
//
// Threads: the other CPU ops run on OpenMP's thread pool, and OpenBLAS's own
// pthreads pool competes with it for the cores (OpenMP threads spin for a
// while after each parallel loop), which made training 3-4x slower on two
// cores. So OpenBLAS is kept to one thread, and large products are split
// here into blocks of rows (or columns) of C, one single-threaded sgemm per
// OpenMP thread. Every element of C is still one whole dot product over K, so
// the split does not change the result.
#include <cblas.h>
#include <omp.h>

#include <algorithm>

#include "core/gemm.h"
#include "core/ops.h"

namespace jetimg::host {
namespace {

// Products smaller than this (in multiply-adds) run on one thread.
constexpr double kParallelWork = 2e5;

}  // namespace

void serial_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

void gemm(Context& ctx, bool trans_a, bool trans_b, float alpha, const Tensor& a, const Tensor& b, float beta,
          Tensor& c) {
  const int m = static_cast<int>(c.dim(0)), n = static_cast<int>(c.dim(1));
  const int k = static_cast<int>(trans_a ? a.dim(0) : a.dim(1));
  if (k == 0) {
    if (beta == 0.0f) host::fill(ctx, c, 0.0f);
    else host::scale(ctx, c, beta);
    return;
  }
  serial_blas();
  const int lda = static_cast<int>(a.dim(1)), ldb = static_cast<int>(b.dim(1));
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
  const double work = double(m) * n * k;
  const int threads = work < kParallelWork || omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads == 1) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), n);
    return;
  }
  // Split the longer side of C into `threads` blocks (multiples of 16 keep
  // OpenBLAS's kernels on full tiles).
  const bool by_rows = m >= n;
  const int length = by_rows ? m : n;
  const int block = std::max(16, (length / threads + 15) / 16 * 16);
  const int blocks = (length + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int i = 0; i < blocks; ++i) {
    const int first = i * block, count = std::min(block, length - first);
    if (by_rows) {  // rows [first, first + count) of op(A) and of C
      const float* a_block = a.data() + (trans_a ? first : static_cast<int64_t>(first) * lda);
      cblas_sgemm(CblasRowMajor, ta, tb, count, n, k, alpha, a_block, lda, b.data(), ldb, beta,
                  c.data() + static_cast<int64_t>(first) * n, n);
    } else {  // columns [first, first + count) of op(B) and of C
      const float* b_block = b.data() + (trans_b ? static_cast<int64_t>(first) * ldb : first);
      cblas_sgemm(CblasRowMajor, ta, tb, m, count, k, alpha, a.data(), lda, b_block, ldb, beta, c.data() + first, n);
    }
  }
}

}  // namespace jetimg::host
