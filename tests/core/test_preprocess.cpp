// Jet-image preprocessing: hand-built jets with known answers on the CPU,
// invariances, edge cases, the fused path against the single steps, and
// CUDA against the CPU on random batches.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "core/error.h"
#include "core/preprocess.h"
#include "core/preprocess_math.h"
#include "io/jet_batch.h"
#include "physics/generator.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

struct HandJet {
  std::vector<std::array<float, 3>> constituents;  // pT, η, φ (massless)
  std::vector<std::array<float, 3>> subjets;       // pT, η, φ
  std::array<float, 4> jet{300, 0, 0, 80};         // pT, η, φ, m
};

JetBatch make_batch(const std::vector<HandJet>& jets, int max_constituents = 64, int max_subjets = 4) {
  const int64_t n = static_cast<int64_t>(jets.size());
  for (const HandJet& h : jets) {
    max_constituents = std::max<int>(max_constituents, static_cast<int>(h.constituents.size()));
    max_subjets = std::max<int>(max_subjets, static_cast<int>(h.subjets.size()));
  }
  JetBatch b{Tensor::zeros({n, max_constituents, 4}), Tensor::zeros({n}), Tensor::zeros({n, max_subjets, 3}),
             Tensor::zeros({n}), Tensor::zeros({n, 4})};
  for (int64_t j = 0; j < n; ++j) {
    const HandJet& h = jets[static_cast<size_t>(j)];
    for (size_t k = 0; k < h.constituents.size(); ++k) {
      float* c = b.constituents.data() + (j * max_constituents + static_cast<int64_t>(k)) * 4;
      c[0] = h.constituents[k][0], c[1] = h.constituents[k][1], c[2] = h.constituents[k][2];
      c[3] = c[0] * std::cosh(c[1]);
    }
    for (size_t k = 0; k < h.subjets.size(); ++k)
      for (int d = 0; d < 3; ++d) b.subjets.data()[(j * max_subjets + static_cast<int64_t>(k)) * 3 + d] = h.subjets[k][d];
    b.n_constituents.data()[j] = static_cast<float>(h.constituents.size());
    b.n_subjets.data()[j] = static_cast<float>(h.subjets.size());
    for (int d = 0; d < 4; ++d) b.jets.data()[j * 4 + d] = h.jet[d];
  }
  return b;
}

// A plain configuration: centre on the jet axis, nothing else.
PreprocessConfig plain(int size, float pixel) {
  PreprocessConfig c;
  c.frame = {Centre::JetAxis, Rotation::None, Flip::None, false, 1.0f, 80.4f};
  c.pixels.height = c.pixels.width = size;
  c.pixels.pixel_eta = c.pixels.pixel_phi = pixel;
  c.normalisation = Normalisation::None;
  return c;
}

std::vector<float> run(const JetBatch& batch, const PreprocessConfig& config, Device device = Device::cpu()) {
  Context ctx(device, 1);
  Tensor images = Tensor::empty({batch.size(), config.channels(), config.pixels.height, config.pixels.width}, device);
  preprocess(ctx, batch.to(device), config, images);
  return images.to_vector();
}

// Intensity-weighted moments of one image plane, in units of pixels from the centre.
struct Moments {
  double sum = 0, mx = 0, my = 0, xx = 0, yy = 0, xy = 0, left = 0, right = 0, below = 0, above = 0;
};
Moments moments(const float* image, int h, int w) {
  Moments m;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const double v = image[r * w + c], x = c + 0.5 - 0.5 * w, y = 0.5 * h - r - 0.5;
      m.sum += v, m.mx += v * x, m.my += v * y, m.xx += v * x * x, m.yy += v * y * y, m.xy += v * x * y;
      if (x < 0) m.left += v;
      if (x > 0) m.right += v;
      if (y < 0) m.below += v;
      if (y > 0) m.above += v;
    }
  return m;
}

TEST(Preprocess, PixelatesIntoTheExpectedPixel) {
  // 5×5 pixels of 0.1: the origin is the centre of pixel (2, 2).
  HandJet jet;
  jet.constituents = {{10, 0.05f, -0.12f}, {3, -0.21f, 0.04f}, {2, 0.0f, 0.0f}, {7, 0.31f, 0.0f}};
  const std::vector<float> image = run(make_batch({jet}), plain(5, 0.1f));
  std::vector<float> expected(25, 0.0f);
  expected[3 * 5 + 3] = 10;  // η 0.05 -> col 3; φ -0.12 -> row 3
  expected[2 * 5 + 0] = 3;   // η -0.21 -> col 0; φ 0.04 -> row 2
  expected[2 * 5 + 2] = 2;   // the origin
  // η 0.31 is outside the 5-pixel image (it ends at 0.25)
  EXPECT_EQ(image, expected);
}

