// Uniform draws round the same on the CPU and the GPU: lo + (hi - lo) * u is
// rounded after the product and after the sum, never fused into one FMA. The
// CPU side is checked here against both roundings; the device side (explicit
// __fmul_rn/__fadd_rn in core/philox.h, and --fmad=false for every .cu file)
// is checked bit for bit against the CPU where a GPU is present.
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "core/context.h"
#include "core/ops.h"
#include "core/philox.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// He-uniform for a Dense layer of 30 inputs and 20 outputs, seed 99: the
// draws of LayersDevice.DenseAndMaxoutMatchCpu, which compares exactly.
constexpr uint64_t kSeed = 99;
constexpr int kCount = 30 * 20;
const float kLimit = std::sqrt(6.0f / 30.0f);

float unit_draw(uint64_t stream, int i) {
  return uniform_from_bits(philox_block(kSeed, stream, static_cast<uint64_t>(i)).v[0]);
}

// Two roundings, whatever the compiler is allowed to do with this file.
float unfused(float u, float lo, float hi) {
  volatile float offset = (hi - lo) * u;
  return lo + offset;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

TEST(UniformRounding, HostRoundsTheProductBeforeTheSum) {
  const float lo = -kLimit, hi = kLimit;
  int fused_differs = 0;
  for (uint64_t stream : {0u, 1u, 7u})
    for (int i = 0; i < kCount; ++i) {
      const float u = unit_draw(stream, i);
      const float expected = unfused(u, lo, hi);
      const float got = philox_uniform(kSeed, stream, static_cast<uint64_t>(i), lo, hi);
      ASSERT_TRUE(same_bits(got, expected)) << "stream " << stream << " draw " << i << ": " << got << " vs "
                                            << expected;
      if (!same_bits(std::fma(hi - lo, u, lo), expected)) ++fused_differs;
    }
  // The fused form is a different function for many of these draws: a GPU
  // that fused it would fail the exact comparisons against the CPU.
  EXPECT_GT(fused_differs, kCount / 4);
}

TEST(UniformRounding, HostOpEqualsTheUnfusedFormula) {
  Context cpu(Device::cpu(), kSeed);
  Tensor x = Tensor::empty({20, 30});
  random_uniform(cpu, x, -kLimit, kLimit);  // a fresh context's first random stream: 0
  const std::vector<float> got = x.to_vector();
  for (int i = 0; i < kCount; ++i)
    ASSERT_TRUE(same_bits(got[static_cast<size_t>(i)], unfused(unit_draw(0, i), -kLimit, kLimit))) << "draw " << i;
}

TEST(UniformRoundingCuda, DeviceDrawsEqualTheCpuBitForBit) {
  JI_SKIP_WITHOUT(Device::cuda(0));
  Context cpu(Device::cpu(), kSeed), gpu(Device::cuda(0), kSeed);
  const std::vector<std::pair<float, float>> ranges{{-kLimit, kLimit}, {0.0f, 1.0f}, {-3.5f, 1e-3f}};
  for (const auto& [lo, hi] : ranges) {
    Tensor a = Tensor::empty({1000, 37}), b = Tensor::empty({1000, 37}, Device::cuda(0));
    random_uniform(cpu, a, lo, hi);  // the same stream number on both contexts
    random_uniform(gpu, b, lo, hi);
    const std::vector<float> va = a.to_vector(), vb = b.to_vector();
    int differ = 0;
    for (size_t i = 0; i < va.size(); ++i) differ += !same_bits(va[i], vb[i]);
    EXPECT_EQ(differ, 0) << "of " << va.size() << " draws on [" << lo << ", " << hi << ")";
  }
}

}  // namespace
}  // namespace jetimg
