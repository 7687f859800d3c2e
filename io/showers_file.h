// Calorimeter showers in memory and on disk.
//
// In memory a ShowerBatch holds N showers: the incident energy in GeV and, per
// calorimeter layer, an image of deposited energies in MeV. The CaloGAN
// calorimeter (a three-layer lead/liquid-argon sampling calorimeter) has
// layers of 3×96, 12×12 and 12×6 cells; other geometries are allowed (a
// CaloChallenge file reads as one layer of 1 × voxels).
//
// On disk, the CaloGAN HDF5 layout (readable by the published CaloGAN code):
//   energy    (N, 1)      float32, incident energy in GeV
//   layer_0   (N, 3, 96)  float32, MeV
//   layer_1   (N, 12, 12) float32, MeV
//   layer_2   (N, 12, 6)  float32, MeV
//   overflow  (N, 3)      float32, MeV deposited outside the cells, per layer
// and the CaloChallenge layout:
//   incident_energies (N, 1) MeV, showers (N, voxels) MeV
// (written with every layer's cells one after another, layer 0 first, each
// row-major; the overflow has no place in it and is dropped).
// jetimg's own files add the attributes format = "jetimg-showers",
// version = 1 and provenance = JSON (who made the showers, and how).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/tensor.h"
#include "physics/calo_showers.h"

namespace jetimg {

// Reads showers [begin, begin + count) of a CaloGAN or CaloChallenge file
// (the layout is detected; count < 0: to the end). Errors name the file and
// the dataset, and what was expected (missing datasets, wrong shapes,
// datasets of different lengths, NaN or negative energies: the first bad
// record is named).
class ShowersReader {
 public:
  explicit ShowersReader(const std::string& path);
  int64_t size() const { return size_; }
  const std::vector<LayerGeometry>& geometry() const { return geometry_; }
  const std::string& path() const { return path_; }
  // "calogan" or "calochallenge".
  const std::string& layout() const { return layout_; }
  Json provenance() const;  // {} when the file has none
  ShowerBatch read(int64_t begin, int64_t count) const;

 private:
  std::string path_, layout_;
  int64_t size_ = 0;
  std::vector<LayerGeometry> geometry_;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};
ShowerBatch read_showers(const std::string& path, int64_t begin = 0, int64_t count = -1);

enum class ShowersLayout { CaloGan, CaloChallenge };
// "calogan" or "calochallenge"; Error naming the accepted values otherwise.
ShowersLayout parse_showers_layout(const std::string& name);

// Streams batches into a CaloGAN- or CaloChallenge-layout file, written
// atomically: nothing appears at `path` until finish(), and an existing file
// is only replaced by a complete one.
class ShowersWriter {
 public:
  ShowersWriter(const std::string& path, const std::vector<LayerGeometry>& geometry, const Json& provenance,
                ShowersLayout layout = ShowersLayout::CaloGan);
  ~ShowersWriter();
  void write(const ShowerBatch& batch);  // CPU or device tensors
  void finish();
  int64_t showers_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jetimg
