// The CUDA runtime behind core/: device discovery, memory, streams and
// library handles. cudart is linked statically, so a binary built with CUDA
// starts on a machine with no driver; device_count() then reports why.
#include <cstdio>

#include "core/backend.h"
#include "core/cuda_check.h"
#include "core/device.h"

namespace jetimg::cuda {

int device_count(std::string* reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later queries start clean
    int driver = 0;
    if (cudaDriverGetVersion(&driver) != cudaSuccess) driver = 0;
    cudaGetLastError();
    if (reason) *reason = explain_cuda_failure(cudaGetErrorName(status), cudaGetErrorString(status), driver, CUDART_VERSION);
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device found";
  return count;
}

void set_device(int index) { JI_CUDA_CHECK(cudaSetDevice(index)); }

int current_device() {
  int index = 0;
  JI_CUDA_CHECK(cudaGetDevice(&index));
  return index;
}

DeviceGuard::DeviceGuard(int index) : previous_(current_device()) {
  if (index != previous_) set_device(index);
}

DeviceGuard::~DeviceGuard() {
  int now = previous_;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous_) cudaSetDevice(previous_);
}

namespace {

// DeviceGuard for the noexcept release paths: a failure to switch is left for
// the release call itself to report.
class QuietDeviceGuard {
 public:
  explicit QuietDeviceGuard(int index) {
    if (cudaGetDevice(&previous_) != cudaSuccess) {
      cudaGetLastError();
      previous_ = -1;
      return;
    }
    if (index != previous_) cudaSetDevice(index);
  }
  ~QuietDeviceGuard() {
    if (previous_ >= 0) cudaSetDevice(previous_);
  }
  QuietDeviceGuard(const QuietDeviceGuard&) = delete;
  QuietDeviceGuard& operator=(const QuietDeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace

void* allocate(size_t bytes, int device) {
  const DeviceGuard guard(device);
  void* ptr = nullptr;
  JI_CUDA_CHECK(cudaMalloc(&ptr, bytes));
  return ptr;
}

void* try_allocate(size_t bytes, int device) {
  const DeviceGuard guard(device);
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky, but clear it so the next check starts clean
    return nullptr;
  }
  JI_CUDA_CHECK(status);
  return ptr;
}

void device_synchronize(int device) {
  const DeviceGuard guard(device);
  JI_CUDA_CHECK(cudaDeviceSynchronize());
}

void release(void* ptr, int device) noexcept {
  const QuietDeviceGuard guard(device);
  const cudaError_t status = cudaFree(ptr);
  if (status != cudaSuccess) std::fprintf(stderr, "jetimg: warning: cudaFree failed: %s\n", cudaGetErrorString(status));
}

void* allocate_pinned(size_t bytes) {
  void* ptr = nullptr;
  // Portable: pinned for every device's context, not only the current one.
  JI_CUDA_CHECK(cudaHostAlloc(&ptr, bytes, cudaHostAllocPortable));
  return ptr;
}

void release_pinned(void* ptr) noexcept {
  const cudaError_t status = cudaFreeHost(ptr);
  if (status != cudaSuccess) std::fprintf(stderr, "jetimg: warning: cudaFreeHost failed: %s\n", cudaGetErrorString(status));
}

void copy(void* dst, const void* src, size_t bytes, int device) {
  const DeviceGuard guard(device);
  JI_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault));
}

void copy_async(void* dst, const void* src, size_t bytes, void* stream, int device) {
  const DeviceGuard guard(device);
  JI_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, static_cast<cudaStream_t>(stream)));
}

void* create_event(int device) {
  const DeviceGuard guard(device);  // an event belongs to the device current at creation
  cudaEvent_t event = nullptr;
  // Timing off: the cheapest event, only for "is this copy done".
  JI_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  return event;
}

void destroy_event(void* event) noexcept { cudaEventDestroy(static_cast<cudaEvent_t>(event)); }

void record_event(void* event, void* stream, int device) {
  const DeviceGuard guard(device);
  JI_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)));
}

bool event_done(void* event) {
  const cudaError_t status = cudaEventQuery(static_cast<cudaEvent_t>(event));
  if (status == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  JI_CUDA_CHECK(status);
  return true;
}

void memset_zero(void* ptr, size_t bytes, int device) {
  const DeviceGuard guard(device);
  JI_CUDA_CHECK(cudaMemset(ptr, 0, bytes));
}

void* create_stream(int device) {
  const DeviceGuard guard(device);
  cudaStream_t stream = nullptr;
  // A blocking stream: synchronous cudaMemcpy on the legacy stream orders after its work.
  JI_CUDA_CHECK(cudaStreamCreate(&stream));
  return stream;
}

void destroy_stream(void* stream, int device) noexcept {
  const QuietDeviceGuard guard(device);
  cudaStreamDestroy(static_cast<cudaStream_t>(stream));
}

void synchronize(void* stream, int device) {
  const DeviceGuard guard(device);
  JI_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
}

void* create_cublas(void* stream, int device) {
  const DeviceGuard guard(device);  // a handle belongs to the device current at creation
  cublasHandle_t handle = nullptr;
  JI_CUBLAS_CHECK(cublasCreate(&handle));
  JI_CUBLAS_CHECK(cublasSetStream(handle, static_cast<cudaStream_t>(stream)));
  return handle;
}

void destroy_cublas(void* handle, int device) noexcept {
  const QuietDeviceGuard guard(device);
  cublasDestroy(static_cast<cublasHandle_t>(handle));
}

void* create_cudnn(void* stream, int device) {
  const DeviceGuard guard(device);
  cudnnHandle_t handle = nullptr;
  JI_CUDNN_CHECK(cudnnCreate(&handle));
  JI_CUDNN_CHECK(cudnnSetStream(handle, static_cast<cudaStream_t>(stream)));
  return handle;
}

void destroy_cudnn(void* handle, int device) noexcept {
  const QuietDeviceGuard guard(device);
  cudnnDestroy(static_cast<cudnnHandle_t>(handle));
}

std::string device_name(int index) {
  cudaDeviceProp prop{};
  JI_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return prop.name;
}

}  // namespace jetimg::cuda
