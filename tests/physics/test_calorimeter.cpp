// The built-in calorimeter simulator against what its physics says: energy
// response, resolution ~ a/√E, mean depth and layer shares against the
// Grindhammer–Peters profile computed here independently, photons deeper
// than positrons, pions wider and more fluctuating; and determinism.
#include <gtest/gtest.h>

#include <omp.h>

#include <cmath>
#include <numeric>
#include <random>

#include "physics/calorimeter.h"
#include "physics/gamma_math.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

struct Moments {
  double mean = 0, sd = 0;
};
Moments moments(const std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.sd += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(m.sd / static_cast<double>(v.size() - 1));
  return m;
}

double sum(const Tensor& t, int64_t row) {
  const int64_t per = t.numel() / t.dim(0);
  return std::accumulate(t.data() + row * per, t.data() + (row + 1) * per, 0.0);
}

// Cells + overflow of every layer, per shower, in MeV.
std::vector<double> visible_totals(const ShowerBatch& b) {
  std::vector<double> totals;
  for (int64_t i = 0; i < b.size(); ++i) {
    double total = sum(b.overflow, i);
    for (const Tensor& layer : b.layers) total += sum(layer, i);
    totals.push_back(total);
  }
  return totals;
}

struct Simulated {
  ShowerBatch batch;
  std::vector<ShowerTruth> truth;
};
Simulated simulate(CaloParticle particle, float energy_gev, int n, uint64_t seed = 11) {
  Simulated r;
  r.batch = simulate_showers(CaloSimSettings{}, particle, std::vector<float>(n, energy_gev), seed, 0, &r.truth);
  return r;
}

// --- The expectation, written out here from hep-ex/0001020 ---------------
// Per shower, (ln T, ln α) are normal with means, spreads and correlation
// given by y = E/Ec; T is the depth of the maximum and <t> = α/β = αT/(α-1).
// The effective material is recomputed from the CaloGAN layer structure by
// thickness-weighting 1/X0 and 1/R_M (equivalent to G&P's mass weighting).
struct Expected {
  double mean_depth_x0, layer0_share;
};
Expected expected_em_profile(double energy_gev) {
  const double x0_lead = 5.612, x0_argon = 195.5 / 1.39;  // mm
  const double x0 = 1 / ((2.0 / 6) / x0_lead + (4.0 / 6) / x0_argon);
  const double w_lead = 2 * 11.35 / (2 * 11.35 + 4 * 1.39);
  const double z_eff = w_lead * 82 + (1 - w_lead) * 18;
  const double ec = x0 * ((2.0 / 6) * 7.43 / x0_lead + (4.0 / 6) * 32.84 / x0_argon);
  const double inv_fs = 6 / x0, ehat = 1 / (1 + 0.007 * (82 - 18));
  const double ln_y = std::log(energy_gev * 1000 / ec);
  const double mean_ln_t = std::log(ln_y - 0.812 - 0.55 * inv_fs - 0.69 * (1 - ehat));
  const double mean_ln_a = std::log(0.81 + (0.458 + 2.26 / z_eff) * ln_y - 0.476 * inv_fs);
  const double s_t = 1 / (-2.5 + 1.25 * ln_y), s_a = 1 / (-0.82 + 0.79 * ln_y), rho = 0.784 - 0.023 * ln_y;
  std::mt19937_64 gen(5);
  std::normal_distribution<double> normal;
  const double layer0_x0 = 90 / x0;
  Expected e{0, 0};
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const double z1 = normal(gen), z2 = normal(gen);
    const double ln_t = mean_ln_t + s_t * (std::sqrt((1 + rho) / 2) * z1 + std::sqrt((1 - rho) / 2) * z2);
    const double ln_a = mean_ln_a + s_a * (std::sqrt((1 + rho) / 2) * z1 - std::sqrt((1 - rho) / 2) * z2);
    const double t = std::exp(ln_t), a = std::max(1.1, std::exp(ln_a)), beta = (a - 1) / t;
    e.mean_depth_x0 += a / beta / n;
    // ∫ f(t) dt over layer 0 by Simpson's rule (the density, not the library's CDF).
    const int steps = 400;
    const double h = layer0_x0 / steps;
    double integral = 0;
    for (int k = 0; k <= steps; ++k) {
      const double tt = std::max(k * h, 1e-12);
      const double f = std::exp(a * std::log(beta) + (a - 1) * std::log(tt) - beta * tt - std::lgamma(a));
      integral += f * (k == 0 || k == steps ? 1 : (k % 2 ? 4 : 2));
    }
    e.layer0_share += integral * h / 3 / n;
  }
  return e;
}

