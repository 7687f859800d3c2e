// What core/ needs from the CUDA runtime: memory, copies, streams and library
// handles. Implemented in cuda/runtime.cu; only called when a CUDA device is in
// use, so a CPU-only build never references these symbols.
#pragma once

#include <cstddef>
#include <string>

namespace jetimg::cuda {

int device_count(std::string* reason);
void set_device(int index);
void* allocate(size_t bytes, int device);
void release(void* ptr, int device) noexcept;
void* allocate_pinned(size_t bytes);
void release_pinned(void* ptr) noexcept;
// Copies between any two of host/device memory (cudaMemcpyDefault), synchronously.
void copy(void* dst, const void* src, size_t bytes);
void memset_zero(void* ptr, size_t bytes);

void* create_stream(int device);
void destroy_stream(void* stream) noexcept;
void synchronize(void* stream);
void* create_cublas(void* stream);
void destroy_cublas(void* handle) noexcept;
void* create_cudnn(void* stream);
void destroy_cudnn(void* handle) noexcept;
std::string device_name(int index);

}  // namespace jetimg::cuda
