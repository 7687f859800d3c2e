#include "core/device.h"

#include <cctype>
#include <cstdlib>
#include <mutex>

#include "core/backend.h"
#include "core/cuda_sync.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/log.h"

namespace jetimg {

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

bool built_with_cuda() { return JETIMG_WITH_CUDA != 0; }

bool cuda_sync_requested() {
  const char* value = std::getenv("JETIMG_CUDA_SYNC");
  if (!value) return false;
  std::string word(value);
  for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return word == "1" || word == "true" || word == "yes" || word == "on";
}

bool cuda_sync_launches() {
  static const bool sync = [] {
    const bool on = cuda_sync_requested();
    if (on) log_info("JETIMG_CUDA_SYNC is set: every CUDA kernel launch waits for the device (debugging; slow)");
    return on;
  }();
  return sync;
}

namespace {
std::string cuda_version(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }
}  // namespace

std::string explain_cuda_failure(const std::string& error, const std::string& message, int driver, int runtime) {
  if (error == "cudaErrorNoDevice") return "no CUDA device found (the NVIDIA driver sees no GPU)";
  if (driver == 0 && (error == "cudaErrorInsufficientDriver" || error == "cudaErrorNoDevice" || error.empty()))
    return "no NVIDIA driver is installed (libcuda.so.1 not found); on a machine with a GPU, install the NVIDIA "
           "driver";
  if (error == "cudaErrorInsufficientDriver" || (driver > 0 && driver < runtime))
    return "the NVIDIA driver supports CUDA up to " + cuda_version(driver) + ", older than the CUDA " +
           cuda_version(runtime) + " runtime jetimg was built with: install a newer NVIDIA driver, or build jetimg "
           "with a CUDA toolkit no newer than " + cuda_version(driver) + " ('nvidia-smi' shows the driver's CUDA "
           "version)";
  return "no usable CUDA device: " + message + (error.empty() ? "" : " (" + error + ")");
}

int cuda_device_count(std::string* reason) {
#if JETIMG_WITH_CUDA
  return cuda::device_count(reason);
#else
  if (reason) *reason = "jetimg was built without CUDA (JETIMG_CUDA=OFF)";
  return 0;
#endif
}

Device resolve_device(const std::string& spec) {
  if (spec == "cpu") return Device::cpu();
  if (spec == "auto") {
    std::string reason;
    if (cuda_device_count(&reason) > 0) return Device::cuda(0);
    static std::once_flag once;
    std::call_once(once, [&] { log_info("device auto: using the CPU (" + reason + ")"); });
    return Device::cpu();
  }
  int index = 0;
  if (spec == "cuda") {
    index = 0;
  } else if (spec.rfind("cuda:", 0) == 0 && spec.size() > 5 &&
             spec.find_first_not_of("0123456789", 5) == std::string::npos) {
    index = std::atoi(spec.c_str() + 5);
  } else {
    fail("unknown device '", spec, "' (expected auto, cpu, cuda or cuda:N)");
  }
  std::string reason;
  const int count = cuda_device_count(&reason);
  if (count == 0) fail("device '", spec, "' is not usable: ", reason);
  if (index >= count) fail("device '", spec, "' does not exist: this machine has ", count, " CUDA device(s)");
  return Device::cuda(index);
}

}  // namespace jetimg
