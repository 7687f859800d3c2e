// float32 <-> bfloat16 conversion of raw device buffers, for the bf16 math
// mode (core/math_mode.h): cuda/gemm.cu and cuda/conv_ops.cu convert their
// operands into the context's workspace before a BF16 GEMM or convolution.
// Defined in cuda/gemm.cu.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace jetimg::cuda {

// out[i] = x[i] rounded to the nearest bfloat16 (ties to even), i < n.
void convert_to_bf16(const float* x, __nv_bfloat16* out, int64_t n, cudaStream_t stream);
// out[i] = x[i] (exact), i < n.
void convert_from_bf16(const __nv_bfloat16* x, float* out, int64_t n, cudaStream_t stream);

}  // namespace jetimg::cuda
