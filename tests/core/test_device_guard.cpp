// Several GPUs: every CUDA entry point runs on its context's (or tensor's)
// device and leaves the caller's current device as it was. Needs a GPU (two
// for the cross-device cases); skips with a reason elsewhere.
#include <string>

#include "core/context.h"
#include "core/gemm.h"
#include "core/ops.h"
#include "tests/testing.h"

#if JETIMG_WITH_CUDA
#include "core/backend.h"
#endif

namespace jetimg {
namespace {

#if JETIMG_WITH_CUDA
// Uniform draws, a GEMM (cuBLAS) and a copy back on `device`, against the CPU.
void expect_work_matches_cpu(Device device) {
  Context cpu(Device::cpu(), 11), ctx(device, 11);
  Tensor a_cpu = Tensor::empty({64, 48}), b_cpu = Tensor::empty({48, 32}), c_cpu = Tensor::zeros({64, 32});
  random_uniform(cpu, a_cpu, -1, 1);
  random_uniform(cpu, b_cpu, -1, 1);
  gemm(cpu, false, false, 1.0f, a_cpu, b_cpu, 0.0f, c_cpu);
  Tensor a = Tensor::empty({64, 48}, device), b = Tensor::empty({48, 32}, device), c = Tensor::zeros({64, 32}, device);
  random_uniform(ctx, a, -1, 1);
  random_uniform(ctx, b, -1, 1);
  gemm(ctx, false, false, 1.0f, a, b, 0.0f, c);
  EXPECT_TRUE(testing::all_close(a, a_cpu, 0, 0)) << device.str();
  EXPECT_TRUE(testing::all_close(c, c_cpu, 1e-5, 1e-5)) << device.str();
}
#endif

TEST(DeviceGuardCuda, OneDeviceOpsLeaveTheCurrentDevice) {
  JI_SKIP_WITHOUT(Device::cuda(0));
#if JETIMG_WITH_CUDA
  cuda::set_device(0);
  {
    const cuda::DeviceGuard guard(0);
    EXPECT_EQ(cuda::current_device(), 0);
  }
  expect_work_matches_cpu(Device::cuda(0));
  EXPECT_EQ(cuda::current_device(), 0);
#endif
}

TEST(DeviceGuardCuda, SecondDeviceWorksWhileTheFirstIsCurrent) {
  JI_SKIP_WITHOUT(Device::cuda(0));
#if JETIMG_WITH_CUDA
  if (cuda_device_count() < 2) GTEST_SKIP() << "no GPU to run on (one GPU; this needs two)";
  for (int current : {0, 1}) {
    cuda::set_device(current);
    const int other = 1 - current;
    {
      const cuda::DeviceGuard guard(other);
      EXPECT_EQ(cuda::current_device(), other);
    }
    EXPECT_EQ(cuda::current_device(), current);
    // Context, handles, launches, copies and frees all on `other`.
    expect_work_matches_cpu(Device::cuda(other));
    EXPECT_EQ(cuda::current_device(), current) << "an op on cuda:" << other << " changed the current device";
    // Copies between the two devices.
    const Tensor x = Tensor::from_vector({1, 2, 3, 4}, {4});
    const Tensor there = x.to(Device::cuda(other)), back_here = there.to(Device::cuda(current));
    EXPECT_EQ(back_here.to_vector(), x.to_vector());
    EXPECT_EQ(cuda::current_device(), current);
  }
  cuda::set_device(0);
#endif
}

}  // namespace
}  // namespace jetimg
