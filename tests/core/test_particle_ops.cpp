// Particle-cloud ops: constituent features against formulas written here in
// double precision, pooling by hand, central differences for the pooling
// gradients, and CUDA against the CPU.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/ops.h"
#include "core/particle_ops.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

constexpr double kPi = 3.14159265358979323846;

// (E, px, py, pz) of a massless particle from pT, η, φ.
std::vector<float> massless(double pt, double eta, double phi) {
  return {static_cast<float>(pt * std::cosh(eta)), static_cast<float>(pt * std::cos(phi)),
          static_cast<float>(pt * std::sin(phi)), static_cast<float>(pt * std::sinh(eta))};
}

// Two jets stored with room for S = 4 constituents: jet 0 has three, jet 1 one.
struct TwoJets {
  std::vector<float> constituents, counts{3, 1}, jets, pdg, charge;
  TwoJets() {
    const std::vector<std::vector<float>> c0{massless(300, 0.5, 3.1), massless(200, 0.4, -3.1),
                                             massless(50, 0.7, 3.0)};
    const std::vector<std::vector<float>> c1{massless(400, -1.2, 0.2)};
    for (int j = 0; j < 4; ++j) append(j < 3 ? c0[static_cast<size_t>(j)] : std::vector<float>(4, 0.0f));
    for (int j = 0; j < 4; ++j) append(j < 1 ? c1[0] : std::vector<float>(4, 0.0f));
    // The jets: the sums of their constituents.
    for (const auto* set : {&c0, &c1}) {
      std::vector<float> sum(4, 0.0f);
      for (const auto& c : *set)
        for (int k = 0; k < 4; ++k) sum[static_cast<size_t>(k)] += c[static_cast<size_t>(k)];
      jets.insert(jets.end(), sum.begin(), sum.end());
    }
    pdg = {211, 22, -11, 0, 130, 0, 0, 0};
    charge = {1, 0, 1, 0, 0, 0, 0, 0};
  }
  void append(const std::vector<float>& v) { constituents.insert(constituents.end(), v.begin(), v.end()); }
  ConstituentInputs inputs(Device device) const {
    ConstituentInputs in;
    in.constituents = Tensor::from_vector(constituents, {2, 4, 4}).to(device);
    in.counts = Tensor::from_vector(counts, {2}).to(device);
    in.jets = Tensor::from_vector(jets, {2, 4}).to(device);
    in.pdg = Tensor::from_vector(pdg, {2, 4}).to(device);
    in.charge = Tensor::from_vector(charge, {2, 4}).to(device);
    return in;
  }
};

struct Kinematics {
  double pt, eta, phi, e;
};
Kinematics kinematics(const float* v) {
  const double px = v[1], py = v[2], pz = v[3];
  const double pt = std::hypot(px, py), p = std::sqrt(pt * pt + pz * pz);
  return {pt, 0.5 * std::log((p + pz) / (p - pz)), std::atan2(py, px), static_cast<double>(v[0])};
}

