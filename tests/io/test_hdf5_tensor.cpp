// Tensors through HDF5 keep their dtype: float32 values, int32 counts and
// indices, uint8 masks are stored as such and read back as such; any other
// stored element type is refused by name.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "io/hdf5.h"
#include "io/hdf5_tensor.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A contiguous dataset of `type` written with the raw C API, as another tool would.
void write_raw(const std::string& path, const std::string& name, hid_t type, hid_t memory_type,
               const std::vector<hsize_t>& dims, const void* values) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t set = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(set), H5Sclose(space), H5Fclose(file);
}

TEST(Hdf5Tensor, RoundTripsKeepDTypeShapeAndValues) {
  const std::string path = testing::scratch_dir("hdf5_tensor") + "/tensors.h5";
  const std::vector<float> values{0.5f, -1.25f, 3e-9f, 4, 5, 6};
  const std::vector<int32_t> counts{0, -7, 2147483647, -2147483647 - 1, 42, 3};
  const std::vector<uint8_t> mask{1, 0, 1, 1, 0, 255};
  std::vector<int32_t> neighbours(2 * 3 * 1 * 2 * 2 * 2);
  for (size_t i = 0; i < neighbours.size(); ++i) neighbours[i] = static_cast<int32_t>(i) - 5;
  {
    h5::File file = h5::File::create(path);
    h5::write_tensor(file, "values", Tensor::from_vector(values, {3, 2}));
    h5::write_tensor(file, "counts", Tensor::from_vector(counts, {6}));
    h5::write_tensor(file, "mask", Tensor::from_vector(mask, {2, 1, 3}));
    h5::write_tensor(file, "neighbours", Tensor::from_vector(neighbours, {2, 3, 1, 2, 2, 2}));
    // A slice writes just its rows.
    h5::write_tensor(file, "rows", Tensor::from_vector(counts, {3, 2}).slice(1, 3));
    h5::write_tensor(file, "none", Tensor::zeros({0, 4}, Device::cpu(), DType::UInt8));
    file.create_group("layer");
    h5::write_tensor(file, "layer/mask", Tensor::from_vector(std::vector<uint8_t>{1, 1}, {2}));
    file.close();
  }
  const h5::File file = h5::File::open(path);
  // Stored with their own element types, readable by other tools as such.
  EXPECT_EQ(h5::describe(file.inspect("values")), "(3, 2) float32");
  EXPECT_EQ(h5::describe(file.inspect("counts")), "(6,) int32");
  EXPECT_EQ(h5::describe(file.inspect("mask")), "(2, 1, 3) uint8");

  const Tensor v = h5::read_tensor(file, "values");
  EXPECT_EQ(v.dtype(), DType::Float32);
  EXPECT_EQ(v.shape(), (Shape{3, 2}));
  EXPECT_EQ(v.to_vector(), values);

  const Tensor c = h5::read_tensor(file, "counts");
  EXPECT_EQ(c.dtype(), DType::Int32);
  EXPECT_EQ(c.shape(), (Shape{6}));
  EXPECT_EQ(c.to_vector_as<int32_t>(), counts);

  const Tensor m = h5::read_tensor(file, "mask");
  EXPECT_EQ(m.dtype(), DType::UInt8);
  EXPECT_EQ(m.shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(m.to_vector_as<uint8_t>(), mask);

  const Tensor n = h5::read_tensor(file, "neighbours");
  EXPECT_EQ(n.dtype(), DType::Int32);
  EXPECT_EQ(n.shape(), (Shape{2, 3, 1, 2, 2, 2}));
  EXPECT_EQ(n.to_vector_as<int32_t>(), neighbours);

  const Tensor rows = h5::read_tensor(file, "rows");
  EXPECT_EQ(rows.shape(), (Shape{2, 2}));
  EXPECT_EQ(rows.to_vector_as<int32_t>(), std::vector<int32_t>(counts.begin() + 2, counts.end()));

  const Tensor none = h5::read_tensor(file, "none");
  EXPECT_EQ(none.dtype(), DType::UInt8);
  EXPECT_EQ(none.shape(), (Shape{0, 4}));
  EXPECT_EQ(h5::read_tensor(file, "layer/mask").to_vector_as<uint8_t>(), (std::vector<uint8_t>{1, 1}));
}

TEST(Hdf5Tensor, OtherStoredTypesAreRefusedByName) {
  const std::string dir = testing::scratch_dir("hdf5_tensor");
  const std::vector<double> doubles{1, 2, 3, 4, 5, 6};
  write_raw(dir + "/doubles.h5", "energy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {3, 2}, doubles.data());
  const std::string message = testing::error_message_of([&] {
    const h5::File file = h5::File::open(dir + "/doubles.h5");
    h5::read_tensor(file, "energy");
  });
  EXPECT_TRUE(contains(message, "doubles.h5': dataset 'energy' is (3, 2) float64")) << message;
  EXPECT_TRUE(contains(message, "float32, int32 or uint8")) << message;

  // Same sizes, other signs: not silently reinterpreted.
  const std::vector<uint32_t> unsigned_counts{1, 2, 4000000000u};
  write_raw(dir + "/unsigned.h5", "counts", H5T_STD_U32LE, H5T_NATIVE_UINT32, {3}, unsigned_counts.data());
  const std::string unsigned_message = testing::error_message_of([&] {
    const h5::File file = h5::File::open(dir + "/unsigned.h5");
    h5::read_tensor(file, "counts");
  });
  EXPECT_TRUE(contains(unsigned_message, "unsigned.h5': dataset 'counts' is (3,) uint32")) << unsigned_message;
  const std::vector<int8_t> signed_mask{1, -1};
  write_raw(dir + "/signed.h5", "mask", H5T_STD_I8LE, H5T_NATIVE_INT8, {2}, signed_mask.data());
  EXPECT_THROW(
      {
        const h5::File file = h5::File::open(dir + "/signed.h5");
        h5::read_tensor(file, "mask");
      },
      Error);

  // More dimensions than a tensor has.
  const std::vector<float> seven(1, 1.0f);
  write_raw(dir + "/seven.h5", "x", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {1, 1, 1, 1, 1, 1, 1}, seven.data());
  const std::string rank_message = testing::error_message_of([&] {
    const h5::File file = h5::File::open(dir + "/seven.h5");
    h5::read_tensor(file, "x");
  });
  EXPECT_TRUE(contains(rank_message, "seven.h5': dataset 'x'")) << rank_message;
  EXPECT_TRUE(contains(rank_message, "at most 6")) << rank_message;

  // A missing dataset is named as well.
  const std::string missing = testing::error_message_of([&] {
    const h5::File file = h5::File::open(dir + "/seven.h5");
    h5::read_tensor(file, "y");
  });
  EXPECT_TRUE(contains(missing, "seven.h5': dataset 'y' is missing")) << missing;
}

TEST(Hdf5Tensor, TensorsWithoutDimensionsAreNotWritten) {
  const std::string path = testing::scratch_dir("hdf5_tensor") + "/scalar.h5";
  h5::File file = h5::File::create(path);
  EXPECT_THROW(h5::write_tensor(file, "undefined", Tensor()), Error);
  EXPECT_THROW(h5::write_tensor(file, "scalar", Tensor::empty(Shape{})), Error);
  file.close();
}

template <typename D>
class Hdf5TensorDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(Hdf5TensorDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(Hdf5TensorDevice, DeviceTensorsAreWrittenFromTheHost) {
  const Device device = this->device();
  const std::string path = testing::scratch_dir("hdf5_tensor") + "/device.h5";
  const std::vector<int32_t> idx{4, 0, 2, 1};
  const std::vector<uint8_t> mask{1, 0, 0, 1, 1};
  {
    h5::File file = h5::File::create(path);
    h5::write_tensor(file, "idx", Tensor::from_vector(idx, {2, 2}).to(device));
    h5::write_tensor(file, "mask", Tensor::from_vector(mask, {5}).to(device));
    h5::write_tensor(file, "x", Tensor::from_vector({1.5f, -2.5f}, {2}).to(device));
    file.close();
  }
  const h5::File file = h5::File::open(path);
  EXPECT_EQ(h5::read_tensor(file, "idx").to(device).to_vector_as<int32_t>(), idx);
  EXPECT_EQ(h5::read_tensor(file, "mask").to_vector_as<uint8_t>(), mask);
  EXPECT_EQ(h5::read_tensor(file, "x").to_vector(), (std::vector<float>{1.5f, -2.5f}));
}

}  // namespace
}  // namespace jetimg