TEST(Calorimeter, EffectiveMaterialOfTheCaloganStack) {
  const CaloMaterial m = calo_material(CaloSimSettings{});
  const double x0 = 1 / ((2.0 / 6) / 5.612 + (4.0 / 6) / (195.5 / 1.39));
  EXPECT_NEAR(m.x0_mm, x0, 0.01 * x0);
  EXPECT_NEAR(m.x0_mm, 15.6, 0.1);
  EXPECT_NEAR(m.moliere_mm, 35.5, 0.5);
  EXPECT_NEAR(m.critical_mev, 9.3, 0.1);
  EXPECT_NEAR(m.z_eff, 69.4, 0.2);
  EXPECT_NEAR(m.interaction_length_mm, 374, 3);
  EXPECT_NEAR(m.e_over_mip, 0.69, 0.01);
  // The layers are 5.8, 22.3 and 2.8 X0 deep.
  EXPECT_NEAR(90 / m.x0_mm, 5.8, 0.05);
  EXPECT_NEAR(347 / m.x0_mm, 22.3, 0.1);
}

TEST(Calorimeter, GammaFunctions) {
  for (double x : {0.1, 1.0, 3.0, 10.0}) EXPECT_NEAR(gamma_cdf(1, x), 1 - std::exp(-x), 1e-12);
  // P(3, x) = 1 - e^-x (1 + x + x²/2)
  for (double x : {0.5, 2.0, 4.0, 9.0}) EXPECT_NEAR(gamma_cdf(3, x), 1 - std::exp(-x) * (1 + x + x * x / 2), 1e-12);
  EXPECT_NEAR(gamma_cdf(0.5, 2.0), std::erf(std::sqrt(2.0)), 1e-12);
  Random rng(3, 4);
  for (double shape : {0.3, 2.5, 40.0}) {
    std::vector<double> v;
    for (int i = 0; i < 20000; ++i) v.push_back(sample_gamma(shape, rng));
    const Moments m = moments(v);
    EXPECT_NEAR(m.mean, shape, 0.03 * shape + 0.01) << shape;
    EXPECT_NEAR(m.sd * m.sd, shape, 0.06 * shape + 0.01) << shape;
  }
}

TEST(Calorimeter, ShapesAndFiniteDeposits) {
  for (CaloParticle p : {CaloParticle::Positron, CaloParticle::Photon, CaloParticle::PiPlus}) {
    const std::vector<float> energies = uniform_energies(1, 100, 50, 3, 0);
    std::vector<ShowerTruth> truth;
    const ShowerBatch b = simulate_showers(CaloSimSettings{}, p, energies, 9, 0, &truth);
    ASSERT_EQ(b.size(), 50);
    ASSERT_EQ(b.layers.size(), 3u);
    EXPECT_EQ(b.layers[0].shape(), (Shape{50, 3, 96}));
    EXPECT_EQ(b.layers[1].shape(), (Shape{50, 12, 12}));
    EXPECT_EQ(b.layers[2].shape(), (Shape{50, 12, 6}));
    EXPECT_EQ(b.overflow.shape(), (Shape{50, 3}));
    EXPECT_EQ(b.energy.to_vector(), energies);
    for (const Tensor& t : {b.layers[0], b.layers[1], b.layers[2], b.overflow})
      for (float v : t.to_vector()) ASSERT_TRUE(std::isfinite(v) && v >= 0) << calo_particle_name(p) << " " << v;
    const std::vector<double> totals = visible_totals(b);
    for (int i = 0; i < 50; ++i) {
      EXPECT_NEAR(totals[i], truth[i].visible_mev, 1e-4 * truth[i].visible_mev + 1e-3) << i;
      // Nothing makes energy: visible + leaked + invisible stay near the incident energy.
      EXPECT_LT(totals[i], 1000 * energies[i] * 1.3) << i;
    }
  }
}