TEST(ConstituentFeatures, MatchTheFormulasAndPadToTheAskedLength) {
  Context ctx(Device::cpu(), 0);
  const TwoJets data;
  ConstituentBatch out;
  constituent_features(ctx, data.inputs(Device::cpu()), 5, kIdentityFeatures, out);
  ASSERT_EQ(out.features.shape(), (Shape{2, 5, kIdentityFeatures}));
  EXPECT_EQ(out.count.to_vector_as<int32_t>(), (std::vector<int32_t>{3, 1}));
  EXPECT_EQ(out.mask.to_vector_as<uint8_t>(), (std::vector<uint8_t>{1, 1, 1, 0, 0, 1, 0, 0, 0, 0}));
  const std::vector<float> f = out.features.to_vector(), coords = out.coords.to_vector(), frac = out.pt_frac.to_vector();
  // One-hot classes: π+ charged hadron, γ photon, e+ electron; K0L neutral hadron.
  const int expected_class[2][3] = {{0, 2, 3}, {1, -1, -1}};
  for (int i = 0; i < 2; ++i) {
    const Kinematics jet = kinematics(&data.jets[static_cast<size_t>(i * 4)]);
    double pt_sum = 0;
    for (int j = 0; j < data.counts[static_cast<size_t>(i)]; ++j)
      pt_sum += kinematics(&data.constituents[static_cast<size_t>((i * 4 + j) * 4)]).pt;
    for (int j = 0; j < 5; ++j) {
      const float* got = &f[static_cast<size_t>((i * 5 + j) * kIdentityFeatures)];
      if (j >= data.counts[static_cast<size_t>(i)]) {
        for (int k = 0; k < kIdentityFeatures; ++k) EXPECT_EQ(got[k], 0.0f) << i << " " << j << " " << k;
        EXPECT_EQ(frac[static_cast<size_t>(i * 5 + j)], 0.0f);
        continue;
      }
      const Kinematics c = kinematics(&data.constituents[static_cast<size_t>((i * 4 + j) * 4)]);
      double dphi = c.phi - jet.phi;
      while (dphi > kPi) dphi -= 2 * kPi;
      while (dphi <= -kPi) dphi += 2 * kPi;
      const double deta = c.eta - jet.eta;
      const double expected[7] = {deta, dphi, std::log(c.pt), std::log(c.e), std::log(c.pt / jet.pt),
                                  std::log(c.e / jet.e), std::hypot(deta, dphi)};
      for (int k = 0; k < 7; ++k) EXPECT_NEAR(got[k], expected[k], 2e-4 + 2e-5 * std::abs(expected[k])) << i << j << k;
      EXPECT_EQ(got[7], data.charge[static_cast<size_t>(i * 4 + j)]);
      for (int k = 0; k < 5; ++k) EXPECT_EQ(got[8 + k], k == expected_class[i][j] ? 1.0f : 0.0f) << i << j << k;
      EXPECT_NEAR(coords[static_cast<size_t>((i * 5 + j) * 2)], deta, 2e-4);
      EXPECT_NEAR(coords[static_cast<size_t>((i * 5 + j) * 2 + 1)], dphi, 2e-4);
      EXPECT_NEAR(frac[static_cast<size_t>(i * 5 + j)], c.pt / pt_sum, 1e-6);
    }
  }
  // Across φ = ±π the difference wraps: constituents 0 and 1 of jet 0 sit on either side.
  EXPECT_LT(std::abs(f[1]), 0.2f);
  EXPECT_LT(std::abs(f[kIdentityFeatures + 1]), 0.2f);
}

TEST(ConstituentFeatures, KinematicFeaturesNeedNoIdentitiesAndShortPaddingCuts) {
  Context ctx(Device::cpu(), 0);
  const TwoJets data;
  ConstituentInputs in = data.inputs(Device::cpu());
  ConstituentBatch full, kinematic;
  constituent_features(ctx, in, 4, kIdentityFeatures, full);
  in.pdg = in.charge = Tensor();
  constituent_features(ctx, in, 2, kKinematicFeatures, kinematic);
  // Asked for fewer particles than jet 0 has, the batch keeps the leading two.
  EXPECT_EQ(kinematic.count.to_vector_as<int32_t>(), (std::vector<int32_t>{2, 1}));
  const std::vector<float> a = full.features.to_vector(), b = kinematic.features.to_vector();
  for (int j = 0; j < 2; ++j)
    for (int k = 0; k < kKinematicFeatures; ++k)
      EXPECT_EQ(b[static_cast<size_t>(j * kKinematicFeatures + k)], a[static_cast<size_t>(j * kIdentityFeatures + k)]);
}

TEST(ConstituentFeatures, RefuseBadInputsByName) {
  Context ctx(Device::cpu(), 0);
  const TwoJets data;
  ConstituentBatch out;
  ConstituentInputs in = data.inputs(Device::cpu());
  const auto message = [&](const ConstituentInputs& bad, int64_t m, int features) {
    return testing::error_message_of([&] { constituent_features(ctx, bad, m, features, out); });
  };
  ConstituentInputs no_ids = in;
  no_ids.pdg = Tensor();
  EXPECT_NE(message(no_ids, 4, kIdentityFeatures).find("'pdg' is empty"), std::string::npos);
  EXPECT_NE(message(in, 4, 9).find("9 features asked for"), std::string::npos);
  EXPECT_NE(message(in, 0, kKinematicFeatures).find("0 particles per jet"), std::string::npos);
  ConstituentInputs wrong = in;
  wrong.constituents = Tensor::zeros({2, 4, 3});
  EXPECT_NE(message(wrong, 4, kKinematicFeatures).find("(N, S, 4)"), std::string::npos);
  wrong = in;
  wrong.counts = Tensor::zeros({3});
  EXPECT_NE(message(wrong, 4, kKinematicFeatures).find("2 jets but counts"), std::string::npos);
  wrong = in;
  wrong.counts = Tensor::from_vector(std::vector<int32_t>{3, 1}, {2});
  EXPECT_NE(message(wrong, 4, kKinematicFeatures).find("must be float32"), std::string::npos);
}

