// CUDA matrix product through cuBLAS. cuBLAS is column-major: a row-major
// (R, C) matrix is the column-major (C, R) matrix of its transpose, so the
// row-major C = op(A) op(B) is computed as the column-major Cᵀ = op(B)ᵀ op(A)ᵀ,
// i.e. cublasSgemm with the operands swapped and M, N exchanged.
//
// The context's math mode (core/math_mode.h) picks the arithmetic:
//   fp32  cublasSgemm, float32 FMA (the default; what CPU comparisons assume)
//   tf32  cublasGemmEx with CUBLAS_COMPUTE_32F_FAST_TF32 (TF32 tensor cores)
//   bf16  A and B converted to bfloat16 in the context's workspace, then
//         cublasGemmEx with CUDA_R_16BF inputs, CUBLAS_COMPUTE_32F and a
//         float32 C
// and in tf32 and bf16 the dense forward z = x·W + b runs as one cuBLASLt
// matmul with the bias added in its epilogue (gemm_bias). fp32 keeps SGEMM
// followed by a separate bias add: cuBLASLt may pick another kernel (another
// split of K) than SGEMM, and fp32 results are to stay where they were.
#include <cublasLt.h>

#include <array>
#include <map>
#include <mutex>

#include "core/cuda_check.h"
#include "core/gemm.h"
#include "core/ops.h"
#include "cuda/bf16.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;
constexpr size_t kAlign = 256;
// The most workspace a cuBLASLt algorithm may ask for.
constexpr size_t kLtWorkspace = size_t{32} << 20;

__global__ void to_bf16_kernel(const float* x, __nv_bfloat16* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(x[i]);
}

__global__ void from_bf16_kernel(const __nv_bfloat16* x, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __bfloat162float(x[i]);
}

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks));
}

