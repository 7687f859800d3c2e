// Calorimeter showers in memory: the cell grid of each layer and a batch of
// showers (incident energies and the energy in each cell), as the built-in
// simulator, the GANs, the shower shapes and the showers files all see them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace jetimg {

// The cell grid of one calorimeter layer (rows = η-like, cols = φ-like as the
// CaloGAN data lays them out: layer_0 is (3, 96)).
struct LayerGeometry {
  int rows = 0, cols = 0;
  int64_t cells() const { return int64_t(rows) * cols; }
};
std::vector<LayerGeometry> calogan_geometry();  // {3,96}, {12,12}, {12,6}

// Bounds for showers of any geometry: the CaloChallenge's largest has 45
// layers and 40 500 voxels in all.
constexpr size_t kMaxShowerLayers = 64;
constexpr uint64_t kMaxCellsPerLayer = uint64_t{1} << 20;

struct ShowerBatch {
  Tensor energy;               // (N, 1) incident energy, GeV
  std::vector<Tensor> layers;  // per layer (N, rows, cols), MeV
  Tensor overflow;             // (N, layers) MeV (zeros when the source has none)
  int64_t size() const { return energy.defined() ? energy.dim(0) : 0; }
  std::vector<LayerGeometry> geometry() const;
};

}  // namespace jetimg