// x (2 jets, 3 particles, 2 features), jet 1 has two real particles.
struct PoolCase {
  Tensor x = Tensor::from_vector({1, -2, 3, 4, 5, -6,  /* jet 0 */ 7, 8, -9, 10, 100, 100}, {2, 3, 2});
  Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1, 1, 0}, {2, 3});
  Tensor weights = Tensor::from_vector({0.5f, 0.25f, 0.25f, 0.75f, 0.25f, 9.0f}, {2, 3});
};

TEST(ParticlePool, SumMeanAndMaxByHand) {
  Context ctx(Device::cpu(), 0);
  const PoolCase c;
  Tensor y, winner;
  particle_pool_forward(ctx, PoolMode::Sum, c.x, c.mask, Tensor(), y, winner);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{9, -4, -2, 18}));  // the padded (100, 100) is left out
  particle_pool_forward(ctx, PoolMode::Sum, c.x, c.mask, c.weights, y, winner);
  EXPECT_TRUE(testing::all_close(y.to_vector(), {0.5f + 0.75f + 1.25f, -1 + 1 - 1.5f, 5.25f - 2.25f, 6 + 2.5f},
                                 1e-6, 1e-6));
  particle_pool_forward(ctx, PoolMode::Mean, c.x, c.mask, Tensor(), y, winner);
  EXPECT_TRUE(testing::all_close(y.to_vector(), {3, -4.0f / 3, -1, 9}, 1e-6, 1e-6));
  particle_pool_forward(ctx, PoolMode::Max, c.x, c.mask, Tensor(), y, winner);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{5, 4, 7, 10}));
  EXPECT_EQ(winner.to_vector_as<int32_t>(), (std::vector<int32_t>{2, 1, 0, 1}));
  // The backward routes dy: sum weighted, mean over the real count, max to the winner.
  const Tensor dy = Tensor::from_vector({1, 2, 3, 4}, {2, 2});
  Tensor dx;
  particle_pool_backward(ctx, PoolMode::Sum, dy, c.mask, c.weights, Tensor(), dx);
  EXPECT_TRUE(testing::all_close(dx.to_vector(), {0.5f, 1, 0.25f, 0.5f, 0.25f, 0.5f, 2.25f, 3, 0.75f, 1, 0, 0},
                                 1e-6, 1e-6));
  particle_pool_backward(ctx, PoolMode::Mean, dy, c.mask, Tensor(), Tensor(), dx);
  EXPECT_TRUE(testing::all_close(dx.to_vector(), {1.0f / 3, 2.0f / 3, 1.0f / 3, 2.0f / 3, 1.0f / 3, 2.0f / 3, 1.5f,
                                                  2, 1.5f, 2, 0, 0},
                                 1e-6, 1e-6));
  particle_pool_backward(ctx, PoolMode::Max, dy, c.mask, Tensor(), winner, dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 0, 0, 2, 1, 0, 3, 0, 0, 4, 0, 0}));
}

TEST(ParticlePool, AJetWithoutParticlesPoolsToZero) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({3, -1}, {1, 2, 1});
  const Tensor mask = Tensor::from_vector(std::vector<uint8_t>{0, 0}, {1, 2});
  Tensor y, winner, dx;
  for (PoolMode mode : {PoolMode::Sum, PoolMode::Mean, PoolMode::Max}) {
    particle_pool_forward(ctx, mode, x, mask, Tensor(), y, winner);
    EXPECT_EQ(y.to_vector(), std::vector<float>{0}) << static_cast<int>(mode);
    particle_pool_backward(ctx, mode, Tensor::from_vector({1}, {1, 1}), mask, Tensor(), winner, dx);
    EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 0}));
  }
}

TEST(ParticlePool, RefusesMasksOfTheWrongKind) {
  Context ctx(Device::cpu(), 0);
  const PoolCase c;
  Tensor y, winner;
  const auto message = [&](const Tensor& x, const Tensor& mask, const Tensor& w) {
    return testing::error_message_of([&] { particle_pool_forward(ctx, PoolMode::Sum, x, mask, w, y, winner); });
  };
  EXPECT_NE(message(c.x, Tensor::zeros({2, 3}), Tensor()).find("must be uint8"), std::string::npos);
  EXPECT_NE(message(c.x, Tensor::from_vector(std::vector<uint8_t>{1, 1}, {1, 2}), Tensor()).find("(N, M)"),
            std::string::npos);
  EXPECT_NE(message(c.x, c.mask, Tensor::zeros({2, 2})).find("weights have shape"), std::string::npos);
  EXPECT_NE(message(Tensor::zeros({6}), c.mask, Tensor()).find("(N, M, F)"), std::string::npos);
}

