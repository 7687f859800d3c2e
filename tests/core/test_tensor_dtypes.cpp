// Tensors of int32 (counts, indices) and uint8 (masks) beside float32, and
// shapes of up to 6 dimensions: creation, typed access, shared views, copies
// between dtypes refused, and copies to a device and back.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(DType, NamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::Float32), "float32");
  EXPECT_STREQ(dtype_name(DType::Int32), "int32");
  EXPECT_STREQ(dtype_name(DType::UInt8), "uint8");
  EXPECT_EQ(dtype_size(DType::Float32), 4u);
  EXPECT_EQ(dtype_size(DType::Int32), 4u);
  EXPECT_EQ(dtype_size(DType::UInt8), 1u);
}

TEST(TensorDTypes, EmptyAndZerosOfEachDType) {
  for (DType dtype : {DType::Float32, DType::Int32, DType::UInt8}) {
    const Tensor e = Tensor::empty({3, 5}, Device::cpu(), dtype);
    EXPECT_EQ(e.dtype(), dtype);
    EXPECT_EQ(e.element_size(), dtype_size(dtype));
    EXPECT_EQ(e.bytes(), 15 * dtype_size(dtype));
    EXPECT_NE(e.raw_data(), nullptr);
  }
  EXPECT_EQ(Tensor::empty({2}).dtype(), DType::Float32);
  EXPECT_EQ(Tensor::zeros({2}).dtype(), DType::Float32);
  EXPECT_EQ(Tensor::zeros({4, 2}, Device::cpu(), DType::Int32).to_vector_as<int32_t>(), std::vector<int32_t>(8, 0));
  EXPECT_EQ(Tensor::zeros({7}, Device::cpu(), DType::UInt8).to_vector_as<uint8_t>(), std::vector<uint8_t>(7, 0));
  EXPECT_EQ(Tensor::zeros({3}).to_vector(), std::vector<float>(3, 0.0f));
}

TEST(TensorDTypes, FromVectorRoundTrips) {
  const std::vector<int32_t> counts{0, -7, 2147483647, -2147483647 - 1, 42, 3};
  const Tensor c = Tensor::from_vector(counts, {2, 3});
  EXPECT_EQ(c.dtype(), DType::Int32);
  EXPECT_EQ(c.to_vector_as<int32_t>(), counts);
  EXPECT_EQ(c.data_as<int32_t>()[2], 2147483647);

  const std::vector<uint8_t> mask{1, 0, 1, 1, 0, 255};
  const Tensor m = Tensor::from_vector(mask, {3, 2});
  EXPECT_EQ(m.dtype(), DType::UInt8);
  EXPECT_EQ(m.bytes(), 6u);
  EXPECT_EQ(m.to_vector_as<uint8_t>(), mask);

  const std::vector<float> values{0.5f, -1, 3};
  const Tensor f = Tensor::from_vector(values, {3});
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_EQ(f.to_vector_as<float>(), values);
  EXPECT_EQ(f.to_vector(), values);
  // A braced list of numbers stays float32, as before int tensors existed.
  EXPECT_EQ(Tensor::from_vector({1, 2, 3}, {3}).dtype(), DType::Float32);

  const std::string message = testing::error_message_of([&] { Tensor::from_vector(counts, {4}); });
  EXPECT_TRUE(contains(message, "6 int32 values do not fill shape (4)")) << message;
}

TEST(TensorDTypes, FloatAccessOfAnIntTensorNamesBothDTypes) {
  Tensor c = Tensor::from_vector(std::vector<int32_t>{1, 2, 3, 4}, {2, 2});
  const std::string message = testing::error_message_of([&] { c.data(); });
  EXPECT_EQ(message, "tensor of shape (2, 2) holds int32, expected float32");
  const Tensor& cc = c;
  EXPECT_THROW(cc.data(), Error);
  EXPECT_THROW(c.to_vector(), Error);

  const Tensor m = Tensor::zeros({5}, Device::cpu(), DType::UInt8);
  const std::string m_message = testing::error_message_of([&] { m.data(); });
  EXPECT_TRUE(contains(m_message, "holds uint8, expected float32")) << m_message;
}

