// Shower shapes of hand-made showers whose widths, centroids, depth and
// sparsity are known, and the sample distances (W1, χ²) on samples whose
// distances can be worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "physics/sample_distances.h"
#include "physics/shower_shapes.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// `n` empty showers of the given layers, each with incident energy 10 GeV.
ShowerBatch empty_showers(int64_t n, const std::vector<LayerGeometry>& geometry) {
  ShowerBatch batch;
  batch.energy = Tensor::from_vector(std::vector<float>(static_cast<size_t>(n), 10.0f), {n, 1});
  for (const LayerGeometry& g : geometry) batch.layers.push_back(Tensor::zeros({n, g.rows, g.cols}));
  batch.overflow = Tensor::zeros({n, static_cast<int64_t>(geometry.size())});
  return batch;
}

void set_cell(ShowerBatch& batch, int64_t shower, int layer, int row, int col, float mev) {
  Tensor& t = batch.layers[static_cast<size_t>(layer)];
  t.data()[(shower * t.dim(1) + row) * t.dim(2) + col] = mev;
}

double value(const ShowerShapes& shapes, const std::string& name, int64_t shower) {
  return shapes.column(name).values.at(static_cast<size_t>(shower));
}

// Shower 0: two 1 GeV cells side by side in φ in the middle row of layer 0,
// 3 GeV in the corner cell of layer 1, nothing in layer 2. Shower 1: empty.
ShowerBatch two_calogan_showers() {
  ShowerBatch batch = empty_showers(2, calogan_geometry());
  set_cell(batch, 0, 0, 1, 47, 1000);
  set_cell(batch, 0, 0, 1, 48, 1000);
  set_cell(batch, 0, 1, 0, 0, 3000);
  return batch;
}

TEST(ShowerShapes, WholeShowerEnergiesAndDepth) {
  const ShowerShapes s = compute_shower_shapes(two_calogan_showers());
  EXPECT_EQ(s.showers(), 2);
  EXPECT_EQ(s.columns.size(), 5u + 3 * 9);
  EXPECT_DOUBLE_EQ(value(s, "energy_total", 0), 5.0);
  EXPECT_DOUBLE_EQ(value(s, "energy_ratio", 0), 0.5);
  EXPECT_DOUBLE_EQ(value(s, "energy_layer_0", 0), 2.0);
  EXPECT_DOUBLE_EQ(value(s, "energy_layer_1", 0), 3.0);
  EXPECT_DOUBLE_EQ(value(s, "energy_layer_2", 0), 0.0);
  EXPECT_DOUBLE_EQ(value(s, "fraction_layer_0", 0), 0.4);
  EXPECT_DOUBLE_EQ(value(s, "fraction_layer_1", 0), 0.6);
  // l_d = 0·2 + 1·3 + 2·0 GeV; s_d = 3/5; σ_sd = sqrt(3/5 - (3/5)²).
  EXPECT_DOUBLE_EQ(value(s, "depth_weighted_energy", 0), 3.0);
  EXPECT_DOUBLE_EQ(value(s, "depth", 0), 0.6);
  EXPECT_NEAR(value(s, "depth_width", 0), std::sqrt(0.24), 1e-12);
  // The empty shower: every shape is 0, nothing is NaN.
  for (const ShapeColumn& c : s.columns) EXPECT_EQ(c.values[1], 0.0) << c.name;
}