TEST(ParticlePool, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 3);
  PoolCase c;
  // Well separated values, so that a step of h cannot change Max's winner.
  Tensor x = Tensor::from_vector({0.1f, 2.0f, 1.3f, -0.7f, -1.1f, 0.9f, 2.2f, 0.4f, -0.5f, 1.6f, 0.0f, 0.0f}, {2, 3, 2});
  const Tensor r = Tensor::from_vector({0.3f, -1.2f, 0.8f, 0.5f}, {2, 2});
  for (PoolMode mode : {PoolMode::Sum, PoolMode::Mean, PoolMode::Max})
    for (bool weighted : {false, true}) {
      if (mode == PoolMode::Max && weighted) continue;
      const Tensor w = weighted ? c.weights : Tensor();
      Tensor y, winner, dx;
      particle_pool_forward(ctx, mode, x, c.mask, w, y, winner);
      particle_pool_backward(ctx, mode, r, c.mask, w, winner, dx);
      const auto loss = [&] {
        Tensor yy, ww;
        particle_pool_forward(ctx, mode, x, c.mask, w, yy, ww);
        return testing::project(yy, r);
      };
      const testing::GradCheck check = testing::directional_check(loss, x, dx, 17);
      EXPECT_LT(check.relative_error(), 1e-3) << static_cast<int>(mode) << " " << weighted << ": " << check.str();
    }
}

template <typename DeviceT>
class ParticleOpsDevice : public testing::DeviceTest<DeviceT> {};
TYPED_TEST_SUITE(ParticleOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ParticleOpsDevice, FeaturesMatchTheCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 0), dev(device, 0);
  // Many random jets of varied length, padded to S = 40; the batch pads to 33.
  const int64_t n = 257, s = 40;
  Tensor constituents = Tensor::zeros({n, s, 4}), counts = Tensor::empty({n}), jets = Tensor::zeros({n, 4});
  Tensor pdg = Tensor::zeros({n, s}), charge = Tensor::zeros({n, s});
  Context rng(Device::cpu(), 5);
  Tensor u = Tensor::empty({n, s, 3});
  random_uniform(rng, u, 0.0f, 1.0f);
  const int codes[6] = {211, -211, 22, 130, 11, -13};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = 1 + (i * 7) % 33;
    counts.data()[i] = static_cast<float>(c);
    for (int64_t j = 0; j < c; ++j) {
      const float* r = u.data() + (i * s + j) * 3;
      const std::vector<float> v = massless(1 + 100 * r[0], 2 * r[1] - 1, 6.28 * r[2] - 3.14);
      for (int k = 0; k < 4; ++k) {
        constituents.data()[(i * s + j) * 4 + k] = v[static_cast<size_t>(k)];
        jets.data()[i * 4 + k] += v[static_cast<size_t>(k)];
      }
      const int code = codes[(i + j) % 6];
      pdg.data()[i * s + j] = static_cast<float>(code);
      charge.data()[i * s + j] = code == 22 || code == 130 ? 0.0f : (code > 0 ? 1.0f : -1.0f);
    }
  }
  ConstituentInputs in{constituents, counts, jets, pdg, charge};
  ConstituentInputs on{constituents.to(device), counts.to(device), jets.to(device), pdg.to(device), charge.to(device)};
  for (int features : {kKinematicFeatures, kIdentityFeatures}) {
    ConstituentBatch ref, got;
    constituent_features(cpu, in, 33, features, ref);
    constituent_features(dev, on, 33, features, got);
    EXPECT_TRUE(testing::all_close(got.features, ref.features, 1e-5, 1e-5)) << features;
    EXPECT_TRUE(testing::all_close(got.coords, ref.coords, 1e-5, 1e-5));
    EXPECT_TRUE(testing::all_close(got.pt_frac, ref.pt_frac, 1e-7, 1e-5));
    EXPECT_EQ(got.mask.to_vector_as<uint8_t>(), ref.mask.to_vector_as<uint8_t>());
    EXPECT_EQ(got.count.to_vector_as<int32_t>(), ref.count.to_vector_as<int32_t>());
  }
}