TEST(Preprocess, EvenImagesPutTheOriginOnAPixelCorner) {
  HandJet jet;
  jet.constituents = {{1, 0.01f, 0.01f}, {2, -0.01f, -0.01f}};
  const std::vector<float> image = run(make_batch({jet}), plain(4, 0.1f));
  EXPECT_EQ(image[1 * 4 + 2], 1.0f);  // up-right of the corner
  EXPECT_EQ(image[2 * 4 + 1], 2.0f);  // down-left
}

TEST(Preprocess, PhiWrapsAcrossPi) {
  HandJet jet;
  jet.jet = {300, 0, 3.1f, 80};
  jet.constituents = {{5, 0.0f, -3.1f}};  // Δφ = +0.083 across the boundary
  const std::vector<float> image = run(make_batch({jet}), plain(5, 0.1f));
  EXPECT_EQ(image[1 * 5 + 2], 5.0f);
}

TEST(Preprocess, WConventionPutsTheSecondSubjetStraightDownAndTheThirdOnTheRight) {
  HandJet jet;
  jet.subjets = {{200, 0.2f, 0.3f}, {80, 0.5f, 0.7f}, {20, 0.0f, 0.9f}};
  for (const auto& s : jet.subjets) jet.constituents.push_back(s);
  PreprocessConfig config = PreprocessConfig::w_tagging();
  config.rotation_space = RotationSpace::Constituents;
  config.frame.zoom = false;
  config.normalisation = Normalisation::None;
  const std::vector<float> image = run(make_batch({jet}), config);
  // Leading subjet at the centre pixel (12, 12); the second 0.5 below it
  // (distance sqrt(0.3² + 0.4²) = 0.5 -> 5 pixels down), the third to the right.
  EXPECT_NEAR(image[12 * 25 + 12], 200.0f / std::cosh(0.2f) * std::cosh(0.2f), 1e-3);
  EXPECT_NEAR(image[17 * 25 + 12], 80.0f, 1e-3);
  int third_col = -1;
  for (int i = 0; i < 625; ++i)
    if (std::abs(image[i] - 20.0f) < 1e-3) third_col = i % 25;
  EXPECT_GT(third_col, 12);
}

TEST(Preprocess, TopConventionAlignsThePrincipalAxisVertically) {
  // An elongated jet along the direction 30° in (η, φ).
  HandJet jet;
  std::mt19937 rng(4);
  std::normal_distribution<float> along(0, 0.25f), across(0, 0.05f);
  const float c = std::cos(0.52f), s = std::sin(0.52f);
  for (int i = 0; i < 60; ++i) {
    const float a = along(rng), b = across(rng);
    jet.constituents.push_back({1.0f + (i % 5), 0.3f + c * a - s * b, 1.0f + s * a + c * b});
  }
  jet.jet = {300, 0.3f, 1.0f, 100};
  PreprocessConfig config = PreprocessConfig::top_tagging();
  const std::vector<float> image = run(make_batch({jet}), config);
  const Moments m = moments(image.data(), 40, 40);
  EXPECT_NEAR(m.sum, 1.0, 1e-5);                        // unit sum
  EXPECT_GT(m.yy, 5 * m.xx);                            // long axis vertical
  EXPECT_LT(std::abs(m.xy - m.mx * m.my / m.sum), 0.1 * m.yy);  // and not tilted
  EXPECT_GE(m.right, m.left);                           // brightest quadrant: upper right
  EXPECT_GE(m.above, m.below);
  EXPECT_NEAR(m.mx, 0, 0.6);                            // centred on the centroid (within a pixel)
  EXPECT_NEAR(m.my, 0, 0.6);
}