size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// The largest power of two up to 256 that divides the address: what cuBLASLt
// may assume about a pointer's alignment.
uint32_t alignment_of(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  uint32_t a = 256;
  while (a > 1 && address % a != 0) a /= 2;
  return a;
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

// The cuBLASLt descriptors of one fused dense forward, released on every path.
struct LtDescriptors {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;

  LtDescriptors() = default;
  LtDescriptors(const LtDescriptors&) = delete;
  LtDescriptors& operator=(const LtDescriptors&) = delete;
  ~LtDescriptors() {
    if (preference) cublasLtMatmulPreferenceDestroy(preference);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

// What the heuristics chose for one configuration, kept for the process
// (found = false: no algorithm, the caller runs GEMM and bias add apart).
struct LtChoice {
  bool found = false;
  cublasLtMatmulHeuristicResult_t result{};
};

// device, mode, units, rows, k, and the alignments of A, B and D.
using LtKey = std::array<int64_t, 8>;

}  // namespace

void convert_to_bf16(const float* x, __nv_bfloat16* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  to_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, out, n);
  JI_CUDA_CHECK_LAUNCH();
}

void convert_from_bf16(const __nv_bfloat16* x, float* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  from_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, out, n);
  JI_CUDA_CHECK_LAUNCH();
}

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
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int lda = static_cast<int>(a.dim(1)), ldb = static_cast<int>(b.dim(1));
  switch (ctx.math_mode()) {
    case MathMode::fp32:
      JI_CUBLAS_CHECK(cublasSgemm(handle, op_b, op_a, n, m, k, &alpha, b.data(), ldb, a.data(), lda, &beta, c.data(),
                                  n));
      return;
    case MathMode::tf32:
      JI_CUBLAS_CHECK(cublasGemmEx(handle, op_b, op_a, n, m, k, &alpha, b.data(), CUDA_R_32F, ldb, a.data(),
                                   CUDA_R_32F, lda, &beta, c.data(), CUDA_R_32F, n, CUBLAS_COMPUTE_32F_FAST_TF32,
                                   CUBLAS_GEMM_DEFAULT));
      return;
    case MathMode::bf16: {
      const size_t a_bytes = aligned(sizeof(__nv_bfloat16) * size_t(a.numel()));
      const size_t b_bytes = aligned(sizeof(__nv_bfloat16) * size_t(b.numel()));
      char* base = static_cast<char*>(ctx.workspace(a_bytes + b_bytes));
      auto* a16 = reinterpret_cast<__nv_bfloat16*>(base);
      auto* b16 = reinterpret_cast<__nv_bfloat16*>(base + a_bytes);
      convert_to_bf16(a.data(), a16, a.numel(), stream_of(ctx));
      convert_to_bf16(b.data(), b16, b.numel(), stream_of(ctx));
      JI_CUBLAS_CHECK(cublasGemmEx(handle, op_b, op_a, n, m, k, &alpha, b16, CUDA_R_16BF, ldb, a16, CUDA_R_16BF, lda,
                                   &beta, c.data(), CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
      return;
    }
  }
}

// z = x·W + b as the column-major zᵀ (units × rows) = Wᵀ (units × k) · xᵀ
// (k × rows) with the BIAS epilogue, which adds b (one value per row of zᵀ,
// i.e. per unit) before the result is stored.
bool gemm_bias(Context& ctx, const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& z) {
  const MathMode mode = ctx.math_mode();
  if (mode == MathMode::fp32) return false;
  const int64_t rows = z.dim(0), units = z.dim(1), k = x.dim(1);
  if (rows == 0 || units == 0 || k == 0) return false;
  if (alignment_of(bias.data()) < 16) return false;  // the epilogue reads the bias in vectors
  const bool bf16 = mode == MathMode::bf16;
  const cudaDataType_t in_type = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  const cublasComputeType_t compute = bf16 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_FAST_TF32;
  const size_t in_size = bf16 ? sizeof(__nv_bfloat16) : sizeof(float);
  // In bf16 the operands are converted into the workspace (aligned to 256).
  const uint32_t align_a = bf16 ? 256 : alignment_of(weight.data()), align_b = bf16 ? 256 : alignment_of(x.data());
  const uint32_t align_d = alignment_of(z.data());

  LtDescriptors desc;
  JI_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc.op, compute, CUDA_R_32F));
  const cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_BIAS;
  JI_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
  const float* bias_data = bias.data();
  JI_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_data, sizeof(bias_data)));
  JI_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&desc.a, in_type, units, k, units));
  JI_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&desc.b, in_type, k, rows, k));
  JI_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&desc.d, CUDA_R_32F, units, rows, units));

  auto lt = reinterpret_cast<cublasLtHandle_t>(ctx.cublas());  // a cuBLAS handle is a cuBLASLt handle
  LtChoice choice;
  {
    static std::mutex mutex;
    static std::map<LtKey, LtChoice> choices;
    const LtKey key{ctx.device().index, static_cast<int64_t>(mode), units, rows, k, align_a, align_b, align_d};
    const std::lock_guard<std::mutex> lock(mutex);
    auto found = choices.find(key);
    if (found == choices.end()) {
      JI_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&desc.preference));
      const uint64_t max_workspace = kLtWorkspace;
      JI_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                           &max_workspace, sizeof(max_workspace)));
      const std::array<std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t>, 4> alignments{
          {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align_a},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align_b},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align_d},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align_d}}};
      for (const auto& [attribute, value] : alignments)
        JI_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.preference, attribute, &value, sizeof(value)));
      int count = 0;
      LtChoice chosen;
      const cublasStatus_t status = cublasLtMatmulAlgoGetHeuristic(lt, desc.op, desc.a, desc.b, desc.d, desc.d,
                                                                   desc.preference, 1, &chosen.result, &count);
      if (status != CUBLAS_STATUS_NOT_SUPPORTED) JI_CUBLAS_CHECK(status);
      chosen.found = status == CUBLAS_STATUS_SUCCESS && count > 0 && chosen.result.state == CUBLAS_STATUS_SUCCESS;
      found = choices.emplace(key, chosen).first;
    }
    choice = found->second;
  }
  if (!choice.found) return false;

  const size_t a_bytes = bf16 ? aligned(in_size * size_t(weight.numel())) : 0;
  const size_t b_bytes = bf16 ? aligned(in_size * size_t(x.numel())) : 0;
  const size_t work_bytes = choice.result.workspaceSize;
  char* base = a_bytes + b_bytes + work_bytes > 0 ? static_cast<char*>(ctx.workspace(a_bytes + b_bytes + work_bytes))
                                                  : nullptr;
  const void* a = weight.data();
  const void* b = x.data();
  if (bf16) {
    auto* a16 = reinterpret_cast<__nv_bfloat16*>(base);
    auto* b16 = reinterpret_cast<__nv_bfloat16*>(base + a_bytes);
    convert_to_bf16(weight.data(), a16, weight.numel(), stream_of(ctx));
    convert_to_bf16(x.data(), b16, x.numel(), stream_of(ctx));
    a = a16;
    b = b16;
  }
  void* work = work_bytes > 0 ? base + a_bytes + b_bytes : nullptr;
  const float one = 1.0f, zero = 0.0f;
  JI_CUBLAS_CHECK(cublasLtMatmul(lt, desc.op, &one, a, desc.a, b, desc.b, &zero, z.data(), desc.d, z.data(), desc.d,
                                 &choice.result.algo, work, work_bytes, stream_of(ctx)));
  return true;
}

}  // namespace jetimg::cuda
