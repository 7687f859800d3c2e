// Tensor storage, views and explicit copies between devices.
#include "core/context.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

TEST(Shape, NumelAndText) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s.ndim(), 3);
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s.str(), "(2, 3, 4)");
  EXPECT_THROW((Shape{1, 2, 3, 4, 5, 6, 7}), Error);
  EXPECT_THROW((Shape{2, -1}), Error);
}

TEST(Tensor, FromVectorRoundTrips) {
  const std::vector<float> values{1, 2, 3, 4, 5, 6};
  const Tensor t = Tensor::from_vector(values, {2, 3});
  EXPECT_EQ(t.to_vector(), values);
  EXPECT_THROW(Tensor::from_vector(values, {4, 2}), Error);
}

TEST(Tensor, ViewAndSliceShareStorage) {
  Tensor t = Tensor::from_vector({0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  Tensor rows = t.slice(1, 3);
  EXPECT_EQ(rows.shape(), (Shape{2, 2}));
  EXPECT_EQ(rows.to_vector(), (std::vector<float>{2, 3, 4, 5}));
  rows.data()[0] = 42;  // writes through to the parent
  EXPECT_EQ(t.to_vector()[2], 42);
  Tensor flat = t.view({8});
  EXPECT_EQ(flat.data(), t.data());
  EXPECT_THROW(t.view({3, 3}), Error);
  EXPECT_THROW(t.slice(3, 5), Error);
}

TEST(Tensor, ZerosAndClone) {
  Tensor z = Tensor::zeros({3, 5});
  for (float v : z.to_vector()) EXPECT_EQ(v, 0.0f);
  Tensor c = z.clone();
  c.data()[0] = 1;
  EXPECT_EQ(z.to_vector()[0], 0.0f);
}

template <typename D>
class TensorDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(TensorDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(TensorDevice, CopyToDeviceAndBack) {
  const Tensor host = Tensor::from_vector({1.5f, -2, 3, 4e-8f, 5, 6}, {3, 2});
  const Tensor there = host.to(this->device());
  EXPECT_EQ(there.device(), this->device());
  EXPECT_EQ(there.to(Device::cpu()).to_vector(), host.to_vector());
  // A slice of a device tensor copies just its rows.
  EXPECT_EQ(there.slice(1, 2).to_vector(), (std::vector<float>{3, 4e-8f}));
}

TYPED_TEST(TensorDevice, ZerosOnDevice) {
  const Tensor z = Tensor::zeros({7, 3}, this->device());
  for (float v : z.to_vector()) EXPECT_EQ(v, 0.0f);
}

TEST(Device, ResolveRejectsMalformedSpecs) {
  EXPECT_EQ(resolve_device("cpu"), Device::cpu());
  EXPECT_THROW(resolve_device("gpu"), Error);
  EXPECT_THROW(resolve_device("cuda:x"), Error);
  EXPECT_THROW(resolve_device("cuda:"), Error);
  const Device a = resolve_device("auto");
  std::string reason;
  EXPECT_EQ(a.is_cuda(), cuda_device_count(&reason) > 0);
}

TEST(Device, CudaSpecWithoutGpuNamesTheReason) {
  std::string reason;
  if (cuda_device_count(&reason) > 0) GTEST_SKIP() << "this machine has a GPU; the no-GPU message is not reachable";
  try {
    resolve_device("cuda:0");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

TEST(Context, RandomStreamsAdvance) {
  Context ctx(Device::cpu(), 7);
  EXPECT_EQ(ctx.next_random_stream(), 0u);
  EXPECT_EQ(ctx.next_random_stream(), 1u);
  EXPECT_EQ(ctx.stream(), nullptr);
}

TEST(Context, OpsRejectTensorsOnAnotherDevice) {
  Context ctx(Device::cpu(), 1);
  Tensor a = Tensor::zeros({4});
  Tensor b = Tensor::zeros({5});
  EXPECT_THROW(axpy(ctx, 1.0f, a, b), Error);
  Tensor empty;
  EXPECT_THROW(fill(ctx, empty, 1.0f), Error);
}

}  // namespace
}  // namespace jetimg