// Rotating or translating a jet in (η, φ) before preprocessing changes nothing.
TEST(Preprocess, ImagesAreInvariantUnderRotationAndTranslation) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-0.4f, 0.4f), pt(0.5f, 30.0f);
  HandJet base;
  base.jet = {300, 0.1f, 0.2f, 80};
  for (int i = 0; i < 40; ++i) base.constituents.push_back({pt(rng), 0.1f + u(rng), 0.2f + u(rng)});
  base.subjets = {{150, 0.15f, 0.25f}, {60, 0.35f, -0.05f}, {20, -0.1f, 0.3f}};
  const auto transformed = [&](float angle, float shift_eta, float shift_phi) {
    HandJet j = base;
    const float c = std::cos(angle), s = std::sin(angle);
    const auto move = [&](std::array<float, 3>& p) {
      const float dx = p[1] - 0.1f, dy = p[2] - 0.2f;
      p[1] = 0.1f + c * dx - s * dy + shift_eta;
      p[2] = static_cast<float>(wrap_phi(0.2 + s * dx + c * dy + shift_phi));
    };
    for (auto& p : j.constituents) move(p);
    for (auto& p : j.subjets) move(p);
    j.jet[1] += shift_eta;
    j.jet[2] = static_cast<float>(wrap_phi(j.jet[2] + shift_phi));
    return j;
  };
  for (PreprocessConfig config : {PreprocessConfig::top_tagging(), PreprocessConfig::w_tagging()}) {
    config.rotation_space = RotationSpace::Constituents;
    config.pixels.intensity = Intensity::Pt;  // ET changes with η, pT does not
    const std::vector<float> reference = run(make_batch({base}), config);
    const std::vector<float> moved =
        run(make_batch({transformed(0.9f, 0.0f, 0.0f), transformed(0.0f, 0.6f, 2.95f), transformed(-2.2f, -0.3f, -3.0f)}),
            config);
    for (int k = 0; k < 3; ++k)
      EXPECT_TRUE(testing::all_close(std::vector<float>(moved.begin() + k * reference.size(),
                                                        moved.begin() + (k + 1) * reference.size()),
                                     reference, 1e-5, 1e-4))
          << "transformation " << k;
  }
}

TEST(Preprocess, NormalisationsAndChannels) {
  HandJet jet;
  jet.constituents = {{3, 0.0f, 0.0f}, {4, 0.1f, 0.0f}, {0.05f, 0.0f, 0.1f}, {6, 2.0f, 0.0f}};
  PreprocessConfig config = plain(9, 0.1f);
  config.pixels.channels = 2;
  config.pixels.threshold = 0.1f;
  config.normalisation = Normalisation::Sum;
  std::vector<float> image = run(make_batch({jet}), config);
  double intensity = 0, counts = 0;
  for (int i = 0; i < 81; ++i) intensity += image[i], counts += image[81 + i];
  EXPECT_NEAR(intensity, 1.0, 1e-6);
  EXPECT_NEAR(counts, 1.0, 1e-6);
  EXPECT_NEAR(image[4 * 9 + 4], 3.0 / 7.0, 1e-6);  // the 0.05 GeV constituent is below threshold, η=2 outside
  config.normalisation = Normalisation::L2;
  image = run(make_batch({jet}), config);
  EXPECT_NEAR(std::hypot(image[4 * 9 + 4], image[4 * 9 + 5]), 1.0, 1e-6);
  config.normalisation = Normalisation::None;
  image = run(make_batch({jet}), config);
  EXPECT_EQ(image[81 + 4 * 9 + 4], 1.0f);  // one constituent in the count channel
}

// Marks constituents charged (1) or neutral (0), `flags` per jet in order.
void set_charges(JetBatch& batch, const std::vector<std::vector<float>>& flags) {
  const int64_t m = batch.constituents.dim(1);
  batch.charged = Tensor::zeros({batch.size(), m});
  for (size_t j = 0; j < flags.size(); ++j)
    for (size_t k = 0; k < flags[j].size(); ++k) batch.charged.data()[static_cast<int64_t>(j) * m + static_cast<int64_t>(k)] = flags[j][k];
}