TEST(Calorimeter, SameShowersForAnySeedSplitAndThreadCount) {
  const std::vector<float> energies = uniform_energies(1, 100, 24, 1, 0);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const ShowerBatch one = simulate_showers(CaloSimSettings{}, CaloParticle::PiPlus, energies, 5, 100);
  omp_set_num_threads(3);
  const ShowerBatch three = simulate_showers(CaloSimSettings{}, CaloParticle::PiPlus, energies, 5, 100);
  omp_set_num_threads(threads);
  for (int l = 0; l < 3; ++l) EXPECT_TRUE(testing::all_close(one.layers[l], three.layers[l], 0, 0)) << l;
  EXPECT_TRUE(testing::all_close(one.overflow, three.overflow, 0, 0));

  // The second half on its own, starting at its index, is the same.
  const std::vector<float> tail(energies.begin() + 12, energies.end());
  const ShowerBatch half = simulate_showers(CaloSimSettings{}, CaloParticle::PiPlus, tail, 5, 112);
  EXPECT_TRUE(testing::all_close(half.layers[1], one.layers[1].slice(12, 24), 0, 0));
  EXPECT_EQ(uniform_energies(1, 100, 12, 1, 12), tail);

  const ShowerBatch other = simulate_showers(CaloSimSettings{}, CaloParticle::PiPlus, energies, 6, 100);
  EXPECT_FALSE(testing::all_close(other.layers[1], one.layers[1], 0, 0));
}

TEST(Calorimeter, PositronResponseAndResolution) {
  const Simulated at10 = simulate(CaloParticle::Positron, 10, 1500);
  const Simulated at100 = simulate(CaloParticle::Positron, 100, 1500);
  const Moments r10 = moments(visible_totals(at10.batch)), r100 = moments(visible_totals(at100.batch));
  // Calibrated deposits: a contained positron reads its own energy.
  EXPECT_NEAR(r10.mean / 10000, 1.0, 0.01);
  EXPECT_NEAR(r100.mean / 100000, 1.0, 0.01);
  // σ/E = a/√E with a = 0.11 (the statistical error of σ is ~2% here).
  EXPECT_NEAR(r10.sd / r10.mean, 0.11 / std::sqrt(10.0), 0.15 * 0.11 / std::sqrt(10.0));
  EXPECT_NEAR(r100.sd / r100.mean, 0.11 / 10, 0.15 * 0.011);
  const double ratio = (r10.sd / r10.mean) / (r100.sd / r100.mean);
  EXPECT_GT(ratio, 2.6);
  EXPECT_LT(ratio, 3.8);
  // Overflow (lateral leakage beyond 6.8 Molière radii) is small.
  double overflow = 0;
  for (int64_t i = 0; i < at100.batch.size(); ++i) overflow += sum(at100.batch.overflow, i);
  EXPECT_LT(overflow / (1500 * 100000.0), 0.02);
}

TEST(Calorimeter, DepthFollowsTheGammaProfile) {
  std::vector<double> depth;
  for (float energy : {10.0f, 100.0f}) {
    const Simulated run = simulate(CaloParticle::Positron, energy, 1500);
    const Expected e = expected_em_profile(energy);
    std::vector<double> d, share0;
    for (int i = 0; i < 1500; ++i) {
      d.push_back(run.truth[i].depth_x0);
      share0.push_back((sum(run.batch.layers[0], i) + run.batch.overflow.data()[3 * i]) / run.truth[i].visible_mev);
    }
    const Moments m = moments(d), s0 = moments(share0);
    EXPECT_NEAR(m.mean, e.mean_depth_x0, 0.03 * e.mean_depth_x0) << energy << " GeV";
    EXPECT_NEAR(s0.mean, e.layer0_share, 0.015) << energy << " GeV";
    depth.push_back(m.mean);
  }
  // About one radiation length deeper per factor e in energy.
  const double growth = (depth[1] - depth[0]) / std::log(10.0);
  EXPECT_GT(growth, 0.8);
  EXPECT_LT(growth, 1.2);
  const double expected = expected_em_profile(100).mean_depth_x0 - expected_em_profile(10).mean_depth_x0;
  EXPECT_NEAR(depth[1] - depth[0], expected, 0.2);
}