TYPED_TEST(ParticleOpsDevice, PoolingMatchesTheCpuBothWays) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 0), dev(device, 0), rng(Device::cpu(), 9);
  const int64_t n = 131, m = 37, f = 70;
  Tensor x = Tensor::empty({n, m, f}), w = Tensor::empty({n, m}), dy = Tensor::empty({n, f});
  random_normal(rng, x, 0.0f, 1.0f);
  random_uniform(rng, w, 0.0f, 1.0f);
  random_normal(rng, dy, 0.0f, 1.0f);
  std::vector<uint8_t> mask_values(static_cast<size_t>(n * m));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) mask_values[static_cast<size_t>(i * m + j)] = j < (i * 5) % (m + 1) ? 1 : 0;
  const Tensor mask = Tensor::from_vector(mask_values, {n, m});
  for (PoolMode mode : {PoolMode::Sum, PoolMode::Mean, PoolMode::Max}) {
    const Tensor weights = mode == PoolMode::Sum ? w : Tensor();
    Tensor y_ref, win_ref, dx_ref, y, win, dx;
    particle_pool_forward(cpu, mode, x, mask, weights, y_ref, win_ref);
    particle_pool_backward(cpu, mode, dy, mask, weights, win_ref, dx_ref);
    const Tensor weights_on = weights.defined() ? weights.to(device) : Tensor();
    const Tensor mask_on = mask.to(device);
    particle_pool_forward(dev, mode, x.to(device), mask_on, weights_on, y, win);
    particle_pool_backward(dev, mode, dy.to(device), mask_on, weights_on, win, dx);
    EXPECT_TRUE(testing::all_close(y, y_ref, 1e-5, 1e-5)) << static_cast<int>(mode);
    EXPECT_TRUE(testing::all_close(dx, dx_ref, 1e-6, 1e-6)) << static_cast<int>(mode);
    if (mode == PoolMode::Max) EXPECT_EQ(win.to_vector_as<int32_t>(), win_ref.to_vector_as<int32_t>());
  }
}

}  // namespace
}  // namespace jetimg

namespace jetimg {
namespace {

TEST(Knn, NearestRealNeighboursWithTiesByIndexAndSelfWhereTooFew) {
  Context ctx(Device::cpu(), 0);
  // Jet 0: five points on a line at 0, 1, 3, 4 and (padded) 1.5; jet 1: one real point.
  const Tensor points = Tensor::from_vector({0, 0, 1, 0, 3, 0, 4, 0, 1.5f, 0,  /* jet 1 */ 7, 7, 0, 0, 0, 0, 0, 0, 0, 0},
                                            {2, 5, 2});
  const Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1, 0, 1, 0, 0, 0, 0}, {2, 5});
  Tensor idx;
  knn(ctx, points, mask, 2, idx);
  ASSERT_EQ(idx.shape(), (Shape{2, 5, 2}));
  // Point 0: 1 (d 1), 2 (d 9); point 1: 0 (d 1), 2 (d 4); point 2 (at 3): 3 (d 1) then 1 (d 4);
  // point 3: 2, 1; the padded point 4 and jet 1's points get themselves.
  EXPECT_EQ(idx.to_vector_as<int32_t>(), (std::vector<int32_t>{1, 2, 0, 2, 3, 1, 2, 1, 4, 4,  // jet 0
                                                                0, 0, 1, 1, 2, 2, 3, 3, 4, 4}));
  // Equal distances: the lower index first.
  const Tensor square = Tensor::from_vector({0, 0, 1, 0, -1, 0, 0, 1}, {1, 4, 2});
  knn(ctx, square, Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1}, {1, 4}), 3, idx);
  const std::vector<int32_t> square_idx = idx.to_vector_as<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(square_idx.begin(), square_idx.begin() + 3), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_NE(testing::error_message_of([&] { knn(ctx, points, mask, 65, idx); }).find("k must be in [1, 64]"),
            std::string::npos);
}

