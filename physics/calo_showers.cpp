#include "physics/calo_showers.h"

namespace jetimg {

std::vector<LayerGeometry> calogan_geometry() { return {{3, 96}, {12, 12}, {12, 6}}; }

std::vector<LayerGeometry> ShowerBatch::geometry() const {
  std::vector<LayerGeometry> g;
  for (const Tensor& layer : layers) g.push_back({static_cast<int>(layer.dim(1)), static_cast<int>(layer.dim(2))});
  return g;
}

}  // namespace jetimg