TEST(Preprocess, ChargedAndNeutralChannelsSplitTheIntensity) {
  HandJet jet;
  // Charged 3 GeV and neutral 4 GeV in the centre pixel, a neutral 2 GeV one
  // pixel right, a charged 0.05 GeV one below threshold.
  jet.constituents = {{3, 0.0f, 0.0f}, {4, 0.0f, 0.0f}, {2, 0.1f, 0.0f}, {0.05f, 0.0f, 0.1f}};
  JetBatch batch = make_batch({jet});
  set_charges(batch, {{1, 0, 0, 1}});
  PreprocessConfig config = plain(9, 0.1f);
  config.pixels.threshold = 0.1f;
  config.pixels.channels = 4;
  config.pixels.kinds[0] = ChannelKind::Charged;
  config.pixels.kinds[1] = ChannelKind::Neutral;
  config.pixels.kinds[2] = ChannelKind::Intensity;
  config.pixels.kinds[3] = ChannelKind::Count;
  const std::vector<float> image = run(batch, config);
  const int centre = 4 * 9 + 4, right = 4 * 9 + 5;
  EXPECT_EQ(image[centre], 3.0f);           // charged
  EXPECT_EQ(image[81 + centre], 4.0f);      // neutral
  EXPECT_EQ(image[81 + right], 2.0f);
  EXPECT_EQ(image[right], 0.0f);
  EXPECT_EQ(image[162 + centre], 7.0f);     // all
  EXPECT_EQ(image[243 + centre], 2.0f);     // two constituents
  for (int i = 0; i < 81; ++i) EXPECT_EQ(image[i] + image[81 + i], image[162 + i]) << "pixel " << i;
  // Each channel is normalised on its own.
  config.normalisation = Normalisation::Sum;
  const std::vector<float> unit = run(batch, config);
  EXPECT_NEAR(unit[centre], 1.0f, 1e-6);
  EXPECT_NEAR(unit[81 + centre], 4.0f / 6.0f, 1e-6);
  // Without charges the batch cannot make these channels; repeated kinds are refused.
  EXPECT_THROW(run(make_batch({jet}), config), Error);
  config.pixels.kinds[1] = ChannelKind::Charged;
  EXPECT_THROW(config.validate(), Error);
}