TEST(EdgeFeatures, ByHandAndGradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 0);
  Tensor x = Tensor::from_vector({1, 2, 10, 20, 100, 200}, {1, 3, 2});
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{1, 2, 0, 0, 1, 1}, {1, 3, 2});
  Tensor edges;
  edge_features_forward(ctx, x, idx, edges);
  ASSERT_EQ(edges.shape(), (Shape{1, 3, 2, 4}));
  EXPECT_EQ(edges.to_vector(), (std::vector<float>{1, 2, 9, 18, 1, 2, 99, 198,  // particle 0: neighbours 1, 2
                                                   10, 20, -9, -18, 10, 20, -9, -18,  // particle 1: 0, 0
                                                   100, 200, -90, -180, 100, 200, -90, -180}));
  Context rng(Device::cpu(), 4);
  x = Tensor::empty({2, 5, 3});
  random_normal(rng, x, 0.0f, 1.0f);
  Tensor points = Tensor::empty({2, 5, 2}), neighbours;
  random_normal(rng, points, 0.0f, 1.0f);
  knn(ctx, points, Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {2, 5}), 3, neighbours);
  Tensor r = Tensor::empty({2, 5, 3, 6}), dx;
  random_normal(rng, r, 0.0f, 1.0f);
  edge_features_backward(ctx, r, neighbours, dx);
  const auto loss = [&] {
    Tensor e;
    edge_features_forward(ctx, x, neighbours, e);
    return testing::project(e, r);
  };
  const testing::GradCheck check = testing::directional_check(loss, x, dx, 5);
  EXPECT_LT(check.relative_error(), 1e-3) << check.str();
}

TEST(LeadingConstituents, RelativePtEtaPhiOfTheLeadingOnesZeroPadded) {
  Context ctx(Device::cpu(), 0);
  const TwoJets data;
  Tensor out;
  leading_constituents(ctx, data.inputs(Device::cpu()), 2, out);
  ASSERT_EQ(out.shape(), (Shape{2, 2, 3}));
  const std::vector<float> got = out.to_vector();
  for (int i = 0; i < 2; ++i) {
    const Kinematics jet = kinematics(&data.jets[static_cast<size_t>(i * 4)]);
    for (int j = 0; j < 2; ++j) {
      const float* row = &got[static_cast<size_t>((i * 2 + j) * 3)];
      if (j >= data.counts[static_cast<size_t>(i)]) {  // jet 1 has one constituent
        EXPECT_EQ(row[0], 0.0f);
        EXPECT_EQ(row[1], 0.0f);
        EXPECT_EQ(row[2], 0.0f);
        continue;
      }
      const Kinematics c = kinematics(&data.constituents[static_cast<size_t>((i * 4 + j) * 4)]);
      double dphi = c.phi - jet.phi;
      while (dphi > kPi) dphi -= 2 * kPi;
      while (dphi <= -kPi) dphi += 2 * kPi;
      EXPECT_NEAR(row[0], c.pt / jet.pt, 1e-5);
      EXPECT_NEAR(row[1], c.eta - jet.eta, 2e-4);
      EXPECT_NEAR(row[2], dphi, 2e-4);
    }
  }
}

TEST(MaskParticles, ZeroesThePaddedRowsInPlace) {
  Context ctx(Device::cpu(), 0);
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {1, 3, 2});
  mask_particles(ctx, x, Tensor::from_vector(std::vector<uint8_t>{1, 0, 1}, {1, 3}), x);
  EXPECT_EQ(x.to_vector(), (std::vector<float>{1, 2, 0, 0, 5, 6}));
}

TYPED_TEST(ParticleOpsDevice, LeadingConstituentsMatchTheCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 0), dev(device, 0);
  const TwoJets data;
  Tensor ref, got;
  leading_constituents(cpu, data.inputs(Device::cpu()), 30, ref);
  leading_constituents(dev, data.inputs(device), 30, got);
  EXPECT_TRUE(testing::all_close(got, ref, 1e-6, 1e-5));
}

TYPED_TEST(ParticleOpsDevice, GraphOpsMatchTheCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 0), dev(device, 0), rng(Device::cpu(), 21);
  const int64_t n = 41, m = 29, c = 12;
  Tensor x = Tensor::empty({n, m, c}), points = Tensor::empty({n, m, 2});
  random_normal(rng, x, 0.0f, 1.0f);
  random_normal(rng, points, 0.0f, 1.0f);
  std::vector<uint8_t> mask_values(static_cast<size_t>(n * m));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) mask_values[static_cast<size_t>(i * m + j)] = j < 1 + (i * 3) % m ? 1 : 0;
  const Tensor mask = Tensor::from_vector(mask_values, {n, m}), mask_on = mask.to(device);
  for (const Tensor* space : {&points, &x}) {
    Tensor idx_ref, idx;
    knn(cpu, *space, mask, 16, idx_ref);
    knn(dev, space->to(device), mask_on, 16, idx);
    EXPECT_EQ(idx.to_vector_as<int32_t>(), idx_ref.to_vector_as<int32_t>());
    Tensor e_ref, e, de = Tensor::empty({n, m, 16, 2 * c}), dx_ref, dx;
    edge_features_forward(cpu, x, idx_ref, e_ref);
    edge_features_forward(dev, x.to(device), idx_ref.to(device), e);
    EXPECT_TRUE(testing::all_close(e, e_ref, 0, 0));
    random_normal(rng, de, 0.0f, 1.0f);
    edge_features_backward(cpu, de, idx_ref, dx_ref);
    edge_features_backward(dev, de.to(device), idx_ref.to(device), dx);
    EXPECT_TRUE(testing::all_close(dx, dx_ref, 1e-6, 1e-6));
    Tensor masked_ref, masked;
    mask_particles(cpu, x, mask, masked_ref);
    mask_particles(dev, x.to(device), mask_on, masked);
    EXPECT_TRUE(testing::all_close(masked, masked_ref, 0, 0));
  }
}

}  // namespace
}  // namespace jetimg

