#include "core/context.h"

#include "core/backend.h"
#include "core/dispatch.h"

namespace jetimg {

Context::Context(Device device, uint64_t seed) : device_(device), seed_(seed) {
  if (device_.is_cuda()) {
#if JETIMG_WITH_CUDA
    stream_ = cuda::create_stream(device_.index);
#else
    fail("a context on ", device_.str(), " needs CUDA, but jetimg was built without it");
#endif
  }
}

Context::~Context() {
#if JETIMG_WITH_CUDA
  if (workspace_) cuda::release(workspace_, device_.index);  // cudaFree waits for the device
  if (cudnn_) cuda::destroy_cudnn(cudnn_, device_.index);
  if (cublas_) cuda::destroy_cublas(cublas_, device_.index);
  if (stream_) cuda::destroy_stream(stream_, device_.index);
#endif
}

void* Context::stream() { return stream_; }

void* Context::cublas() {
#if JETIMG_WITH_CUDA
  if (!cublas_ && device_.is_cuda()) cublas_ = cuda::create_cublas(stream_, device_.index);
#endif
  return cublas_;
}

void* Context::cudnn() {
#if JETIMG_WITH_CUDA
  if (!cudnn_ && device_.is_cuda()) cudnn_ = cuda::create_cudnn(stream_, device_.index);
#endif
  return cudnn_;
}

void* Context::workspace(size_t bytes) {
  if (!device_.is_cuda()) fail("Context::workspace: only CUDA contexts have a device workspace");
  (void)bytes;
#if JETIMG_WITH_CUDA
  if (bytes > workspace_bytes_) {
    if (workspace_) {
      cuda::synchronize(stream_, device_.index);  // queued work may still read the old buffer
      cuda::release(workspace_, device_.index);
      workspace_ = nullptr;
      workspace_bytes_ = 0;
    }
    workspace_ = cuda::allocate(bytes, device_.index);
    workspace_bytes_ = bytes;
  }
#endif
  return workspace_;
}

void Context::synchronize() {
#if JETIMG_WITH_CUDA
  if (stream_) cuda::synchronize(stream_, device_.index);
#endif
}

}  // namespace jetimg