TEST(TensorDTypes, TypedAccessChecksTheType) {
  Tensor c = Tensor::zeros({3}, Device::cpu(), DType::Int32);
  Tensor m = Tensor::zeros({3}, Device::cpu(), DType::UInt8);
  Tensor f = Tensor::zeros({3});
  EXPECT_NO_THROW(c.data_as<int32_t>());
  EXPECT_NO_THROW(m.data_as<uint8_t>());
  EXPECT_NO_THROW(f.data_as<float>());
  EXPECT_EQ(f.data_as<float>(), f.data());
  EXPECT_THROW(c.data_as<uint8_t>(), Error);
  EXPECT_THROW(c.data_as<float>(), Error);
  EXPECT_THROW(m.data_as<int32_t>(), Error);
  EXPECT_THROW(f.data_as<int32_t>(), Error);
  EXPECT_THROW(f.to_vector_as<uint8_t>(), Error);
  const std::string message = testing::error_message_of([&] { m.data_as<int32_t>(); });
  EXPECT_EQ(message, "tensor of shape (3) holds uint8, expected int32");
  // raw_data is the same bytes, whatever the dtype.
  EXPECT_EQ(c.raw_data(), static_cast<void*>(c.data_as<int32_t>()));
  // An undefined tensor has no elements and no dtype error.
  Tensor none;
  EXPECT_EQ(none.data(), nullptr);
  EXPECT_EQ(none.raw_data(), nullptr);
}

TEST(TensorDTypes, ViewAndSliceOfIntAndMaskTensorsShareStorage) {
  Tensor idx = Tensor::from_vector(std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}, {4, 2});
  Tensor rows = idx.slice(1, 3);
  EXPECT_EQ(rows.dtype(), DType::Int32);
  EXPECT_EQ(rows.shape(), (Shape{2, 2}));
  EXPECT_EQ(rows.to_vector_as<int32_t>(), (std::vector<int32_t>{2, 3, 4, 5}));
  rows.data_as<int32_t>()[0] = -42;  // writes through to the parent
  EXPECT_EQ(idx.to_vector_as<int32_t>()[2], -42);
  Tensor flat = idx.view({8});
  EXPECT_EQ(flat.dtype(), DType::Int32);
  EXPECT_EQ(flat.data_as<int32_t>(), idx.data_as<int32_t>());

  Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 0, 1, 0, 0}, {3, 2});
  Tensor last = mask.slice(2, 3);
  EXPECT_EQ(last.dtype(), DType::UInt8);
  EXPECT_EQ(last.raw_data(), static_cast<const void*>(static_cast<const uint8_t*>(mask.raw_data()) + 4));
  last.data_as<uint8_t>()[1] = 1;
  EXPECT_EQ(mask.to_vector_as<uint8_t>(), (std::vector<uint8_t>{1, 1, 0, 1, 0, 1}));
  EXPECT_EQ(mask.view({6}).data_as<uint8_t>(), mask.data_as<uint8_t>());
  EXPECT_THROW(mask.view({4}), Error);
}

TEST(TensorDTypes, CloneAndCopyFromKeepTheDType) {
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{5, 6, 7}, {3});
  Tensor copy = idx.clone();
  EXPECT_EQ(copy.dtype(), DType::Int32);
  EXPECT_NE(copy.raw_data(), idx.raw_data());
  copy.data_as<int32_t>()[0] = 9;
  EXPECT_EQ(idx.to_vector_as<int32_t>()[0], 5);

  Tensor into = Tensor::zeros({3}, Device::cpu(), DType::Int32);
  into.copy_from(idx);
  EXPECT_EQ(into.to_vector_as<int32_t>(), (std::vector<int32_t>{5, 6, 7}));
}

TEST(TensorDTypes, CopyFromBetweenDTypesIsRefused) {
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{1, 2, 3}, {3});
  Tensor floats = Tensor::zeros({3});
  Tensor mask = Tensor::zeros({3}, Device::cpu(), DType::UInt8);
  const std::string message = testing::error_message_of([&] { floats.copy_from(idx); });
  EXPECT_TRUE(contains(message, "int32") && contains(message, "float32")) << message;
  EXPECT_THROW(mask.copy_from(idx), Error);
  EXPECT_THROW(mask.copy_from(floats), Error);
  Tensor other_shape = Tensor::zeros({4}, Device::cpu(), DType::Int32);
  EXPECT_THROW(other_shape.copy_from(idx), Error);
  EXPECT_EQ(floats.to_vector(), std::vector<float>(3, 0.0f));  // untouched
}

