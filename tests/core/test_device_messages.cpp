// What `jetimg info` and the skipped GPU tests say when no CUDA device can be
// used: a reason a user can act on, for each way the runtime refuses.
#include "core/device.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(CudaFailure, ADriverOlderThanTheRuntimeSaysBothVersionsAndWhatToDo) {
  const std::string why = explain_cuda_failure("cudaErrorInsufficientDriver",
                                               "CUDA driver version is insufficient for CUDA runtime version", 12040,
                                               13000);
  EXPECT_TRUE(contains(why, "supports CUDA up to 12.4")) << why;
  EXPECT_TRUE(contains(why, "CUDA 13.0 runtime")) << why;
  EXPECT_TRUE(contains(why, "install a newer NVIDIA driver")) << why;
  EXPECT_TRUE(contains(why, "nvidia-smi")) << why;
}

TEST(CudaFailure, NoDriverAndNoDeviceAreToldApart) {
  const std::string no_driver = explain_cuda_failure("cudaErrorInsufficientDriver", "insufficient", 0, 13000);
  EXPECT_TRUE(contains(no_driver, "no NVIDIA driver is installed")) << no_driver;
  const std::string no_device = explain_cuda_failure("cudaErrorNoDevice", "no CUDA-capable device", 13000, 13000);
  EXPECT_TRUE(contains(no_device, "no CUDA device found")) << no_device;
  const std::string other = explain_cuda_failure("cudaErrorSystemNotReady", "system not yet initialized", 13000, 13000);
  EXPECT_TRUE(contains(other, "system not yet initialized")) << other;
  EXPECT_TRUE(contains(other, "cudaErrorSystemNotReady")) << other;
}

}  // namespace
}  // namespace jetimg
