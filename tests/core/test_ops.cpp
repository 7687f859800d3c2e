// The basic ops: hand-computed values on the CPU, CUDA against the CPU, and the
// Philox generator against Random123's published known answers.
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/ops.h"
#include "core/philox.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

TEST(Philox, Random123KnownAnswers) {
  const auto check = [](Philox4 ctr, uint32_t k0, uint32_t k1, Philox4 expected) {
    const Philox4 got = philox4x32_10(ctr, k0, k1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got.v[i], expected.v[i]) << "word " << i;
  };
  check({{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}});
  check({{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu,
        {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}});
  check({{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u,
        {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}});
}

TEST(Philox, UniformBitsStayInsideTheOpenInterval) {
  EXPECT_GT(uniform_from_bits(0u), 0.0f);
  EXPECT_LT(uniform_from_bits(0xffffffffu), 1.0f);
  EXPECT_GT(uniform_double_from_bits(0u, 0u), 0.0);
  EXPECT_LT(uniform_double_from_bits(0xffffffffu, 0xffffffffu), 1.0);
}

// Host reference values, computed by plain loops here.
TEST(BasicOps, CpuMatchesHandComputedValues) {
  Context ctx(Device::cpu(), 0);
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = Tensor::from_vector({10, 20, 30, 40, 50, 60}, {2, 3});
  axpy(ctx, 0.5f, x, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{10.5f, 21, 31.5f, 42, 52.5f, 63}));
  scale(ctx, x, -2.0f);
  EXPECT_EQ(x.to_vector(), (std::vector<float>{-2, -4, -6, -8, -10, -12}));
  EXPECT_DOUBLE_EQ(sum(ctx, x), -42.0);
  Tensor col = Tensor::zeros({3});
  sum_rows(ctx, x, col);
  EXPECT_EQ(col.to_vector(), (std::vector<float>{-10, -14, -18}));
  fill(ctx, x, 0.25f);
  EXPECT_DOUBLE_EQ(sum(ctx, x), 1.5);
}

TEST(BasicOps, WeightedMomentsByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor w = Tensor::from_vector({1, 0.5f, 2}, {3});
  Tensor first = Tensor::empty({2}), second = Tensor::empty({2});
  weighted_moments(ctx, x, w, first, second);
  EXPECT_EQ(first.to_vector(), (std::vector<float>{1 + 1.5f + 10, 2 + 2 + 12}));
  EXPECT_EQ(second.to_vector(), (std::vector<float>{1 + 4.5f + 50, 4 + 8 + 72}));
  Tensor wrong = Tensor::empty({3});
  EXPECT_THROW(weighted_moments(ctx, x, w, wrong, second), Error);
}

TEST(BasicOps, SumAccumulatesInDouble) {
  // 2^24 + many ones: a float accumulator would stop growing at 2^24.
  Context ctx(Device::cpu(), 0);
  Tensor x = Tensor::empty({1 << 20});
  fill(ctx, x, 1.0f);
  x.data()[0] = 16777216.0f;
  EXPECT_DOUBLE_EQ(sum(ctx, x), 16777216.0 + ((1 << 20) - 1));
}

TEST(BasicOps, RandomUniformAndNormalMoments) {
  Context ctx(Device::cpu(), 12345);
  const int64_t n = 200000;
  Tensor u = Tensor::empty({n});
  random_uniform(ctx, u, -1.0f, 3.0f);
  const std::vector<float> uv = u.to_vector();
  double mean = 0, var = 0;
  for (float v : uv) {
    ASSERT_GE(v, -1.0f);
    ASSERT_LT(v, 3.0f);
    mean += v;
  }
  mean /= n;
  for (float v : uv) var += (v - mean) * (v - mean);
  var /= n;
  // Uniform(-1, 3): mean 1, variance 16/12. Tolerances are ~5 standard errors.
  EXPECT_NEAR(mean, 1.0, 5 * std::sqrt(16.0 / 12 / n));
  EXPECT_NEAR(var, 16.0 / 12, 0.02);

  Tensor g = Tensor::empty({n});
  random_normal(ctx, g, 2.0f, 0.5f);
  const std::vector<float> gv = g.to_vector();
  mean = std::accumulate(gv.begin(), gv.end(), 0.0) / n;
  var = 0;
  int beyond_2sigma = 0;
  for (float v : gv) {
    var += (v - mean) * (v - mean);
    beyond_2sigma += std::abs(v - 2.0f) > 1.0f;
  }
  var /= n;
  EXPECT_NEAR(mean, 2.0, 5 * 0.5 / std::sqrt(n));
  EXPECT_NEAR(var, 0.25, 0.005);
  EXPECT_NEAR(beyond_2sigma / double(n), 0.0455, 0.003);  // two-sided 2-sigma tail
}

TEST(BasicOps, RandomIsAFunctionOfSeedAndStream) {
  Context a(Device::cpu(), 99), b(Device::cpu(), 99), c(Device::cpu(), 100);
  Tensor ta = Tensor::empty({1000}), tb = Tensor::empty({1000}), tc = Tensor::empty({1000});
  random_uniform(a, ta, 0, 1);
  random_uniform(b, tb, 0, 1);
  random_uniform(c, tc, 0, 1);
  EXPECT_EQ(ta.to_vector(), tb.to_vector());
  EXPECT_NE(ta.to_vector(), tc.to_vector());
  random_uniform(a, ta, 0, 1);  // the next stream gives new numbers
  EXPECT_NE(ta.to_vector(), tb.to_vector());
}

// CUDA against the CPU reference, same inputs and seeds.
template <typename D>
class BasicOpsDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(BasicOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(BasicOpsDevice, MatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 5), ctx(dev, 5);
  Tensor x_cpu = Tensor::empty({37, 129}), y_cpu = Tensor::empty({37, 129});
  random_normal(cpu, x_cpu, 0, 1);
  random_uniform(cpu, y_cpu, -2, 2);
  Tensor x = x_cpu.to(dev), y = y_cpu.to(dev);

  axpy(cpu, 0.75f, x_cpu, y_cpu);
  axpy(ctx, 0.75f, x, y);
  EXPECT_TRUE(testing::all_close(y, y_cpu, 1e-7, 1e-6));  // nvcc may fuse the multiply-add
  scale(cpu, y_cpu, 1.5f);
  scale(ctx, y, 1.5f);
  EXPECT_TRUE(testing::all_close(y, y_cpu, 1e-7, 1e-6));

  Tensor rows_cpu = Tensor::empty({129}), rows = Tensor::empty({129}, dev);
  sum_rows(cpu, y_cpu, rows_cpu);
  sum_rows(ctx, y, rows);
  EXPECT_TRUE(testing::all_close(rows, rows_cpu, 1e-6, 1e-6));
  EXPECT_NEAR(sum(ctx, y), sum(cpu, y_cpu), 1e-9 * y.numel() + 1e-6);

  Tensor w_cpu = Tensor::empty({37});
  random_uniform(cpu, w_cpu, 0, 2);
  Tensor m1_cpu = Tensor::empty({129}), m2_cpu = Tensor::empty({129});
  Tensor m1 = Tensor::empty({129}, dev), m2 = Tensor::empty({129}, dev);
  weighted_moments(cpu, y_cpu, w_cpu, m1_cpu, m2_cpu);
  weighted_moments(ctx, y, w_cpu.to(dev), m1, m2);
  EXPECT_TRUE(testing::all_close(m1, m1_cpu, 1e-6, 1e-6));
  EXPECT_TRUE(testing::all_close(m2, m2_cpu, 1e-6, 1e-6));

  fill(ctx, y, 3.0f);
  EXPECT_DOUBLE_EQ(sum(ctx, y), 3.0 * y.numel());
}

// Column sums over many rows go in chunks of rows (row_chunk), in the same
// order on both devices: the same bits, and within rounding of a plain sum.
TYPED_TEST(BasicOpsDevice, ColumnSumsOverManyRowsAreTheCpusBits) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 8), ctx(dev, 8);
  for (int64_t rows : {int64_t{1}, int64_t{63}, int64_t{64}, int64_t{65}, int64_t{1000}, int64_t{70000}}) {
    Tensor x_cpu = Tensor::empty({rows, 5}), w_cpu = Tensor::empty({rows});
    random_normal(cpu, x_cpu, 1, 3);
    random_uniform(cpu, w_cpu, 0, 2);
    Tensor s_cpu = Tensor::empty({5}), m1_cpu = Tensor::empty({5}), m2_cpu = Tensor::empty({5});
    sum_rows(cpu, x_cpu, s_cpu);
    weighted_moments(cpu, x_cpu, w_cpu, m1_cpu, m2_cpu);
    const std::vector<float> xv = x_cpu.to_vector(), wv = w_cpu.to_vector();
    for (int64_t c = 0; c < 5; ++c) {  // a plain double sum, in any order, agrees to float rounding
      double plain = 0, first = 0, second = 0;
      for (int64_t r = 0; r < rows; ++r) {
        const double v = xv[size_t(r * 5 + c)], w = wv[size_t(r)];
        plain += v, first += w * v, second += w * v * v;
      }
      EXPECT_NEAR(s_cpu.to_vector()[size_t(c)], plain, 1e-6 * (std::abs(plain) + rows)) << rows;
      EXPECT_NEAR(m1_cpu.to_vector()[size_t(c)], first, 1e-6 * (std::abs(first) + rows)) << rows;
      EXPECT_NEAR(m2_cpu.to_vector()[size_t(c)], second, 1e-6 * (std::abs(second) + rows)) << rows;
    }
    Tensor s = Tensor::empty({5}, dev), m1 = Tensor::empty({5}, dev), m2 = Tensor::empty({5}, dev);
    sum_rows(ctx, x_cpu.to(dev), s);
    weighted_moments(ctx, x_cpu.to(dev), w_cpu.to(dev), m1, m2);
    EXPECT_EQ(s.to_vector(), s_cpu.to_vector()) << rows;
    EXPECT_EQ(m1.to_vector(), m1_cpu.to_vector()) << rows;
    EXPECT_EQ(m2.to_vector(), m2_cpu.to_vector()) << rows;
  }
}

TYPED_TEST(BasicOpsDevice, RandomMatchesCpuForTheSameSeed) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 2024), ctx(dev, 2024);
  Tensor u_cpu = Tensor::empty({100003}), u = Tensor::empty({100003}, dev);
  random_uniform(cpu, u_cpu, 0.0f, 1.0f);
  random_uniform(ctx, u, 0.0f, 1.0f);
  EXPECT_TRUE(testing::all_close(u, u_cpu, 0, 0));  // exact: integer bits to float
  Tensor n_cpu = Tensor::empty({4, 50001}), n = Tensor::empty({4, 50001}, dev);
  random_normal(cpu, n_cpu, 1.0f, 2.0f);
  random_normal(ctx, n, 1.0f, 2.0f);
  // Box-Muller in double on both sides, rounded to float: equal to the last bit
  // unless libm and CUDA's math differ by an ulp at a rounding boundary.
  EXPECT_TRUE(testing::all_close(n, n_cpu, 1e-6, 1e-6));
}

}  // namespace
}  // namespace jetimg
