// Showers files: a round trip through the CaloGAN layout, files written by
// other tools (CaloGAN without overflow, CaloChallenge, other number types),
// and damaged files whose errors name the file, the dataset and the shower.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "io/hdf5.h"
#include "io/showers_file.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A batch of n CaloGAN showers whose every value says where it came from.
ShowerBatch numbered_batch(int64_t n, float offset) {
  ShowerBatch b;
  std::vector<float> energy;
  for (int64_t i = 0; i < n; ++i) energy.push_back(offset + 10.0f * static_cast<float>(i + 1));
  b.energy = Tensor::from_vector(energy, {n, 1});
  for (const LayerGeometry& g : calogan_geometry()) {
    Tensor layer = Tensor::empty({n, g.rows, g.cols});
    for (int64_t k = 0; k < layer.numel(); ++k) layer.data()[k] = offset + 0.25f * static_cast<float>(k % 1000);
    b.layers.push_back(layer);
  }
  std::vector<float> overflow;
  for (int64_t k = 0; k < 3 * n; ++k) overflow.push_back(offset + static_cast<float>(k));
  b.overflow = Tensor::from_vector(overflow, {n, 3});
  return b;
}

// Writes one dataset of doubles (or, with `as_int`, 32-bit integers) with
// the HDF5 C API, as other tools would.
void write_dataset(hid_t file, const std::string& name, const std::vector<hsize_t>& dims,
                   const std::vector<double>& values, bool as_int = false) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t type = as_int ? H5T_STD_I32LE : H5T_IEEE_F64LE;
  const hid_t set = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(set, 0) << name;
  if (as_int) {
    std::vector<int32_t> ints(values.begin(), values.end());
    H5Dwrite(set, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints.data());
  } else {
    H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  }
  H5Dclose(set);
  H5Sclose(space);
}

struct ForeignFile {
  std::string path;
  hid_t id;
  explicit ForeignFile(const std::string& p)
      : path(p), id(H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {}
  ~ForeignFile() { close(); }
  void close() {
    if (id >= 0) H5Fclose(id);
    id = -1;
  }
};

std::vector<double> ramp(size_t n, double start = 0) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i);
  return v;
}

// A CaloGAN file as the published data has it (float64 here, no overflow).
void write_calogan(const std::string& path, size_t n, std::vector<double> energy = {}) {
  ForeignFile f(path);
  if (energy.empty()) energy = ramp(n, 1);
  write_dataset(f.id, "energy", {n, 1}, energy);
  write_dataset(f.id, "layer_0", {n, 3, 96}, ramp(n * 288));
  write_dataset(f.id, "layer_1", {n, 12, 12}, ramp(n * 144));
  write_dataset(f.id, "layer_2", {n, 12, 6}, ramp(n * 72), /*as_int=*/true);
}

TEST(ShowersFile, CaloganGeometry) {
  const std::vector<LayerGeometry> g = calogan_geometry();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].rows, 3);
  EXPECT_EQ(g[0].cols, 96);
  EXPECT_EQ(g[1].cells(), 144);
  EXPECT_EQ(g[2].rows, 12);
  EXPECT_EQ(g[2].cols, 6);
  const ShowerBatch b = numbered_batch(2, 0);
  ASSERT_EQ(b.geometry().size(), 3u);
  EXPECT_EQ(b.geometry()[0].cols, 96);
  EXPECT_EQ(b.size(), 2);
}