TEST(Preprocess, ZoomScalesTheSpreadByTheStatedFactor) {
  HandJet jet;
  std::mt19937 rng(2);
  std::normal_distribution<float> spread(0, 0.15f);
  for (int i = 0; i < 200; ++i) jet.constituents.push_back({1.0f, spread(rng), spread(rng)});
  jet.jet = {2 * 80.4f * 2.0f, 0, 0, 80};  // R·pT/(2m) = 2 with R = 1
  PreprocessConfig config = plain(65, 0.05f);
  const std::vector<float> flat = run(make_batch({jet}), config);
  config.frame.zoom = true;
  const std::vector<float> zoomed = run(make_batch({jet}), config);
  const Moments a = moments(flat.data(), 65, 65), b = moments(zoomed.data(), 65, 65);
  EXPECT_NEAR(std::sqrt((b.xx + b.yy) / b.sum) / std::sqrt((a.xx + a.yy) / a.sum), 2.0, 0.05);
  // Below R·pT/(2m) = 1 there is no zoom.
  jet.jet[0] = 100;
  EXPECT_EQ(run(make_batch({jet}), config), flat);
  // With zoom_min below 1 the zoom may shrink: R·pT/(2m) = 0.5 halves the spread.
  config.frame.zoom_min = 0.25f;
  jet.jet[0] = 80.4f;
  const std::vector<float> shrunk = run(make_batch({jet}), config);
  const Moments c = moments(shrunk.data(), 65, 65);
  EXPECT_NEAR(std::sqrt((c.xx + c.yy) / c.sum) / std::sqrt((a.xx + a.yy) / a.sum), 0.5, 0.03);
  EXPECT_NEAR(zoom_factor(config.frame, 80.4), 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(zoom_factor(config.frame, 10.0), 0.25);  // never below zoom_min
}

TEST(Preprocess, DegenerateJetsGiveFiniteImages) {
  HandJet one;
  one.constituents = {{50, 0.3f, -3.14f}};
  one.jet = {50, 0.3f, -3.14f, 0};
  HandJet coincident;
  coincident.constituents = {{20, 0.1f, 0.1f}, {30, 0.1f, 0.1f}, {10, 0.1f, 0.1f}};
  coincident.subjets = {{60, 0.1f, 0.1f}, {0.0f, 0.1f, 0.1f}};
  coincident.jet = {60, 0.1f, 0.1f, 0};
  HandJet across_pi;
  across_pi.constituents = {{20, 0.0f, 3.13f}, {20, 0.0f, -3.13f}, {5, 0.2f, 3.0f}};
  across_pi.subjets = {{25, 0.0f, 3.13f}, {20, 0.0f, -3.13f}, {5, 0.2f, 3.0f}};
  across_pi.jet = {45, 0.0f, 3.14159f, 5};
  HandJet empty;
  for (PreprocessConfig config : {PreprocessConfig::top_tagging(), PreprocessConfig::w_tagging()}) {
    for (RotationSpace space : {RotationSpace::Constituents, RotationSpace::Image}) {
      config.rotation_space = space;
      const std::vector<float> images = run(make_batch({one, coincident, across_pi, empty}), config);
      for (float v : images) ASSERT_TRUE(std::isfinite(v));
      const size_t size = images.size() / 4;
      for (int k = 0; k < 3; ++k) {
        double total = 0;
        for (size_t i = 0; i < size; ++i) total += images[k * size + i];
        EXPECT_GT(total, 0) << "jet " << k << " lost its intensity";
      }
      for (size_t i = 0; i < size; ++i) ASSERT_EQ(images[3 * size + i], 0.0f);  // the empty jet
      // Across ±π the two 20 GeV constituents sit 0.053 apart: neighbouring pixels, not opposite edges.
    }
  }
}

JetBatch generated_w_batch(int events) {
  std::vector<Jet> jets;
  JetConfig jet_config;
  for (auto& jet : leading_jets(generate_events(GeneratorConfig::defaults(Process::W), 3, 0, events), jet_config))
    if (jet) jets.push_back(*jet);
  return batch_from_jets(jets, ConstituentSet::Trimmed, 64, 4);
}

TEST(Preprocess, FusedPathEqualsTheSingleSteps) {
  const JetBatch batch = generated_w_batch(200);
  for (PreprocessConfig config : {PreprocessConfig::top_tagging(), PreprocessConfig::w_tagging()}) {
    config.rotation_space = RotationSpace::Constituents;
    Context ctx(Device::cpu(), 1);
    const std::vector<float> fused = run(batch, config);
    Tensor frames = Tensor::empty({batch.size(), kFrameFloats});
    compute_frames(ctx, batch, config.frame, config.pixels, frames);
    Tensor images = Tensor::empty({batch.size(), 1, config.pixels.height, config.pixels.width});
    pixelate(ctx, batch, frames, config.pixels, images);
    normalise_images(ctx, images, config.normalisation);
    EXPECT_EQ(images.to_vector(), fused);
  }
}

// The W-tagging study rotated and zoomed the pixelated image; jetimg can also
// do it on the constituents. Without zoom the two agree up to interpolation;
// the zoom magnifies pixels in image space and so smears the core.
struct SpaceComparison {
  double mean_image_cosine, per_jet_l1, centre_image_space, centre_constituent_space;
};
SpaceComparison compare_spaces(const JetBatch& batch, PreprocessConfig config) {
  config.normalisation = Normalisation::Sum;
  config.rotation_space = RotationSpace::Image;
  const std::vector<float> a = run(batch, config);
  config.rotation_space = RotationSpace::Constituents;
  const std::vector<float> b = run(batch, config);
  const size_t size = a.size() / static_cast<size_t>(batch.size()), n = static_cast<size_t>(batch.size());
  std::vector<double> mean_a(size), mean_b(size);
  double l1 = 0;
  for (size_t j = 0; j < n; ++j)
    for (size_t i = 0; i < size; ++i) {
      mean_a[i] += a[j * size + i] / n, mean_b[i] += b[j * size + i] / n;
      l1 += std::abs(a[j * size + i] - b[j * size + i]) / n;
    }
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < size; ++i) dot += mean_a[i] * mean_b[i], na += mean_a[i] * mean_a[i], nb += mean_b[i] * mean_b[i];
  return {dot / std::sqrt(na * nb), l1, mean_a[size / 2], mean_b[size / 2]};
}

TEST(Preprocess, ImageSpaceAndConstituentSpaceDifferByInterpolationSmearing) {
  const JetBatch batch = generated_w_batch(300);
  PreprocessConfig config = PreprocessConfig::w_tagging();
  config.frame.zoom = false;
  const SpaceComparison rotate = compare_spaces(batch, config);
  config.frame.zoom = true;
  const SpaceComparison zoom = compare_spaces(batch, config);
  for (const auto& [what, c] : {std::pair{"rotate+flip", rotate}, std::pair{"rotate+flip+zoom", zoom}})
    std::printf("  W images, image space vs constituent space, %s: mean-image cosine %.4f, per-jet L1 %.3f (of 2), "
                "centre pixel of the mean image %.3f vs %.3f\n",
                what, c.mean_image_cosine, c.per_jet_l1, c.centre_image_space, c.centre_constituent_space);
  EXPECT_GT(rotate.mean_image_cosine, 0.99);
  EXPECT_GT(rotate.per_jet_l1, 0.05);  // interpolation does change single images
  // Zooming a pixelated image spreads the central deposit over ~zoom² pixels.
  EXPECT_LT(zoom.centre_image_space, 0.6 * zoom.centre_constituent_space);
  EXPECT_GT(zoom.mean_image_cosine, 0.7);
}

