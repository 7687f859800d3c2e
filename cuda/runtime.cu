// The CUDA runtime behind core/: device discovery, memory, streams and
// library handles. cudart is linked statically, so a binary built with CUDA
// starts on a machine with no driver; device_count() then reports why.
#include <cstdio>

#include "core/backend.h"
#include "core/cuda_check.h"

namespace jetimg::cuda {

int device_count(std::string* reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later queries start clean
    if (reason) *reason = std::string("no usable CUDA device: ") + cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device found";
  return count;
}

void set_device(int index) { JI_CUDA_CHECK(cudaSetDevice(index)); }

void* allocate(size_t bytes, int device) {
  set_device(device);
  void* ptr = nullptr;
  JI_CUDA_CHECK(cudaMalloc(&ptr, bytes));
  return ptr;
}

void release(void* ptr, int device) noexcept {
  cudaSetDevice(device);
  const cudaError_t status = cudaFree(ptr);
  if (status != cudaSuccess) std::fprintf(stderr, "jetimg: warning: cudaFree failed: %s\n", cudaGetErrorString(status));
}

void* allocate_pinned(size_t bytes) {
  void* ptr = nullptr;
  JI_CUDA_CHECK(cudaMallocHost(&ptr, bytes));
  return ptr;
}

void release_pinned(void* ptr) noexcept {
  const cudaError_t status = cudaFreeHost(ptr);
  if (status != cudaSuccess) std::fprintf(stderr, "jetimg: warning: cudaFreeHost failed: %s\n", cudaGetErrorString(status));
}

void copy(void* dst, const void* src, size_t bytes) { JI_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault)); }

void memset_zero(void* ptr, size_t bytes) { JI_CUDA_CHECK(cudaMemset(ptr, 0, bytes)); }

void* create_stream(int device) {
  set_device(device);
  cudaStream_t stream = nullptr;
  // A blocking stream: synchronous cudaMemcpy on the legacy stream orders after its work.
  JI_CUDA_CHECK(cudaStreamCreate(&stream));
  return stream;
}

void destroy_stream(void* stream) noexcept { cudaStreamDestroy(static_cast<cudaStream_t>(stream)); }

void synchronize(void* stream) { JI_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream))); }

void* create_cublas(void* stream) {
  cublasHandle_t handle = nullptr;
  JI_CUBLAS_CHECK(cublasCreate(&handle));
  JI_CUBLAS_CHECK(cublasSetStream(handle, static_cast<cudaStream_t>(stream)));
  return handle;
}

void destroy_cublas(void* handle) noexcept { cublasDestroy(static_cast<cublasHandle_t>(handle)); }

void* create_cudnn(void* stream) {
  cudnnHandle_t handle = nullptr;
  JI_CUDNN_CHECK(cudnnCreate(&handle));
  JI_CUDNN_CHECK(cudnnSetStream(handle, static_cast<cudaStream_t>(stream)));
  return handle;
}

void destroy_cudnn(void* handle) noexcept { cudnnDestroy(static_cast<cudnnHandle_t>(handle)); }

std::string device_name(int index) {
  cudaDeviceProp prop{};
  JI_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.name;
}

}  // namespace jetimg::cuda
