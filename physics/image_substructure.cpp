#include "physics/image_substructure.h"

#include "core/error.h"
#include "physics/nsubjettiness.h"

namespace jetimg {

std::vector<FourVector> image_particles(const float* image, const ImageGeometry& g, double total_pt, double zoom) {
  if (g.height < 1 || g.width < 1 || !(g.pixel_eta > 0) || !(g.pixel_phi > 0))
    fail("image substructure: the image must have pixels of positive size");
  if (!(zoom > 0)) fail("image substructure: the zoom factor must be positive, got ", zoom);
  double sum = 0;
  for (int i = 0; i < g.height * g.width; ++i)
    if (image[i] > 0) sum += image[i];
  std::vector<FourVector> particles;
  if (!(sum > 0) || !(total_pt > 0)) return particles;
  const double scale = total_pt / sum;
  for (int row = 0; row < g.height; ++row) {
    for (int col = 0; col < g.width; ++col) {
      const float v = image[row * g.width + col];
      if (!(v > 0)) continue;
      const double x = (col + 0.5 - 0.5 * g.width) * g.pixel_eta / zoom;
      const double y = (0.5 * g.height - row - 0.5) * g.pixel_phi / zoom;
      particles.push_back(FourVector::from_pt_eta_phi_m(scale * v, x, y, 0.0));
    }
  }
  return particles;
}

ImageSubstructure image_substructure(const float* image, const ImageGeometry& g, double total_pt, double zoom) {
  const std::vector<FourVector> particles = image_particles(image, g, total_pt, zoom);
  ImageSubstructure s;
  if (particles.empty()) return s;
  FourVector sum;
  for (const FourVector& p : particles) sum = sum + p;
  s.mass = sum.m();
  s.tau21 = nsubjettiness_123(particles).tau21;
  return s;
}

}  // namespace jetimg
