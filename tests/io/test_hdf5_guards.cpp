// The HDF5 layer against files made to hurt it: every dataset is inspected
// before it is read (shape, element type, declared size against the bytes the
// file holds, links to other files), and every read checks the caller's
// buffer, so a file of another shape can no longer write past it. Files are
// made here with the HDF5 C API, as another tool (or an attacker) would.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/hdf5.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A file under construction with the raw C API.
class RawFile {
 public:
  explicit RawFile(const std::string& path)
      : path_(path), id_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {}
  ~RawFile() { close(); }
  void close() {
    if (id_ >= 0) H5Fclose(id_);
    id_ = -1;
  }
  hid_t id() const { return id_; }
  // A contiguous float dataset filled with 1, 2, 3, ...
  void floats(const std::string& name, const std::vector<hsize_t>& dims) {
    hsize_t n = 1;
    for (hsize_t d : dims) n *= d;
    std::vector<float> values(n);
    for (hsize_t i = 0; i < n; ++i) values[i] = static_cast<float>(i + 1);
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t set = H5Dcreate2(id_, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(set);
    H5Sclose(space);
  }
  // A chunked, growable dataset declaring `rows` rows of which none is written.
  void declared(const std::string& name, hsize_t rows, hsize_t width) {
    const hsize_t dims[2] = {rows, width}, max_dims[2] = {H5S_UNLIMITED, width}, chunk[2] = {1024, width};
    const hid_t space = H5Screate_simple(2, dims, max_dims);
    const hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(plist, 2, chunk);
    H5Pset_deflate(plist, 4);
    const hid_t set = H5Dcreate2(id_, name.c_str(), H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    H5Dclose(set);
    H5Pclose(plist);
    H5Sclose(space);
  }
  void attribute(const std::string& name, const std::string& value) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, value.size());
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attr = H5Acreate2(id_, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, value.data());
    H5Aclose(attr), H5Sclose(space), H5Tclose(type);
  }
  void int_attribute(const std::string& name, const std::vector<int64_t>& values) {
    const hsize_t n = values.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t attr = H5Acreate2(id_, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT64, values.data());
    H5Aclose(attr), H5Sclose(space);
  }

 private:
  std::string path_;
  hid_t id_;
};

TEST(Hdf5Guards, ShapesAndTypesAreCheckedBeforeAnyRead) {
  const std::string dir = testing::scratch_dir("hdf5_guards");
  const std::string path = dir + "/wide.h5";
  {
    RawFile f(path);
    f.floats("pt", {10, 64});  // a column that should be (10,)
  }
  const h5::File file = h5::File::open(path);
  const std::string wrong_shape =
      testing::error_message_of([&] { file.require("pt", {10}, h5::Elements::Float32); });
  EXPECT_TRUE(contains(wrong_shape, "wide.h5': dataset 'pt' is (10, 64) float32, expected (10,) float32"))
      << wrong_shape;
  const std::string wrong_type = testing::error_message_of([&] { file.require("pt", {10, 64}, h5::Elements::Float64); });
  EXPECT_TRUE(contains(wrong_type, "is (10, 64) float32, expected (10, 64) float64")) << wrong_type;

  // A read sized for rows of one value cannot take rows of 64: an Error, and
  // the buffer (with a guard value after it) is untouched.
  std::vector<float> buffer(11, -7.0f);
  const std::string overflow = testing::error_message_of([&] { file.read_rows("pt", 0, 10, buffer.data(), 10); });
  EXPECT_TRUE(contains(overflow, "rows of 64 values where 1 were expected")) << overflow;
  for (float v : buffer) EXPECT_EQ(v, -7.0f);
  // Sized right, it reads.
  std::vector<float> rows;
  file.read_rows("pt", 2, 3, rows);
  ASSERT_EQ(rows.size(), 3u * 64u);
  EXPECT_EQ(rows.front(), 2 * 64 + 1.0f);
  EXPECT_EQ(rows.back(), 5 * 64.0f);
}

TEST(Hdf5Guards, DeclaredSizesMustFitTheFilesBytes) {
  const std::string dir = testing::scratch_dir("hdf5_guards");
  const std::string path = dir + "/huge.h5";
  {
    RawFile f(path);
    f.declared("images", hsize_t{1} << 40, 625);  // 2.7 PB declared, nothing written
    f.declared("empty", 0, 625);                  // zero rows is a legal file
  }
  const h5::File file = h5::File::open(path);
  const std::string message = testing::error_message_of([&] { file.inspect("images"); });
  EXPECT_TRUE(contains(message, "huge.h5': dataset 'images' declares (1099511627776, 625) float32")) << message;
  EXPECT_TRUE(contains(message, "the file stores only 0 bytes for it")) << message;
  EXPECT_EQ(file.inspect("empty").dims, (std::vector<hsize_t>{0, 625}));
}

TEST(Hdf5Guards, LinksToOtherFilesAreNotFollowed) {
  const std::string dir = testing::scratch_dir("hdf5_guards");
  {
    RawFile secret(dir + "/secret.h5");
    secret.floats("data", {4});
  }
  const std::string path = dir + "/linking.h5";
  {
    RawFile f(path);
    H5Lcreate_external((dir + "/secret.h5").c_str(), "data", f.id(), "pt", H5P_DEFAULT, H5P_DEFAULT);
  }
  const h5::File file = h5::File::open(path);
  const std::string message = testing::error_message_of([&] { file.inspect("pt"); });
  EXPECT_TRUE(contains(message, "linking.h5': 'pt' is a link to another file")) << message;
}

TEST(Hdf5Guards, FormatVersionsAndAttributesAreChecked) {
  const std::string dir = testing::scratch_dir("hdf5_guards");
  const std::string path = dir + "/future.h5";
  {
    RawFile f(path);
    f.attribute("format", "jetimg-jets");
    f.int_attribute("version", {999});
    f.int_attribute("epoch", {1, 2, 3});  // three values where one is read
    f.attribute("provenance", std::string(100, '[') + std::string(100, ']'));
  }
  const h5::File file = h5::File::open(path);
  const std::string newer = testing::error_message_of([&] { file.require_format("jetimg-jets", 3, "a jets file"); });
  EXPECT_TRUE(contains(newer, "future.h5' is a jets file of version 999, but this jetimg reads versions 1 to 3"))
      << newer;
  const std::string other = testing::error_message_of([&] { file.require_format("jetimg-images", 2, "an images file"); });
  EXPECT_TRUE(contains(other, "future.h5' is not an images file")) << other;
  const std::string many = testing::error_message_of([&] { file.read_int_attribute("epoch"); });
  EXPECT_TRUE(contains(many, "attribute 'epoch' must hold one value")) << many;
  const std::string deep = testing::error_message_of([&] { file.read_json_attribute("provenance"); });
  EXPECT_TRUE(contains(deep, "attribute 'provenance' nests deeper than 64 levels")) << deep;
}

}  // namespace
}  // namespace jetimg
