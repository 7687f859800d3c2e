#include "core/context.h"

#include "core/backend.h"
#include "core/dispatch.h"

namespace jetimg {

Context::Context(Device device, uint64_t seed) : device_(device), seed_(seed) {
  if (device_.is_cuda()) {
#if JETIMG_WITH_CUDA
    stream_ = cuda::create_stream(device_.index);
    pool::stream_begins(device_.index, stream_);  // device tensors made while it lives belong to its stream
#else
    fail("a context on ", device_.str(), " needs CUDA, but jetimg was built without it");
#endif
  }
}

Context::~Context() {
#if JETIMG_WITH_CUDA
  if (workspace_) pool::release(workspace_, workspace_bytes_, device_, false, stream_, nullptr, 0);
  if (stream_) {
    // Its blocks become free for every stream once its work is done.
    try {
      cuda::synchronize(stream_, device_.index);
    } catch (const std::exception&) {
      // a fault of the device: the error was reported where it happened
    }
    pool::stream_ends(device_.index, stream_);
  }
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
    // The old block goes back to the pool as this stream's: work queued on
    // the stream that still reads it runs before anything that reuses it.
    if (workspace_) pool::release(workspace_, workspace_bytes_, device_, false, stream_, nullptr, 0);
    workspace_ = nullptr;
    workspace_bytes_ = 0;
    workspace_ = pool::allocate(bytes, device_, false, stream_, &workspace_bytes_);
  }
#endif
  return workspace_;
}

void Context::synchronize() {
  count_synchronization(device_);
#if JETIMG_WITH_CUDA
  if (stream_) cuda::synchronize(stream_, device_.index);
#endif
}

}  // namespace jetimg