TEST(TensorDTypes, ShapesOfFiveAndSixDimensions) {
  const Shape five{2, 3, 1, 4, 2};
  EXPECT_EQ(five.ndim(), 5);
  EXPECT_EQ(five.numel(), 48);
  EXPECT_EQ(five.str(), "(2, 3, 1, 4, 2)");
  const Shape six(std::vector<int64_t>{2, 1, 3, 2, 2, 5});
  EXPECT_EQ(six.ndim(), 6);
  EXPECT_EQ(six[5], 5);
  EXPECT_EQ(six.numel(), 120);
  EXPECT_EQ(six.str(), "(2, 1, 3, 2, 2, 5)");
  EXPECT_EQ(six, (Shape{2, 1, 3, 2, 2, 5}));
  EXPECT_NE(six, (Shape{2, 1, 3, 2, 2, 4}));

  const std::string message = testing::error_message_of([] { Shape{1, 1, 1, 1, 1, 1, 1}; });
  EXPECT_TRUE(contains(message, "7 dimensions; at most 6")) << message;
  EXPECT_THROW(Shape(std::vector<int64_t>(7, 1)), Error);
  EXPECT_THROW((Shape{2, 3, 4, 5, -1}), Error);
  EXPECT_THROW((Shape{1 << 20, 1 << 20, 1 << 20, 1, 1, 1}), Error);  // over 2^40 elements

  // (N, P, k, 2, F) neighbour features and a rank-6 index tensor.
  Tensor x = Tensor::zeros({2, 3, 4, 2, 5});
  EXPECT_EQ(x.ndim(), 5);
  EXPECT_EQ(x.slice(1, 2).shape(), (Shape{1, 3, 4, 2, 5}));
  EXPECT_EQ(x.slice(1, 2).data(), x.data() + 120);
  std::vector<int32_t> values(120);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int32_t>(i);
  Tensor idx = Tensor::from_vector(values, six);
  EXPECT_EQ(idx.dim(5), 5);
  EXPECT_EQ(idx.slice(1, 2).to_vector_as<int32_t>()[0], 60);
  EXPECT_EQ(idx.view({120}).to_vector_as<int32_t>(), values);
  EXPECT_EQ(idx.clone().shape(), six);
}

TEST(TensorDTypes, PinnedTensorsOfEachDType) {
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{3, -1, 4}, {3});
  const Tensor pinned = idx.to_pinned();
  EXPECT_EQ(pinned.dtype(), DType::Int32);
  EXPECT_TRUE(pinned.device().is_cpu());
  EXPECT_EQ(pinned.to_vector_as<int32_t>(), idx.to_vector_as<int32_t>());
  Tensor mask = Tensor::empty_pinned({2, 2}, DType::UInt8);
  EXPECT_EQ(mask.dtype(), DType::UInt8);
  EXPECT_EQ(mask.bytes(), 4u);
  mask.copy_from(Tensor::from_vector(std::vector<uint8_t>{0, 1, 1, 0}, {2, 2}));
  EXPECT_EQ(mask.to_vector_as<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(Tensor::empty_pinned({4}).dtype(), DType::Float32);
}

template <typename D>
class TensorDTypeDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(TensorDTypeDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(TensorDTypeDevice, IntAndMaskTensorsCopyToDeviceAndBack) {
  const Device device = this->device();
  const std::vector<int32_t> counts{7, -3, 0, 2147483647, 12, -2147483647 - 1};
  const Tensor idx = Tensor::from_vector(counts, {3, 2});
  const Tensor idx_there = idx.to(device);
  EXPECT_EQ(idx_there.device(), device);
  EXPECT_EQ(idx_there.dtype(), DType::Int32);
  EXPECT_EQ(idx_there.to(Device::cpu()).to_vector_as<int32_t>(), counts);
  EXPECT_EQ(idx_there.slice(1, 2).to_vector_as<int32_t>(), (std::vector<int32_t>{0, 2147483647}));
  EXPECT_EQ(idx_there.clone().to_vector_as<int32_t>(), counts);

  // An odd number of one-byte elements, and slices at odd byte offsets.
  const std::vector<uint8_t> mask{1, 0, 1, 1, 0, 0, 1, 255, 0};
  const Tensor m = Tensor::from_vector(mask, {3, 3});
  const Tensor m_there = m.to(device);
  EXPECT_EQ(m_there.dtype(), DType::UInt8);
  EXPECT_EQ(m_there.to_vector_as<uint8_t>(), mask);
  EXPECT_EQ(m_there.slice(1, 3).to_vector_as<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 1, 255, 0}));
  EXPECT_EQ(m_there.slice(1, 2).to_pinned().to_vector_as<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));

  Tensor zeros = Tensor::zeros({5}, device, DType::UInt8);
  EXPECT_EQ(zeros.to_vector_as<uint8_t>(), std::vector<uint8_t>(5, 0));
  Tensor back = Tensor::zeros({3, 3}, device, DType::UInt8);
  back.copy_from(m);
  EXPECT_EQ(back.to_vector_as<uint8_t>(), mask);
  Tensor floats = Tensor::zeros({3, 3}, device);
  EXPECT_THROW(floats.copy_from(m_there), Error);
  EXPECT_THROW(idx_there.to_vector(), Error);

  // Rank 6 on the device.
  const Tensor six = Tensor::from_vector(std::vector<int32_t>(64, 9), {2, 2, 2, 2, 2, 2});
  EXPECT_EQ(six.to(device).to_vector_as<int32_t>(), std::vector<int32_t>(64, 9));
}

}  // namespace
}  // namespace jetimg