// A batch of no jets, and the tensors of a 25x25 image step for it.
struct EmptyBatchStep {
  JetBatch batch = make_batch({});
  PreprocessConfig config = PreprocessConfig::w_tagging();
  Tensor frames, images, small;
  explicit EmptyBatchStep(Device device) {
    batch = batch.to(device);
    frames = Tensor::empty({0, kFrameFloats}, device);
    images = Tensor::empty({0, 1, 25, 25}, device);
    small = Tensor::empty({0, 1, 15, 15}, device);
  }
  // Every single step and both paths of preprocess on `ctx`.
  void run_all(Context& ctx) {
    compute_frames(ctx, batch, config.frame, config.pixels, frames);
    pixelate(ctx, batch, frames, config.pixels, images);
    PixelSettings out = config.pixels;
    out.height = out.width = 15;
    resample_images(ctx, images, frames, out, small);
    normalise_images(ctx, small, Normalisation::L2);
    for (RotationSpace space : {RotationSpace::Constituents, RotationSpace::Image}) {
      config.rotation_space = space;
      preprocess(ctx, batch, config, images);
    }
  }
};

TEST(Preprocess, EmptyBatchRunsEveryStep) {
  Context ctx(Device::cpu(), 1);
  EmptyBatchStep step(Device::cpu());
  EXPECT_NO_THROW(step.run_all(ctx));
}

// Every tensor an op writes or reads must be on the context's device: a CUDA
// kernel handed a host pointer (or the CPU loop a device one) would go through
// it. Without a GPU the only CUDA tensors are empty ones (no memory to
// allocate), so an empty batch carries the check here; the shape checks come
// after it, so it is the device that is refused.
TEST(Preprocess, TensorsOnAnotherDeviceAreRefusedByName) {
  Context ctx(Device::cpu(), 1);
  const Device other = Device::cuda(0);
  const auto expect_refused = [](const std::function<void()>& op, const std::string& what) {
    const std::string message = testing::error_message_of(op);
    EXPECT_NE(message.find(what), std::string::npos) << "expected \"" << what << "\" in \"" << message << "\"";
  };
  {
    EmptyBatchStep step(Device::cpu());
    step.images = Tensor::empty({0, 1, 25, 25}, other);
    expect_refused([&] { preprocess(ctx, step.batch, step.config, step.images); },
                   "preprocess: tensor 'images' is on cuda:0 but the context runs on cpu");
    expect_refused([&] { pixelate(ctx, step.batch, step.frames, step.config.pixels, step.images); },
                   "pixelate: tensor 'images' is on cuda:0");
  }
  {
    EmptyBatchStep step(Device::cpu());
    step.frames = Tensor::empty({0, kFrameFloats}, other);
    expect_refused([&] { pixelate(ctx, step.batch, step.frames, step.config.pixels, step.images); },
                   "pixelate: tensor 'frames' is on cuda:0");
    expect_refused([&] { compute_frames(ctx, step.batch, step.config.frame, step.config.pixels, step.frames); },
                   "compute_frames: tensor 'frames' is on cuda:0");
    PixelSettings out = step.config.pixels;
    out.height = out.width = 15;
    expect_refused([&] { resample_images(ctx, step.images, step.frames, out, step.small); },
                   "resample_images: tensor 'frames' is on cuda:0");
  }
  {
    EmptyBatchStep step(Device::cpu());
    step.small = Tensor::empty({0, 1, 15, 15}, other);
    PixelSettings out = step.config.pixels;
    out.height = out.width = 15;
    expect_refused([&] { resample_images(ctx, step.images, step.frames, out, step.small); },
                   "resample_images: tensor 'out' is on cuda:0");
    expect_refused([&] { resample_images(ctx, step.small, step.frames, out, step.images); },
                   "resample_images: tensor 'in' is on cuda:0");
    expect_refused([&] { normalise_images(ctx, step.small, Normalisation::L2); },
                   "normalise_images: tensor 'images' is on cuda:0");
  }
  {
    EmptyBatchStep step(Device::cpu());
    Tensor missing;
    expect_refused([&] { preprocess(ctx, step.batch, step.config, missing); }, "preprocess: tensor 'images' is empty");
  }
}

