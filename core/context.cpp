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
  if (cudnn_) cuda::destroy_cudnn(cudnn_);
  if (cublas_) cuda::destroy_cublas(cublas_);
  if (stream_) cuda::destroy_stream(stream_);
#endif
}

void* Context::stream() { return stream_; }

void* Context::cublas() {
#if JETIMG_WITH_CUDA
  if (!cublas_ && device_.is_cuda()) cublas_ = cuda::create_cublas(stream_);
#endif
  return cublas_;
}

void* Context::cudnn() {
#if JETIMG_WITH_CUDA
  if (!cudnn_ && device_.is_cuda()) cudnn_ = cuda::create_cudnn(stream_);
#endif
  return cudnn_;
}

void Context::synchronize() {
#if JETIMG_WITH_CUDA
  if (stream_) cuda::synchronize(stream_);
#endif
}

}  // namespace jetimg
