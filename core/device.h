// Where a tensor lives and where an op runs. The device is chosen at run time
// (`--device auto|cpu|cuda[:N]`); a binary built with CUDA still runs on a
// machine with no GPU or driver, on the CPU.
#pragma once

#include <string>

namespace jetimg {

enum class DeviceKind { CPU, CUDA };

struct Device {
  DeviceKind kind = DeviceKind::CPU;
  int index = 0;

  static Device cpu() { return Device{DeviceKind::CPU, 0}; }
  static Device cuda(int index = 0) { return Device{DeviceKind::CUDA, index}; }
  bool is_cpu() const { return kind == DeviceKind::CPU; }
  bool is_cuda() const { return kind == DeviceKind::CUDA; }
  std::string str() const;
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// Whether this binary was compiled with the CUDA backend.
bool built_with_cuda();

// How many usable CUDA devices there are now; 0 with `reason` filled in when
// none (built without CUDA, no driver, no device, ...).
int cuda_device_count(std::string* reason = nullptr);

// Why no CUDA device can be used, in words a user can act on, from what the
// runtime said: `error` the name of cudaGetDeviceCount's error code
// ("cudaErrorInsufficientDriver", ...), `message` its text, `driver` the CUDA
// version the installed driver supports (cudaDriverGetVersion: 12040 is
// 12.4, 0 when there is no driver) and `runtime` the version jetimg was built
// with (CUDART_VERSION).
std::string explain_cuda_failure(const std::string& error, const std::string& message, int driver, int runtime);

// Parses "auto", "cpu", "cuda" or "cuda:N" and checks that the device can be
// used. "auto" picks cuda:0 when usable, else the CPU and logs once why.
// Throws Error naming the spec when it is malformed or the GPU is unusable.
Device resolve_device(const std::string& spec);

}  // namespace jetimg
