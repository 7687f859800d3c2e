// What core/ needs from the CUDA runtime: memory, copies, streams and library
// handles. Implemented in cuda/runtime.cu; only called when a CUDA device is in
// use, so a CPU-only build never references these symbols.
//
// Every call that touches a device takes that device's index and runs with it
// current (DeviceGuard), restoring the caller's current device afterwards, so
// that with several GPUs nothing depends on which one happened to be current.
#pragma once

#include <cstddef>
#include <string>

namespace jetimg::cuda {

int device_count(std::string* reason);
void set_device(int index);
// The CUDA runtime's current device.
int current_device();

// Makes `index` the current device for its lifetime and restores the one that
// was current before. The dispatch (core/dispatch.h) holds one around every
// CUDA op, so kernel launches, cuBLAS and cuDNN calls and the streams an op
// creates all belong to the context's device.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
};

void* allocate(size_t bytes, int device);
// cudaMalloc that returns nullptr when the device is out of memory (other
// errors still throw).
void* try_allocate(size_t bytes, int device);
// Waits for all work on `device` (the pool before it frees its cache).
void device_synchronize(int device);
void release(void* ptr, int device) noexcept;
void* allocate_pinned(size_t bytes);
void release_pinned(void* ptr) noexcept;
// Copies between any two of host/device memory (cudaMemcpyDefault),
// synchronously, with `device` (the CUDA side of the copy) current.
void copy(void* dst, const void* src, size_t bytes, int device);
// The same, queued on `stream` (asynchronous for device and pinned memory).
void copy_async(void* dst, const void* src, size_t bytes, void* stream, int device);
void memset_zero(void* ptr, size_t bytes, int device);

// Events: one per pinned block that an asynchronous copy used, recorded on
// the copy's stream when the block is freed; the pool reuses the block once
// the event is done.
void* create_event(int device);
void destroy_event(void* event) noexcept;
void record_event(void* event, void* stream, int device);
bool event_done(void* event);

void* create_stream(int device);
void destroy_stream(void* stream, int device) noexcept;
void synchronize(void* stream, int device);
void* create_cublas(void* stream, int device);
void destroy_cublas(void* handle, int device) noexcept;
void* create_cudnn(void* stream, int device);
void destroy_cudnn(void* handle, int device) noexcept;
std::string device_name(int index);

}  // namespace jetimg::cuda