TEST(ShowerShapes, LayerCentroidsWidthsInMillimetres) {
  const ShowerShapes s = compute_shower_shapes(two_calogan_showers());
  EXPECT_EQ(s.column("width_eta_layer_0").unit, "mm");
  // Layer 0: cells 5 mm wide in φ, centred at -2.5 and +2.5 mm; one row of 160 mm at η = 0.
  EXPECT_NEAR(value(s, "centroid_eta_layer_0", 0), 0.0, 1e-12);
  EXPECT_NEAR(value(s, "centroid_phi_layer_0", 0), 0.0, 1e-12);
  EXPECT_NEAR(value(s, "width_eta_layer_0", 0), 0.0, 1e-12);
  EXPECT_NEAR(value(s, "width_phi_layer_0", 0), 2.5, 1e-12);
  EXPECT_DOUBLE_EQ(value(s, "sparsity_layer_0", 0), 2.0 / 288);
  EXPECT_DOUBLE_EQ(value(s, "max_cell_fraction_layer_0", 0), 0.5);
  EXPECT_DOUBLE_EQ(value(s, "e_ratio_layer_0", 0), 0.0);  // two equal cells
  // Layer 1: one corner cell of 40 × 40 mm, 5.5 cells from the centre.
  EXPECT_NEAR(value(s, "centroid_eta_layer_1", 0), -220.0, 1e-12);
  EXPECT_NEAR(value(s, "centroid_phi_layer_1", 0), -220.0, 1e-12);
  EXPECT_EQ(value(s, "width_eta_layer_1", 0), 0.0);
  EXPECT_DOUBLE_EQ(value(s, "sparsity_layer_1", 0), 1.0 / 144);
  EXPECT_DOUBLE_EQ(value(s, "max_cell_fraction_layer_1", 0), 1.0);
  EXPECT_DOUBLE_EQ(value(s, "e_ratio_layer_1", 0), 1.0);
  // Layer 2 is empty: defined as 0.
  EXPECT_EQ(value(s, "width_phi_layer_2", 0), 0.0);
  EXPECT_EQ(value(s, "sparsity_layer_2", 0), 0.0);
}

TEST(ShowerShapes, AnyGeometryInCellsAndThreshold) {
  // One layer of 2 × 4 cells: 1 MeV and 3 MeV at the two ends of row 1.
  ShowerBatch batch = empty_showers(1, {{2, 4}});
  set_cell(batch, 0, 0, 1, 0, 1);
  set_cell(batch, 0, 0, 1, 3, 3);
  ShowerShapes s = compute_shower_shapes(batch);
  EXPECT_EQ(s.columns.size(), 5u + 9);
  EXPECT_EQ(s.column("centroid_phi_layer_0").unit, "cells");
  // φ centres -1.5 and +1.5: mean (−1.5 + 4.5)/4 = 0.75, variance (2.25² + 3·0.75²)/4.
  EXPECT_DOUBLE_EQ(value(s, "centroid_phi_layer_0", 0), 0.75);
  EXPECT_NEAR(value(s, "width_phi_layer_0", 0), std::sqrt((2.25 * 2.25 + 3 * 0.75 * 0.75) / 4), 1e-12);
  EXPECT_DOUBLE_EQ(value(s, "centroid_eta_layer_0", 0), 0.5);
  EXPECT_DOUBLE_EQ(value(s, "e_ratio_layer_0", 0), 0.5);
  EXPECT_DOUBLE_EQ(value(s, "sparsity_layer_0", 0), 2.0 / 8);
  EXPECT_EQ(value(s, "depth", 0), 0.0);  // one layer: always layer 0
  EXPECT_DOUBLE_EQ(s.column("sparsity_layer_0").step, 1.0 / 8);

  ShapeOptions options;
  options.cell_threshold = 2;  // MeV: only the 3 MeV cell counts
  options.cell_sizes = {{10, 20}};
  s = compute_shower_shapes(batch, options);
  EXPECT_DOUBLE_EQ(value(s, "sparsity_layer_0", 0), 1.0 / 8);
  EXPECT_EQ(s.column("centroid_phi_layer_0").unit, "mm");
  EXPECT_DOUBLE_EQ(value(s, "centroid_phi_layer_0", 0), 15.0);
  EXPECT_DOUBLE_EQ(value(s, "centroid_eta_layer_0", 0), 5.0);
}