// --- CUDA against the CPU -----------------------------------------------------
template <typename D>
class PreprocessDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(PreprocessDevice, testing::Devices, testing::DeviceNames);

JetBatch random_batch(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.6f, 0.6f), pt(0.05f, 40.0f), phi0(-3.14f, 3.14f);
  std::uniform_int_distribution<int> count(0, 48), subjets(0, 4);
  std::vector<HandJet> jets(static_cast<size_t>(n));
  for (HandJet& j : jets) {
    const float eta = u(rng) * 2, phi = phi0(rng);
    j.jet = {std::uniform_real_distribution<float>(150, 700)(rng), eta, phi, 80};
    const int k = count(rng);
    for (int i = 0; i < k; ++i)
      j.constituents.push_back({pt(rng), eta + u(rng), static_cast<float>(wrap_phi(phi + u(rng)))});
    const int s = subjets(rng);
    for (int i = 0; i < s; ++i) j.subjets.push_back({pt(rng) * 5, eta + u(rng) / 2, static_cast<float>(wrap_phi(phi + u(rng) / 2))});
  }
  return make_batch(jets, 48, 4);
}

TYPED_TEST(PreprocessDevice, MatchesCpuOnRandomBatches) {
  const JetBatch batch = random_batch(777, 99);
  for (PreprocessConfig config : {PreprocessConfig::top_tagging(), PreprocessConfig::w_tagging()}) {
    for (RotationSpace space : {RotationSpace::Constituents, RotationSpace::Image}) {
      config.rotation_space = space;
      config.pixels.channels = 2;
      const std::vector<float> cpu = run(batch, config);
      const std::vector<float> device = run(batch, config, this->device());
      EXPECT_TRUE(testing::all_close(device, cpu, 1e-6, 1e-5));
      if (space == RotationSpace::Constituents && config.normalisation == Normalisation::Sum) {
        // The count channel (before normalisation: integers) decides pixel assignment exactly.
        PreprocessConfig counts = config;
        counts.normalisation = Normalisation::None;
        const std::vector<float> a = run(batch, counts), b = run(batch, counts, this->device());
        const size_t plane = size_t(counts.pixels.height) * counts.pixels.width;
        for (size_t j = 0; j < a.size() / (2 * plane); ++j)
          for (size_t i = 0; i < plane; ++i)
            ASSERT_EQ(a[(2 * j + 1) * plane + i], b[(2 * j + 1) * plane + i]) << "jet " << j << " pixel " << i;
      }
    }
  }
}

TYPED_TEST(PreprocessDevice, ChargedChannelsMatchCpu) {
  JetBatch batch = random_batch(500, 17);
  std::mt19937 rng(4);
  std::vector<std::vector<float>> flags(static_cast<size_t>(batch.size()), std::vector<float>(48));
  for (auto& jet : flags)
    for (float& f : jet) f = static_cast<float>(rng() % 2);
  set_charges(batch, flags);
  PreprocessConfig config = PreprocessConfig::top_tagging();
  config.pixels.channels = 3;
  config.pixels.kinds[0] = ChannelKind::Charged;
  config.pixels.kinds[1] = ChannelKind::Neutral;
  config.pixels.kinds[2] = ChannelKind::Count;
  for (RotationSpace space : {RotationSpace::Constituents, RotationSpace::Image}) {
    config.rotation_space = space;
    EXPECT_TRUE(testing::all_close(run(batch, config, this->device()), run(batch, config), 1e-6, 1e-5));
  }
  // Streamed from pinned host memory, the charges travel with the chunks.
  config.rotation_space = RotationSpace::Constituents;
  const JetBatch host = batch.to_pinned();
  Tensor images = Tensor::empty_pinned({batch.size(), 3, 40, 40});
  Context ctx(this->device(), 1);
  preprocess_from_host(ctx, host, config, images, 64);
  EXPECT_TRUE(testing::all_close(images.to_vector(), run(batch, config), 1e-6, 1e-5));
}