TEST(ShowersFile, RoundTripInBatches) {
  const std::string path = testing::scratch_dir("showers") + "/round.h5";
  const Json provenance = {{"program", "test"}, {"seed", 7}};
  {
    ShowersWriter writer(path, calogan_geometry(), provenance);
    writer.write(numbered_batch(3, 0));
    writer.write(numbered_batch(2, 1000));
    EXPECT_EQ(writer.showers_written(), 5);
    EXPECT_FALSE(std::filesystem::exists(path)) << "the file appears only when finished";
    writer.finish();
  }
  ShowersReader reader(path);
  EXPECT_EQ(reader.size(), 5);
  EXPECT_EQ(reader.layout(), "calogan");
  EXPECT_EQ(reader.provenance(), provenance);
  ASSERT_EQ(reader.geometry().size(), 3u);
  EXPECT_EQ(reader.geometry()[2].cols, 6);

  const ShowerBatch all = reader.read(0, -1);
  const ShowerBatch first = numbered_batch(3, 0), second = numbered_batch(2, 1000);
  EXPECT_TRUE(testing::all_close(all.energy.slice(0, 3), first.energy, 0, 0));
  EXPECT_TRUE(testing::all_close(all.energy.slice(3, 5), second.energy, 0, 0));
  for (int l = 0; l < 3; ++l) {
    EXPECT_TRUE(testing::all_close(all.layers[l].slice(0, 3), first.layers[l], 0, 0)) << "layer " << l;
    EXPECT_TRUE(testing::all_close(all.layers[l].slice(3, 5), second.layers[l], 0, 0)) << "layer " << l;
  }
  EXPECT_TRUE(testing::all_close(all.overflow.slice(3, 5), second.overflow, 0, 0));

  // A range in the middle, and read_showers.
  const ShowerBatch middle = read_showers(path, 2, 2);
  EXPECT_EQ(middle.size(), 2);
  EXPECT_FLOAT_EQ(middle.energy.data()[0], 30.0f);
  EXPECT_FLOAT_EQ(middle.energy.data()[1], 1010.0f);

  // The layout other tools expect: float32, (N, 1) energies, attributes.
  const h5::File f = h5::File::open(path);
  EXPECT_EQ(f.dims("energy"), (std::vector<hsize_t>{5, 1}));
  EXPECT_EQ(f.dims("layer_0"), (std::vector<hsize_t>{5, 3, 96}));
  EXPECT_EQ(f.dims("overflow"), (std::vector<hsize_t>{5, 3}));
  EXPECT_EQ(f.type_class("layer_1"), H5T_FLOAT);
  EXPECT_EQ(f.read_string_attribute("format"), "jetimg-showers");
  EXPECT_EQ(f.read_int_attribute("version"), 1);
}

TEST(ShowersFile, WriterChecksShapesAndValues) {
  const std::string dir = testing::scratch_dir("showers");
  const std::string path = dir + "/checked.h5";
  ShowersWriter writer(path, calogan_geometry(), Json::object());
  ShowerBatch b = numbered_batch(2, 0);
  b.layers[1] = Tensor::zeros({2, 12, 6});
  std::string e = testing::error_message_of([&] { writer.write(b); });
  EXPECT_TRUE(contains(e, "checked.h5")) << e;
  EXPECT_TRUE(contains(e, "layer_1 is (2, 12, 6), expected (2, 12, 12)")) << e;

  b = numbered_batch(2, 0);
  b.layers.pop_back();
  e = testing::error_message_of([&] { writer.write(b); });
  EXPECT_TRUE(contains(e, "the batch has 2 layers, expected 3")) << e;

  b = numbered_batch(2, 0);
  b.layers[2].data()[72 + 5] = std::numeric_limits<float>::quiet_NaN();
  e = testing::error_message_of([&] { writer.write(b); });
  EXPECT_TRUE(contains(e, "a deposit in layer_2 of shower 1 in the batch is NaN")) << e;

  // A batch without overflow is written with zeros.
  b = numbered_batch(2, 0);
  b.overflow = Tensor();
  writer.write(b);
  writer.finish();
  const ShowerBatch back = read_showers(path);
  EXPECT_EQ(back.size(), 2) << "rejected batches wrote nothing";
  for (float v : back.overflow.to_vector()) EXPECT_EQ(v, 0.0f);
}

TEST(ShowersFileCuda, WritesDeviceTensors) {
  JI_SKIP_WITHOUT(Device::cuda(0));
  const std::string path = testing::scratch_dir("showers") + "/device.h5";
  const ShowerBatch host = numbered_batch(3, 5);
  ShowerBatch device;
  device.energy = host.energy.to(Device::cuda(0));
  for (const Tensor& layer : host.layers) device.layers.push_back(layer.to(Device::cuda(0)));
  device.overflow = host.overflow.to(Device::cuda(0));
  ShowersWriter writer(path, calogan_geometry(), Json::object());
  writer.write(device);
  writer.finish();
  const ShowerBatch back = read_showers(path);
  for (int l = 0; l < 3; ++l) EXPECT_TRUE(testing::all_close(back.layers[l], host.layers[l], 0, 0)) << l;
  EXPECT_TRUE(testing::all_close(back.overflow, host.overflow, 0, 0));
}

