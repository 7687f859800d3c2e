// GEMM against a plain triple loop in double, on every transpose combination,
// and CUDA (cuBLAS) against the CPU (OpenBLAS).
#include <omp.h>

#include <utility>

#include "core/error.h"
#include "core/gemm.h"
#include "core/ops.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// C = alpha · op(A) op(B) + beta · C by definition.
std::vector<float> reference_gemm(bool ta, bool tb, float alpha, const Tensor& a, const Tensor& b, float beta,
                                  const Tensor& c) {
  const int64_t m = c.dim(0), n = c.dim(1), k = ta ? a.dim(0) : a.dim(1);
  const std::vector<float> av = a.to_vector(), bv = b.to_vector(), cv = c.to_vector();
  std::vector<float> out(cv.size());
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const float aip = ta ? av[p * a.dim(1) + i] : av[i * a.dim(1) + p];
        const float bpj = tb ? bv[j * b.dim(1) + p] : bv[p * b.dim(1) + j];
        acc += static_cast<double>(aip) * bpj;
      }
      out[i * n + j] = static_cast<float>(alpha * acc + (beta == 0.0f ? 0.0 : beta * cv[i * n + j]));
    }
  return out;
}

TEST(Gemm, SmallProductByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = Tensor::from_vector({7, 8, 9, 10, 11, 12}, {3, 2});
  Tensor c = Tensor::from_vector({1, 1, 1, 1}, {2, 2});
  gemm(ctx, false, false, 1.0f, a, b, 2.0f, c);
  // [1 2 3; 4 5 6] [7 8; 9 10; 11 12] = [58 64; 139 154], plus 2·C.
  EXPECT_EQ(c.to_vector(), (std::vector<float>{60, 66, 141, 156}));
}

TEST(Gemm, AllTransposesMatchTripleLoop) {
  Context ctx(Device::cpu(), 3);
  const int64_t m = 7, n = 5, k = 11;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Tensor a = Tensor::empty(ta ? Shape{k, m} : Shape{m, k});
      Tensor b = Tensor::empty(tb ? Shape{n, k} : Shape{k, n});
      Tensor c = Tensor::empty({m, n});
      random_normal(ctx, a, 0, 1);
      random_normal(ctx, b, 0, 1);
      random_normal(ctx, c, 0, 1);
      const std::vector<float> expected = reference_gemm(ta, tb, 0.5f, a, b, -1.5f, c);
      gemm(ctx, ta, tb, 0.5f, a, b, -1.5f, c);
      EXPECT_TRUE(testing::all_close(c.to_vector(), expected, 1e-5, 1e-5)) << "ta=" << ta << " tb=" << tb;
    }
}

// Products big enough to be split over threads (by rows when C is tall, by
// columns when it is wide): right, and the same bits whatever the thread count.
TEST(Gemm, SplitOverThreadsMatchesTripleLoopAndOneThread) {
  Context ctx(Device::cpu(), 4);
  const int saved = omp_get_max_threads();
  for (const auto& [m, n] : {std::pair<int64_t, int64_t>{203, 37}, {29, 190}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const int64_t k = 61;
        Tensor a = Tensor::empty(ta ? Shape{k, m} : Shape{m, k});
        Tensor b = Tensor::empty(tb ? Shape{n, k} : Shape{k, n});
        Tensor c = Tensor::empty({m, n});
        random_normal(ctx, a, 0, 1);
        random_normal(ctx, b, 0, 1);
        random_normal(ctx, c, 0, 1);
        const std::vector<float> expected = reference_gemm(ta, tb, 1.0f, a, b, 0.5f, c);
        Tensor c1 = c.to(Device::cpu()), c3 = c.to(Device::cpu());
        omp_set_num_threads(1);
        gemm(ctx, ta, tb, 1.0f, a, b, 0.5f, c1);
        omp_set_num_threads(3);
        gemm(ctx, ta, tb, 1.0f, a, b, 0.5f, c3);
        omp_set_num_threads(saved);
        EXPECT_TRUE(testing::all_close(c3.to_vector(), expected, 1e-4, 1e-5)) << m << "x" << n << " ta=" << ta << " tb=" << tb;
        EXPECT_EQ(c1.to_vector(), c3.to_vector()) << m << "x" << n << " ta=" << ta << " tb=" << tb;
      }
}

TEST(Gemm, BetaZeroIgnoresNanInOutput) {
  Context ctx(Device::cpu(), 0);
  const Tensor a = Tensor::from_vector({1, 2}, {1, 2}), b = Tensor::from_vector({3, 4}, {2, 1});
  Tensor c = Tensor::from_vector({std::nanf("")}, {1, 1});
  gemm(ctx, false, false, 1.0f, a, b, 0.0f, c);
  EXPECT_EQ(c.to_vector(), std::vector<float>{11});
}

TEST(Gemm, EmptyInnerDimensionScalesC) {
  Context ctx(Device::cpu(), 0);
  const Tensor a = Tensor::empty({2, 0}), b = Tensor::empty({0, 2});
  Tensor c = Tensor::from_vector({1, 2, 3, 4}, {2, 2});
  gemm(ctx, false, false, 1.0f, a, b, 3.0f, c);
  EXPECT_EQ(c.to_vector(), (std::vector<float>{3, 6, 9, 12}));
}

TEST(Gemm, ShapeMismatchNamesTheShapes) {
  Context ctx(Device::cpu(), 0);
  const Tensor a = Tensor::empty({2, 3}), b = Tensor::empty({4, 2});
  Tensor c = Tensor::empty({2, 2});
  try {
    gemm(ctx, false, false, 1.0f, a, b, 0.0f, c);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
  }
  Tensor three_d = Tensor::empty({2, 3, 1});
  EXPECT_THROW(gemm(ctx, false, false, 1.0f, three_d, b, 0.0f, c), Error);
}

template <typename D>
class GemmDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(GemmDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(GemmDevice, MatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 8), ctx(dev, 8);
  const int64_t m = 67, n = 33, k = 129;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Tensor a = Tensor::empty(ta ? Shape{k, m} : Shape{m, k});
      Tensor b = Tensor::empty(tb ? Shape{n, k} : Shape{k, n});
      Tensor c_cpu = Tensor::empty({m, n});
      random_normal(cpu, a, 0, 1);
      random_normal(cpu, b, 0, 1);
      random_normal(cpu, c_cpu, 0, 1);
      Tensor c = c_cpu.to(dev);
      gemm(cpu, ta, tb, 1.25f, a, b, 0.5f, c_cpu);
      gemm(ctx, ta, tb, 1.25f, a.to(dev), b.to(dev), 0.5f, c);
      EXPECT_TRUE(testing::all_close(c.to(Device::cpu()), c_cpu, 1e-4, 1e-4)) << "ta=" << ta << " tb=" << tb;
    }
}

}  // namespace
}  // namespace jetimg
