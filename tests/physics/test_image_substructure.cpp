// Mass and τ21 measured on jet images: closed forms for two pixels, the
// zoom and normalisation undone, empty images, and a jet pixelated by the
// preprocessing whose constituents sit on pixel centres, where the image
// must give back the constituents' own mass and τ21.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/preprocess.h"
#include "physics/image_substructure.h"
#include "physics/nsubjettiness.h"

namespace jetimg {
namespace {

constexpr ImageGeometry kGrid{25, 25, 0.1, 0.1};

// The centre of pixel (row, col) of kGrid: the middle pixel (12, 12) is at the origin.
double x_of(int col) { return (col - 12) * 0.1; }
double y_of(int row) { return (12 - row) * 0.1; }

TEST(ImageSubstructure, TwoPixelsGiveTheTwoBodyMass) {
  std::vector<float> image(625, 0.0f);
  image[12 * 25 + 9] = 3.0f;   // x = -0.3, y = 0
  image[15 * 25 + 14] = 1.0f;  // x = 0.2, y = -0.3
  const double pt = 280;       // shared 3:1 after the normalisation is undone
  const double pt1 = 210, pt2 = 70, deta = 0.5, dphi = 0.3;
  const double expected = std::sqrt(2 * pt1 * pt2 * (std::cosh(deta) - std::cos(dphi)));
  const ImageSubstructure s = image_substructure(image.data(), kGrid, pt, 1.0);
  EXPECT_NEAR(s.mass, expected, 1e-9 * expected);
  EXPECT_EQ(s.tau21, 0.0);  // two particles: τ2 = 0
  // Scaling the image (another normalisation) changes nothing.
  for (float& v : image) v *= 7.5f;
  EXPECT_NEAR(image_substructure(image.data(), kGrid, pt, 1.0).mass, expected, 1e-9 * expected);
}

TEST(ImageSubstructure, ZoomIsUndone) {
  // The same two prongs drawn twice as far apart with zoom 2: angles halve,
  // so the mass is that of the unzoomed pair.
  std::vector<float> near(625, 0.0f), far(625, 0.0f);
  near[12 * 25 + 10] = 1, near[12 * 25 + 14] = 1;  // Δη = 0.4
  far[12 * 25 + 8] = 1, far[12 * 25 + 16] = 1;     // Δη = 0.8 drawn, 0.4 after zoom 2
  const double a = image_substructure(near.data(), kGrid, 300, 1.0).mass;
  const double b = image_substructure(far.data(), kGrid, 300, 2.0).mass;
  EXPECT_NEAR(a, b, 1e-9 * a);
  EXPECT_NEAR(a, 2 * 150 * std::sinh(0.2), 1e-6);  // equal halves: m = 2·pT½·sinh(Δη/2)
}

TEST(ImageSubstructure, EmptyImagesAndBadGeometry) {
  std::vector<float> image(625, 0.0f);
  const ImageSubstructure s = image_substructure(image.data(), kGrid, 300, 1.0);
  EXPECT_EQ(s.mass, 0.0);
  EXPECT_EQ(s.tau21, 0.0);
  EXPECT_TRUE(image_particles(image.data(), kGrid, 300).empty());
  image[0] = 1;
  EXPECT_THROW(image_substructure(image.data(), kGrid, 300, 0.0), Error);
  EXPECT_THROW(image_substructure(image.data(), ImageGeometry{25, 25, 0.0, 0.1}, 300, 1.0), Error);
}

TEST(ImageSubstructure, PixelatedJetOnPixelCentresKeepsItsMassAndTau21) {
  // Three prongs of a W-like jet placed on pixel centres (around the jet
  // axis at the origin), pixelated by the preprocessing with a translation only.
  struct Prong { double pt; int row, col; };
  const std::vector<Prong> prongs = {{150, 12, 12}, {90, 16, 14}, {25, 10, 15}, {8, 13, 7}};
  std::vector<FourVector> constituents;
  JetBatch b{Tensor::zeros({1, 8, 4}), Tensor::zeros({1}), Tensor::zeros({1, 4, 3}), Tensor::zeros({1}),
             Tensor::zeros({1, 4})};
  double total = 0;
  for (size_t k = 0; k < prongs.size(); ++k) {
    const Prong& p = prongs[k];
    constituents.push_back(FourVector::from_pt_eta_phi_m(p.pt, x_of(p.col), y_of(p.row), 0));
    float* c = b.constituents.data() + 4 * k;
    c[0] = static_cast<float>(p.pt), c[1] = static_cast<float>(x_of(p.col)), c[2] = static_cast<float>(y_of(p.row));
    c[3] = static_cast<float>(constituents.back().E);
    total += p.pt;
  }
  b.n_constituents.data()[0] = static_cast<float>(prongs.size());
  b.jets.data()[0] = static_cast<float>(total);  // η = φ = 0: the jet axis at the origin
  PreprocessConfig config;
  config.frame = {Centre::JetAxis, Rotation::None, Flip::None, false, 1.0f, 80.4f};
  config.pixels.height = config.pixels.width = 25;
  config.normalisation = Normalisation::L2;
  Context ctx(Device::cpu(), 1);
  Tensor images = Tensor::empty({1, 1, 25, 25});
  preprocess(ctx, b, config, images);

  FourVector sum;
  for (const FourVector& c : constituents) sum = sum + c;
  const ImageSubstructure s = image_substructure(images.data(), kGrid, total, 1.0);
  EXPECT_NEAR(s.mass, sum.m(), 1e-4 * sum.m());  // float pixels and coordinates
  const double tau21 = nsubjettiness_123(constituents).tau21;
  EXPECT_GT(tau21, 0.0);
  EXPECT_NEAR(s.tau21, tau21, 1e-4);
}

}  // namespace
}  // namespace jetimg