TEST(ShowersFile, UnfinishedWriterLeavesExistingFileAlone) {
  const std::string dir = testing::scratch_dir("showers");
  const std::string path = testing::write_text_file(dir, "keep.h5", "keep me");
  {
    ShowersWriter writer(path, calogan_geometry(), Json::object());
    writer.write(numbered_batch(2, 0));
  }  // never finished
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "keep me");
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_FALSE(contains(entry.path().string(), ".tmp-")) << entry.path();
}

TEST(ShowersFile, ReadsCaloganFilesFromOtherTools) {
  const std::string path = testing::scratch_dir("showers") + "/published.h5";
  write_calogan(path, 4);
  ShowersReader reader(path);
  EXPECT_EQ(reader.layout(), "calogan");
  EXPECT_EQ(reader.size(), 4);
  EXPECT_EQ(reader.provenance(), Json::object());
  const ShowerBatch b = reader.read(1, 2);
  EXPECT_EQ(b.energy.shape(), (Shape{2, 1}));
  EXPECT_FLOAT_EQ(b.energy.data()[0], 2.0f);
  EXPECT_FLOAT_EQ(b.layers[0].data()[0], 288.0f);            // row 1 of a ramp
  EXPECT_FLOAT_EQ(b.layers[2].data()[72 + 3], 72.0f * 2 + 3);  // integers converted
  EXPECT_EQ(b.overflow.shape(), (Shape{2, 3}));
  for (float v : b.overflow.to_vector()) EXPECT_EQ(v, 0.0f);
}

TEST(ShowersFile, ReadsCaloChallengeFiles) {
  const std::string path = testing::scratch_dir("showers") + "/challenge.h5";
  {
    ForeignFile f(path);
    write_dataset(f.id, "incident_energies", {3, 1}, {1000, 2048, 65536});
    write_dataset(f.id, "showers", {3, 10}, ramp(30));
  }
  ShowersReader reader(path);
  EXPECT_EQ(reader.layout(), "calochallenge");
  ASSERT_EQ(reader.geometry().size(), 1u);
  EXPECT_EQ(reader.geometry()[0].rows, 1);
  EXPECT_EQ(reader.geometry()[0].cols, 10);
  const ShowerBatch b = reader.read(0, -1);
  EXPECT_EQ(b.energy.to_vector(), (std::vector<float>{1.0f, 2.048f, 65.536f})) << "MeV become GeV";
  EXPECT_EQ(b.layers[0].shape(), (Shape{3, 1, 10}));
  EXPECT_FLOAT_EQ(b.layers[0].data()[25], 25.0f);
  EXPECT_EQ(b.overflow.shape(), (Shape{3, 1}));
}

TEST(ShowersFile, WritesTheCaloChallengeLayout) {
  const std::string path = testing::scratch_dir("showers") + "/written_challenge.h5";
  const ShowerBatch a = numbered_batch(3, 0), b = numbered_batch(2, 1000);
  {
    ShowersWriter writer(path, calogan_geometry(), Json{{"program", "test"}}, ShowersLayout::CaloChallenge);
    writer.write(a);
    writer.write(b);
    writer.finish();
  }
  const h5::File f = h5::File::open(path);
  EXPECT_EQ(f.dims("incident_energies"), (std::vector<hsize_t>{5, 1}));
  EXPECT_EQ(f.dims("showers"), (std::vector<hsize_t>{5, 3 * 96 + 12 * 12 + 12 * 6}));
  EXPECT_FALSE(f.has("overflow"));
  // Read back as a CaloChallenge file: energies in GeV again, one layer
  // holding the three CaloGAN layers one after another.
  ShowersReader reader(path);
  EXPECT_EQ(reader.layout(), "calochallenge");
  ASSERT_EQ(reader.geometry().size(), 1u);
  EXPECT_EQ(reader.geometry()[0].cols, 504);
  const ShowerBatch back = reader.read(0, -1);
  for (int64_t i = 0; i < 5; ++i) {
    const ShowerBatch& source = i < 3 ? a : b;
    const int64_t k = i < 3 ? i : i - 3;
    EXPECT_FLOAT_EQ(back.energy.data()[i], source.energy.data()[k]) << "shower " << i;
    int64_t voxel = 0;
    for (const Tensor& layer : source.layers) {
      const int64_t cells = layer.numel() / layer.dim(0);
      for (int64_t c = 0; c < cells; ++c, ++voxel)
        ASSERT_EQ(back.layers[0].data()[i * 504 + voxel], layer.data()[k * cells + c]) << "shower " << i << " voxel " << voxel;
    }
  }
  EXPECT_EQ(parse_showers_layout("calochallenge"), ShowersLayout::CaloChallenge);
  EXPECT_THROW(parse_showers_layout("geant4"), Error);
}