namespace jetimg {
namespace {

TEST(PairFeatures, LnKtLnZLnDeltaRLnM2ByHand) {
  Context ctx(Device::cpu(), 0);
  const TwoJets data;
  Tensor out;
  pair_features(ctx, data.inputs(Device::cpu()), 3, out);
  ASSERT_EQ(out.shape(), (Shape{2, 3, 3, 4}));
  const std::vector<float> got = out.to_vector();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const float* f = &got[static_cast<size_t>((i * 3 + j) * 4)];
      if (i == j) {
        for (int k = 0; k < 4; ++k) EXPECT_EQ(f[k], 0.0f);
        continue;
      }
      const float* a = &data.constituents[static_cast<size_t>(i * 4)];
      const float* b = &data.constituents[static_cast<size_t>(j * 4)];
      const Kinematics ka = kinematics(a), kb = kinematics(b);
      double dphi = ka.phi - kb.phi;
      while (dphi > kPi) dphi -= 2 * kPi;
      while (dphi <= -kPi) dphi += 2 * kPi;
      const double delta = std::hypot(ka.eta - kb.eta, dphi), low = std::min(ka.pt, kb.pt);
      double sum[4];
      for (int k = 0; k < 4; ++k) sum[k] = double(a[k]) + b[k];
      const double m2 = sum[0] * sum[0] - sum[1] * sum[1] - sum[2] * sum[2] - sum[3] * sum[3];
      EXPECT_NEAR(f[0], std::log(low * delta), 2e-3) << i << j;
      EXPECT_NEAR(f[1], std::log(low / (ka.pt + kb.pt)), 1e-4) << i << j;
      EXPECT_NEAR(f[2], std::log(delta), 2e-3) << i << j;
      EXPECT_NEAR(f[3], std::log(m2), 1e-4) << i << j;  // m² taken in double: no cancellation
    }
  // Jet 1 has one particle: every pair involves padding.
  for (size_t k = 9 * 4; k < got.size(); ++k) EXPECT_EQ(got[k], 0.0f);
}

TEST(Attention, OneQueryByHandWithABiasAndAPaddedKey) {
  Context ctx(Device::cpu(), 0);
  // One sample, one head of d = 2, one query, three keys of which the last is padding.
  const Tensor q = Tensor::from_vector({1, 2}, {1, 1, 2});
  const Tensor k = Tensor::from_vector({1, 0, 0, 1, 5, 5}, {1, 3, 2});
  const Tensor v = Tensor::from_vector({1, 10, 2, 20, 100, 100}, {1, 3, 2});
  const Tensor bias = Tensor::from_vector({0.5f, -0.5f, 9}, {1, 1, 3, 1});
  const Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 0}, {1, 3});
  Tensor out, probs;
  attention_forward(ctx, q, k, v, bias, mask, 1, 0.5f, out, probs);
  // Scores 0.5·1 + 0.5 = 1 and 0.5·2 - 0.5 = 0.5; the padded key is left out.
  const double e0 = std::exp(1.0), e1 = std::exp(0.5), p0 = e0 / (e0 + e1), p1 = e1 / (e0 + e1);
  EXPECT_TRUE(testing::all_close(probs.to_vector(), {float(p0), float(p1), 0}, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(out.to_vector(), {float(p0 + 2 * p1), float(10 * p0 + 20 * p1)}, 1e-6, 1e-6));
  // No real key at all: zero attention, not NaN.
  attention_forward(ctx, q, k, v, bias, Tensor::from_vector(std::vector<uint8_t>{0, 0, 0}, {1, 3}), 1, 0.5f, out, probs);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{0, 0}));
}