TEST(ShowerShapes, BadInputIsNamed) {
  ShowerBatch batch = empty_showers(3, calogan_geometry());
  set_cell(batch, 2, 1, 4, 5, NAN);
  EXPECT_NE(testing::error_message_of([&] { compute_shower_shapes(batch); }).find("shower 2, layer 1, cell (4, 5)"),
            std::string::npos);
  ShapeOptions options;
  options.cell_sizes = {{1, 1}};
  EXPECT_NE(testing::error_message_of([&] { compute_shower_shapes(empty_showers(1, calogan_geometry()), options); })
                .find("1 cell sizes given for 3 layers"),
            std::string::npos);
  const std::string mismatch = testing::error_message_of(
      [&] { compare_shower_shapes(empty_showers(2, calogan_geometry()), empty_showers(2, {{12, 12}})); });
  EXPECT_NE(mismatch.find("the reference has layers 3x96, 12x12, 12x6, the candidate 12x12"), std::string::npos)
      << mismatch;
  const ShowerShapes shapes = compute_shower_shapes(empty_showers(1, {{2, 2}}));
  EXPECT_NE(testing::error_message_of([&] { shapes.column("width"); }).find("no shower shape named 'width' (there are: "),
            std::string::npos);
}

TEST(ShowerShapes, AppendKeepsColumns) {
  ShowerShapes all = compute_shower_shapes(two_calogan_showers());
  all.append(compute_shower_shapes(two_calogan_showers()));
  EXPECT_EQ(all.showers(), 4);
  EXPECT_DOUBLE_EQ(value(all, "energy_total", 2), 5.0);
  EXPECT_THROW(all.append(compute_shower_shapes(empty_showers(1, {{2, 4}}))), Error);
}

TEST(ShowerShapeDistances, WassersteinByHand) {
  const std::vector<double> a = {3, 1, 2, 5};
  EXPECT_EQ(wasserstein_1d(a, a), 0.0);
  std::vector<double> shifted = a;
  for (double& v : shifted) v += 0.7;
  EXPECT_NEAR(wasserstein_1d(a, shifted), 0.7, 1e-12);
  EXPECT_NEAR(wasserstein_1d(shifted, a), 0.7, 1e-12);
  // Different sizes: against a point mass W1 = mean |a - c|; {0, 1} against
  // {0, 0.5, 1}: |F_a - F_b| = 1/6 over [0, 1].
  EXPECT_NEAR(wasserstein_1d({1, 2, 3}, {4}), 2.0, 1e-12);
  EXPECT_NEAR(wasserstein_1d({0, 1}, {0, 0.5, 1}), 1.0 / 6, 1e-12);
  EXPECT_NEAR(wasserstein_1d({0, 0, 1}, {0, 1, 1}), 1.0 / 3, 1e-12);  // ties
  EXPECT_EQ(wasserstein_1d({}, {1, 2}), 0.0);
  EXPECT_THROW(wasserstein_1d({1, NAN}, {1}), Error);
}

TEST(ShowerShapeDistances, NormalisedWasserstein) {
  // Reference {0, 2} has std 1: a shift of 0.5 is 0.5 standard deviations.
  EXPECT_NEAR(normalised_wasserstein_1d({0, 2}, {0.5, 2.5}), 0.5, 1e-12);
  EXPECT_EQ(normalised_wasserstein_1d({1, 1}, {1, 1, 1}), 0.0);
  // A constant reference: scaled by the pooled std (0.5 for {1, 1, 2, 2}).
  EXPECT_NEAR(normalised_wasserstein_1d({1, 1}, {2, 2}), 2.0, 1e-12);
}

TEST(ShowerShapeDistances, ChiSquareByHand) {
  // N_a = 30, N_b = 40; the third bin is empty in both and skipped:
  // (40·10 − 30·20)² / (30·40·30) + (40·20 − 30·20)² / (30·40·40).
  const ChiSquare c = chi_square(std::vector<double>{10, 20, 0}, std::vector<double>{20, 20, 0});
  EXPECT_NEAR(c.chi2, 40000.0 / 36000 + 40000.0 / 48000, 1e-12);
  EXPECT_EQ(c.ndf, 1);
  EXPECT_NEAR(c.per_ndf(), c.chi2, 1e-12);
  // Proportional histograms agree exactly.
  EXPECT_NEAR(chi_square(std::vector<double>{1, 2, 3}, std::vector<double>{2, 4, 6}).chi2, 0.0, 1e-12);
  EXPECT_EQ(chi_square(std::vector<double>{0, 5}, std::vector<double>{0, 7}).per_ndf(), 0.0);  // one bin filled
  EXPECT_THROW(chi_square(std::vector<double>{1, 2}, std::vector<double>{1}), Error);
  // From samples: disjoint samples put everything in different bins, χ² = N_a + N_b.
  const std::vector<double> a = {0, 0.1, 0.2}, b = {0.9, 1.0};
  const ChiSquare disjoint = chi_square(a, b, common_binning(a, b, 10));
  EXPECT_NEAR(disjoint.chi2, 5.0, 1e-12);
}

