// JI_HD marks element math written once and compiled for both the CPU loops in
// host/ and the CUDA kernels in cuda/. Plain C++ translation units see it as
// `inline`; nvcc sees `__host__ __device__`.
#pragma once

#if defined(__CUDACC__)
#define JI_HD __host__ __device__ __forceinline__
#else
#define JI_HD inline
#endif