TEST(Attention, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 7);
  const int64_t b = 2, lq = 3, lk = 4, heads = 2, c = 6;
  Tensor q = Tensor::empty({b, lq, c}), k = Tensor::empty({b, lk, c}), v = Tensor::empty({b, lk, c});
  Tensor bias = Tensor::empty({b, lq, lk, heads}), r = Tensor::empty({b, lq, c});
  for (Tensor* t : {&q, &k, &v, &bias, &r}) random_normal(ctx, *t, 0.0f, 1.0f);
  const Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 1, 1, 1, 1, 0, 1, 0}, {b, lk});
  Tensor out, probs, dq, dk, dv, dbias;
  attention_forward(ctx, q, k, v, bias, mask, heads, 0.7f, out, probs);
  attention_backward(ctx, q, k, v, mask, heads, 0.7f, probs, r, dq, dk, dv, &dbias);
  const auto loss = [&] {
    Tensor o, p;
    attention_forward(ctx, q, k, v, bias, mask, heads, 0.7f, o, p);
    return testing::project(o, r);
  };
  for (auto [t, g, name] : {std::tuple<Tensor*, Tensor*, const char*>{&q, &dq, "q"}, {&k, &dk, "k"}, {&v, &dv, "v"},
                            {&bias, &dbias, "bias"}}) {
    // h = 1e-2: the directional derivatives are small (~0.1), and float
    // rounding of L over h = 1e-3 would be of the order of the tolerance.
    const testing::GradCheck check = testing::directional_check(loss, *t, *g, 11, 1e-2f);
    EXPECT_LT(check.relative_error(), 1e-3) << name << ": " << check.str();
  }
  // A padded key gets no gradient.
  const std::vector<float> dkv = dk.to_vector();
  for (int64_t ch = 0; ch < c; ++ch) EXPECT_EQ(dkv[static_cast<size_t>((lk + 3) * c + ch)], 0.0f);
}

TYPED_TEST(ParticleOpsDevice, AttentionAndPairFeaturesMatchTheCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 0), dev(device, 0), rng(Device::cpu(), 31);
  const int64_t b = 9, lq = 13, lk = 17, heads = 4, c = 32;
  Tensor q = Tensor::empty({b, lq, c}), k = Tensor::empty({b, lk, c}), v = Tensor::empty({b, lk, c});
  Tensor bias = Tensor::empty({b, lq, lk, heads}), dout = Tensor::empty({b, lq, c});
  for (Tensor* t : {&q, &k, &v, &bias, &dout}) random_normal(rng, *t, 0.0f, 1.0f);
  std::vector<uint8_t> m(static_cast<size_t>(b * lk));
  for (int64_t s = 0; s < b; ++s)
    for (int64_t j = 0; j < lk; ++j) m[static_cast<size_t>(s * lk + j)] = j < 1 + (s * 5) % lk ? 1 : 0;
  const Tensor mask = Tensor::from_vector(m, {b, lk});
  Tensor out_ref, p_ref, dq_ref, dk_ref, dv_ref, db_ref, out, p, dq, dk, dv, db;
  attention_forward(cpu, q, k, v, bias, mask, heads, 0.35f, out_ref, p_ref);
  attention_backward(cpu, q, k, v, mask, heads, 0.35f, p_ref, dout, dq_ref, dk_ref, dv_ref, &db_ref);
  const Tensor qd = q.to(device), kd = k.to(device), vd = v.to(device), md = mask.to(device);
  attention_forward(dev, qd, kd, vd, bias.to(device), md, heads, 0.35f, out, p);
  attention_backward(dev, qd, kd, vd, md, heads, 0.35f, p, dout.to(device), dq, dk, dv, &db);
  EXPECT_TRUE(testing::all_close(out, out_ref, 1e-5, 1e-4));
  EXPECT_TRUE(testing::all_close(p, p_ref, 1e-6, 1e-4));
  for (auto [got, ref] : {std::pair<Tensor*, Tensor*>{&dq, &dq_ref}, {&dk, &dk_ref}, {&dv, &dv_ref}, {&db, &db_ref}})
    EXPECT_TRUE(testing::all_close(*got, *ref, 1e-5, 1e-4));
  const TwoJets data;
  Tensor pairs_ref, pairs;
  pair_features(cpu, data.inputs(Device::cpu()), 4, pairs_ref);
  pair_features(dev, data.inputs(device), 4, pairs);
  EXPECT_TRUE(testing::all_close(pairs, pairs_ref, 1e-4, 1e-4));
}

}  // namespace
}  // namespace jetimg