TEST(Calorimeter, PhotonsStartDeeper) {
  const Simulated e = simulate(CaloParticle::Positron, 50, 1500), g = simulate(CaloParticle::Photon, 50, 1500, 12);
  std::vector<double> de, dg, start;
  for (int i = 0; i < 1500; ++i) {
    de.push_back(e.truth[i].depth_x0);
    dg.push_back(g.truth[i].depth_x0);
    start.push_back(g.truth[i].start_x0);
  }
  EXPECT_NEAR(moments(start).mean, 9.0 / 7.0, 0.1);
  EXPECT_NEAR(moments(dg).mean - moments(de).mean, 9.0 / 7.0, 0.15);
  // Less in the first layer.
  double first_e = 0, first_g = 0;
  for (int i = 0; i < 1500; ++i) first_e += sum(e.batch.layers[0], i), first_g += sum(g.batch.layers[0], i);
  EXPECT_LT(first_g, 0.8 * first_e);
}

// Energy-weighted RMS distance of layer 1's cells from the centre, in mm.
double width_layer1(const ShowerBatch& b, int64_t i) {
  const float* cells = b.layers[1].data() + i * 144;
  double w = 0, r2 = 0;
  for (int row = 0; row < 12; ++row)
    for (int col = 0; col < 12; ++col) {
      const double x = (row - 5.5) * 40, y = (col - 5.5) * 40, e = cells[row * 12 + col];
      w += e, r2 += e * (x * x + y * y);
    }
  return w > 0 ? std::sqrt(r2 / w) : 0;
}

TEST(Calorimeter, PionsAreWiderDeeperAndFluctuateMore) {
  const Simulated e = simulate(CaloParticle::Positron, 50, 1500), pi = simulate(CaloParticle::PiPlus, 50, 1500);
  const Moments re = moments(visible_totals(e.batch)), rpi = moments(visible_totals(pi.batch));
  EXPECT_LT(rpi.mean, 0.8 * re.mean) << "leakage and invisible energy";
  EXPECT_GT(rpi.mean, 0.2 * re.mean);
  EXPECT_GT(rpi.sd / rpi.mean, 3 * re.sd / re.mean);
  // Pions that interact at all are wider.
  std::vector<double> we, wpi, depth_e, depth_pi;
  int punch_through = 0;
  const double depth_x0 = 480 / calo_material(CaloSimSettings{}).x0_mm;
  for (int i = 0; i < 1500; ++i) {
    we.push_back(width_layer1(e.batch, i));
    depth_e.push_back(e.truth[i].depth_x0);
    if (pi.truth[i].start_x0 >= depth_x0) {
      ++punch_through;
      continue;
    }
    wpi.push_back(width_layer1(pi.batch, i));
    depth_pi.push_back(pi.truth[i].depth_x0);
  }
  EXPECT_GT(moments(wpi).mean, 1.3 * moments(we).mean);
  EXPECT_GT(moments(depth_pi).mean, moments(depth_e).mean + 5);
  // A pion crosses 480 mm = 1.28 λ_int without interacting with probability e^-1.28.
  EXPECT_NEAR(punch_through / 1500.0, std::exp(-480 / 374.0), 0.04);
}

TEST(Calorimeter, Errors) {
  EXPECT_EQ(parse_calo_particle("gamma"), CaloParticle::Photon);
  EXPECT_EQ(testing::error_message_of([] { parse_calo_particle("mu-"); }),
            "unknown particle 'mu-' (expected e+, gamma or pi+)");
  EXPECT_NE(testing::error_message_of([] { uniform_energies(100, 1, 5, 0, 0); }).find("expected 0 < min <= max"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([] {
              simulate_showers(CaloSimSettings{}, CaloParticle::Positron, {10, -1}, 0, 0);
            }).find("incident energy 1 is -1 GeV"),
            std::string::npos);
  CaloSimSettings bad;
  bad.sampling_term = 0;
  EXPECT_NE(testing::error_message_of([&] { bad.validate(); }).find("'sampling_term' must be a positive number"),
            std::string::npos);
}

}  // namespace
}  // namespace jetimg