TEST(ShowerShapeDistances, Binning) {
  const Binning b = common_binning({0.5, 2}, {1, 4.5}, 8);
  EXPECT_DOUBLE_EQ(b.lo, 0.5);
  EXPECT_DOUBLE_EQ(b.hi, 4.5);
  EXPECT_EQ(b.bin_of(0.5), 0);
  EXPECT_EQ(b.bin_of(4.5), 7);  // the top edge is inside
  EXPECT_EQ(b.bin_of(1.0), 1);
  EXPECT_EQ(b.bin_of(-3), 0);
  EXPECT_EQ(histogram({0.5, 1, 1.2, 4.5}, b), (std::vector<double>{1, 2, 0, 0, 0, 0, 0, 1}));
  // Multiples of 1/144 from 0 to 30/144: 31 values, 2 per bin with 20 bins at most.
  std::vector<double> sparsity;
  for (int k = 0; k <= 30; ++k) sparsity.push_back(k / 144.0);
  const Binning aligned = common_binning(sparsity, {}, 20, 1.0 / 144);
  EXPECT_EQ(aligned.bins, 16);
  EXPECT_NEAR(aligned.lo, -0.5 / 144, 1e-15);
  for (double count : histogram(sparsity, aligned)) EXPECT_GE(count, 1);
  const Binning single = common_binning({3, 3}, {3}, 10);
  EXPECT_DOUBLE_EQ(single.lo, 2.5);
  EXPECT_DOUBLE_EQ(single.hi, 3.5);
}

TEST(ShowerShapeDistances, CompareShowerSamples) {
  ShowerBatch reference = empty_showers(40, calogan_geometry());
  ShowerBatch wider = empty_showers(30, calogan_geometry());
  for (int64_t i = 0; i < 40; ++i) set_cell(reference, i, 1, 6, 6, 100.0f + i);
  for (int64_t i = 0; i < 30; ++i) set_cell(wider, i, 1, 6, 6, 100.0f + i), set_cell(wider, i, 1, 6, 7, 50.0f);
  const std::vector<ShapeDistance> same = compare_shower_shapes(reference, reference);
  ASSERT_EQ(same.size(), 5u + 3 * 9);
  for (const ShapeDistance& d : same) {
    EXPECT_EQ(d.w1, 0.0) << d.name;
    EXPECT_NEAR(d.chi2.chi2, 0.0, 1e-12) << d.name;
  }
  EXPECT_EQ(mean_normalised_w1(same), 0.0);
  const std::vector<ShapeDistance> d = compare_shower_shapes(reference, wider, {}, 20);
  EXPECT_GT(mean_normalised_w1(d), 0.0);
  for (const ShapeDistance& x : d) {
    EXPECT_TRUE(std::isfinite(x.w1) && std::isfinite(x.w1_normalised) && std::isfinite(x.chi2.chi2)) << x.name;
    EXPECT_LE(x.binning.bins, 20) << x.name;
    if (x.name == "sparsity_layer_1") {
      EXPECT_NEAR(x.w1, 1.0 / 144, 1e-12);  // one more cell hit in every shower
      EXPECT_NEAR(x.reference.mean, 1.0 / 144, 1e-12);
      EXPECT_EQ(x.reference.std, 0.0);
    }
    if (x.name == "energy_total") EXPECT_NEAR(x.candidate.mean - x.reference.mean, 0.05 - 0.005, 1e-6);
  }
  EXPECT_THROW(compare_shower_shapes(reference, empty_showers(0, calogan_geometry())), Error);
}

}  // namespace
}  // namespace jetimg