TEST(ShowersFile, DamagedFilesNameFileDatasetAndShower) {
  const std::string dir = testing::scratch_dir("showers");
  const auto error_of = [](const std::string& path) {
    return testing::error_message_of([&] { ShowersReader(path).read(0, -1); });
  };

  const std::string missing = dir + "/no_energy.h5";
  {
    ForeignFile f(missing);
    write_dataset(f.id, "layer_0", {2, 3, 96}, ramp(2 * 288));
  }
  std::string e = error_of(missing);
  EXPECT_TRUE(contains(e, "no_energy.h5': dataset 'energy' is missing")) << e;

  const std::string lengths = dir + "/lengths.h5";
  {
    ForeignFile f(lengths);
    write_dataset(f.id, "energy", {3, 1}, {1, 2, 3});
    write_dataset(f.id, "layer_0", {3, 3, 96}, ramp(3 * 288));
    write_dataset(f.id, "layer_1", {2, 12, 12}, ramp(2 * 144));
  }
  e = error_of(lengths);
  EXPECT_TRUE(contains(e, "lengths.h5': dataset 'layer_1' has 2 showers but 'energy' has 3")) << e;

  const std::string rank = dir + "/rank.h5";
  {
    ForeignFile f(rank);
    write_dataset(f.id, "energy", {2, 1}, {1, 2});
    write_dataset(f.id, "layer_0", {2, 288}, ramp(2 * 288));
  }
  e = error_of(rank);
  EXPECT_TRUE(contains(e, "rank.h5': dataset 'layer_0' is (2, 288), expected (N, rows, cols)")) << e;

  const std::string nan_energy = dir + "/nan_energy.h5";
  write_calogan(nan_energy, 4, {5, 6, std::nan(""), 8});
  e = error_of(nan_energy);
  EXPECT_TRUE(contains(e, "nan_energy.h5': dataset 'energy', shower 2: NaN where a positive energy was expected")) << e;
  // The showers before the bad one still read.
  EXPECT_EQ(ShowersReader(nan_energy).read(0, 2).size(), 2);

  const std::string negative = dir + "/negative.h5";
  {
    ForeignFile f(negative);
    std::vector<double> cells = ramp(3 * 144);
    cells[2 * 144 + 7] = -1.5;
    write_dataset(f.id, "energy", {3, 1}, {1, 2, 3});
    write_dataset(f.id, "layer_0", {3, 3, 96}, ramp(3 * 288));
    write_dataset(f.id, "layer_1", {3, 12, 12}, cells);
  }
  e = error_of(negative);
  EXPECT_TRUE(contains(e, "negative.h5': dataset 'layer_1', shower 2: -1.5 where a finite, non-negative energy")) << e;

  const std::string challenge = dir + "/challenge_inf.h5";
  {
    ForeignFile f(challenge);
    std::vector<double> voxels = ramp(20);
    voxels[15] = std::numeric_limits<double>::infinity();
    write_dataset(f.id, "incident_energies", {2, 1}, {1000, 2000});
    write_dataset(f.id, "showers", {2, 10}, voxels);
  }
  e = error_of(challenge);
  EXPECT_TRUE(contains(e, "challenge_inf.h5': dataset 'showers', shower 1: inf")) << e;

  const std::string empty = dir + "/other.h5";
  {
    ForeignFile f(empty);
    write_dataset(f.id, "images", {2, 3}, ramp(6));
  }
  e = error_of(empty);
  EXPECT_TRUE(contains(e, "other.h5' holds no showers")) << e;

  e = testing::error_message_of([&] { ShowersReader(dir + "/absent.h5"); });
  EXPECT_TRUE(contains(e, "absent.h5': no such file")) << e;
  e = testing::error_message_of([&] { ShowersReader(nan_energy).read(3, 5); });
  EXPECT_TRUE(contains(e, "showers [3, 8) are outside the file's 4 showers")) << e;
}

}  // namespace
}  // namespace jetimg