TYPED_TEST(PreprocessDevice, StreamingFromPinnedHostMemoryMatchesCpu) {
  const JetBatch batch = random_batch(777, 21);
  PreprocessConfig config = PreprocessConfig::top_tagging();
  const std::vector<float> reference = run(batch, config);
  // Pinned copies of the batch and of the output, streamed in chunks of 100.
  const JetBatch host = batch.to_pinned();
  Tensor images = Tensor::empty_pinned({batch.size(), 1, 40, 40});
  Context ctx(this->device(), 1);
  preprocess_from_host(ctx, host, config, images, 100);
  EXPECT_TRUE(testing::all_close(images.to_vector(), reference, 1e-6, 1e-5));
  config.rotation_space = RotationSpace::Image;
  EXPECT_THROW(preprocess_from_host(ctx, host, config, images, 100), Error);
}

TYPED_TEST(PreprocessDevice, SingleStepsMatchCpu) {
  const JetBatch batch = random_batch(300, 5);
  const PreprocessConfig config = PreprocessConfig::w_tagging();
  Context cpu(Device::cpu(), 1), ctx(this->device(), 1);
  const JetBatch on_device = batch.to(this->device());
  Tensor frames_cpu = Tensor::empty({batch.size(), kFrameFloats});
  Tensor frames = Tensor::empty({batch.size(), kFrameFloats}, this->device());
  compute_frames(cpu, batch, config.frame, config.pixels, frames_cpu);
  compute_frames(ctx, on_device, config.frame, config.pixels, frames);
  EXPECT_TRUE(testing::all_close(frames, frames_cpu, 1e-6, 1e-6));
  Tensor images_cpu = Tensor::empty({batch.size(), 1, 25, 25}), images = Tensor::empty({batch.size(), 1, 25, 25}, this->device());
  pixelate(cpu, batch, frames_cpu, config.pixels, images_cpu);
  pixelate(ctx, on_device, frames_cpu.to(this->device()), config.pixels, images);
  EXPECT_TRUE(testing::all_close(images, images_cpu, 1e-5, 1e-5));
  PixelSettings out = config.pixels;
  out.height = out.width = 15;
  Tensor small_cpu = Tensor::empty({batch.size(), 1, 15, 15}), small = Tensor::empty({batch.size(), 1, 15, 15}, this->device());
  resample_images(cpu, images_cpu, frames_cpu, out, small_cpu);
  resample_images(ctx, images_cpu.to(this->device()), frames_cpu.to(this->device()), out, small);
  EXPECT_TRUE(testing::all_close(small, small_cpu, 1e-5, 1e-5));
  normalise_images(cpu, small_cpu, Normalisation::L2);
  normalise_images(ctx, small, Normalisation::L2);
  EXPECT_TRUE(testing::all_close(small, small_cpu, 1e-6, 1e-5));
}

// An empty batch launches nothing on the GPU (a grid of 0 blocks is an invalid
// configuration) and returns as the CPU does.
TYPED_TEST(PreprocessDevice, EmptyBatchRunsEveryStep) {
  Context ctx(this->device(), 1);
  EmptyBatchStep step(this->device());
  EXPECT_NO_THROW(step.run_all(ctx));
  ctx.synchronize();
  const JetBatch host = make_batch({}).to_pinned();
  Tensor images = Tensor::empty_pinned({0, 1, 40, 40});
  EXPECT_NO_THROW(preprocess_from_host(ctx, host, PreprocessConfig::top_tagging(), images, 16));
}

TEST(PreprocessMath, APointWithANaNCoordinateFallsInNoPixel) {
  // A NaN passes no comparison, so a bounds test written as "outside if x < 0
  // || ..." let it through to an int conversion (undefined; INT_MIN in practice).
  const PixelSettings p;  // 25 x 25, 0.1 x 0.1
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(pixel_of(p, nan, 0.0), -1);
  EXPECT_EQ(pixel_of(p, 0.0, nan), -1);
  EXPECT_EQ(pixel_of(p, inf, 0.0), -1);
  EXPECT_EQ(pixel_of(p, 0.0, -inf), -1);
  EXPECT_EQ(pixel_of(p, 0.0, 0.0), 12 * 25 + 12);  // the centre pixel
  EXPECT_EQ(pixel_of(p, -1.25, 1.24), 0);          // the top-left corner pixel
}

}  // namespace
}  // namespace jetimg
