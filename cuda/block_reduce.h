// Block-wide sum for the CUDA kernels: every thread's value added in a fixed
// order (a tree over the threads), so the result does not depend on
// scheduling. blockDim.x must be a power of two and `shared` hold blockDim.x
// doubles. Every thread gets the total; `shared` may be reused afterwards.
#pragma once

namespace jetimg::cuda {

__device__ inline double block_sum(double value, double* shared) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();
  return total;
}

}  // namespace jetimg::cuda
