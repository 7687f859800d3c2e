// N-subjettiness on configurations whose τ values follow by hand: where the
// winner-take-all axes sit, τ_N for two and three particles, τ_N = 0 when
// N >= the number of particles, and the φ wrap-around.
#include <gtest/gtest.h>

#include <cmath>

#include "physics/nsubjettiness.h"

namespace jetimg {
namespace {

FourVector at(double pt, double y, double phi) { return FourVector::from_pt_eta_phi_m(pt, y, phi, 0); }  // massless: y = η

TEST(NSubjettiness, TwoParticlesAxisOnTheHarderOne) {
  const std::vector<FourVector> jet = {at(100, 0, 0), at(50, 0.3, 0)};
  const auto axes = wta_kt_axes(jet, 1);
  ASSERT_EQ(axes.size(), 1u);
  EXPECT_NEAR(axes[0].eta(), 0.0, 1e-12);  // on the harder particle, not the pT-weighted centre
  EXPECT_NEAR(axes[0].phi(), 0.0, 1e-12);
  EXPECT_NEAR(axes[0].pt(), 150.0, 1e-9);
  EXPECT_NEAR(nsubjettiness(jet, 1), 50 * 0.3, 1e-9);
  EXPECT_EQ(nsubjettiness(jet, 2), 0.0);
  const NSubjettiness t = nsubjettiness_123(jet);
  EXPECT_NEAR(t.tau1, 15.0, 1e-9);
  EXPECT_EQ(t.tau2, 0.0);
  EXPECT_EQ(t.tau3, 0.0);
  EXPECT_EQ(t.tau21, 0.0);
  EXPECT_EQ(t.tau32, 0.0);  // 0/0 is reported as 0
}

TEST(NSubjettiness, ThreeParticles) {
  // kT distances: A-C 100·0.04 = 4, B-C 100·0.29 = 29, A-B 3600·0.25 = 900:
  // A and C merge first (axis on A), then B joins (axis stays on A).
  const FourVector a = at(100, 0, 0), b = at(60, 0.5, 0), c = at(10, 0, 0.2);
  const std::vector<FourVector> jet = {a, b, c};
  const NSubjettiness t = nsubjettiness_123(jet);
  EXPECT_NEAR(t.tau1, 60 * 0.5 + 10 * 0.2, 1e-9);
  EXPECT_NEAR(t.tau2, 10 * 0.2, 1e-9);  // axes on A and on B; C is 0.2 from A
  EXPECT_EQ(t.tau3, 0.0);
  EXPECT_NEAR(t.tau21, 2.0 / 32.0, 1e-12);
  EXPECT_EQ(t.tau32, 0.0);
  const auto axes = wta_kt_axes(jet, 2);
  ASSERT_EQ(axes.size(), 2u);
}

TEST(NSubjettiness, FourParticlesAndPhiWrap) {
  // Two pairs across φ = ±π; within a pair the soft one is 0.1 from the hard one.
  const double pi = 3.14159265358979323846;
  const std::vector<FourVector> jet = {at(100, 0, pi - 0.05), at(20, 0, -pi + 0.05), at(80, 0.8, pi - 0.05),
                                       at(10, 0.9, pi - 0.05)};
  EXPECT_NEAR(nsubjettiness(jet, 2), 20 * 0.1 + 10 * 0.1, 1e-9);
  EXPECT_NEAR(nsubjettiness(jet, 3), 10 * 0.1, 1e-9);  // the softest pairing left
  EXPECT_EQ(nsubjettiness(jet, 4), 0.0);
  EXPECT_EQ(nsubjettiness({}, 1), 0.0);
  EXPECT_EQ(nsubjettiness({at(5, 0, 0)}, 1), 0.0);
}

}  // namespace
}  // namespace jetimg
