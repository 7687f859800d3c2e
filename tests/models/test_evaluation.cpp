// The evaluation report: an out-of-sample baseline and the files it writes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/evaluation.h"
#include "physics/random.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

double gaussian(Random& rng) {
  return std::sqrt(-2.0 * std::log(rng.uniform())) * std::cos(2.0 * M_PI * rng.uniform());
}

// Signal: mass N(80, 8), τ21 N(0.3, 0.1); background: mass N(50, 25), τ21 N(0.6, 0.15).
ScoredJets toy(size_t n, uint64_t seed) {
  Random rng(seed, 1);
  ScoredJets jets;
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 2);
    jets.labels.push_back(label);
    jets.weights.push_back(1.0f);
    jets.trimmed_mass.push_back(label ? 80 + 8 * gaussian(rng) : 50 + 25 * gaussian(rng));
    jets.tau21.push_back(label ? 0.3 + 0.1 * gaussian(rng) : 0.6 + 0.15 * gaussian(rng));
    jets.scores.push_back(static_cast<float>(label + gaussian(rng)));  // a weaker "network": AUC Φ(1/√2)
  }
  return jets;
}

TEST(Evaluation, TwoFoldBaselineIsOutOfSample) {
  // With one jet per bin, an in-sample baseline would be perfect; scored out
  // of sample it can only be as good as the physics allows.
  ScoredJets jets = toy(400, 3);
  BaselineBinning fine;
  fine.mass_bins = 400, fine.tau21_bins = 400;
  const std::vector<float> s = baseline_scores_two_fold(jets, jets.trimmed_mass, jets.tau21, fine, 1);
  const double a = auc(roc_curve(s, jets.labels, jets.weights));
  EXPECT_LT(a, 0.9);  // mostly undecided (empty bins score 0.5)
  // With sensible bins and many jets it reaches the exact likelihood's ~0.95.
  ScoredJets many = toy(100000, 4);
  const std::vector<float> good_scores =
      baseline_scores_two_fold(many, many.trimmed_mass, many.tau21, BaselineBinning{}, 1);
  const double good = auc(roc_curve(good_scores, many.labels, many.weights));
  EXPECT_GT(good, 0.93);
}

TEST(Evaluation, WritesJsonAndPlot) {
  const std::string dir = testing::scratch_dir("evaluation");
  const ScoredJets jets = toy(20000, 5);
  const auto result = evaluate_against_baseline(jets, "toy network", BaselineBinning{}, 10, 2, dir + "/e.json",
                                                dir + "/roc.png", Json{{"checkpoint", "none"}});
  ASSERT_EQ(result.size(), 2u);
  EXPECT_NEAR(result[0].summary.auc, 0.760, 0.01);  // Φ(1/√2)
  EXPECT_GT(result[1].summary.auc, result[0].summary.auc);  // this baseline beats this toy network
  std::ifstream in(dir + "/e.json");
  const Json report = Json::parse(in);
  EXPECT_EQ(report["checkpoint"], "none");
  ASSERT_EQ(report["taggers"].size(), 2u);
  EXPECT_EQ(report["taggers"][0]["name"], "toy network");
  EXPECT_DOUBLE_EQ(report["taggers"][0]["auc"].get<double>(), result[0].summary.auc);
  EXPECT_GT(report["taggers"][0]["auc_error"].get<double>(), 0.0);
  const Json& roc = report["taggers"][1]["roc"];
  EXPECT_LE(roc["signal_efficiency"].size(), 401u);
  EXPECT_DOUBLE_EQ(roc["signal_efficiency"].back().get<double>(), 1.0);
  EXPECT_EQ(report["jets"]["signal"], 10000);
  EXPECT_GT(std::filesystem::file_size(dir + "/roc.png"), 5000u);
}

TEST(Evaluation, ImageBaselineSitsBetweenNetworkAndConstituents) {
  // Image variables: the constituent ones blurred, as coarse pixels blur them.
  const std::string dir = testing::scratch_dir("evaluation_image");
  ScoredJets jets = toy(20000, 6);
  Random rng(9, 2);
  for (size_t i = 0; i < jets.size(); ++i) {
    jets.image_mass.push_back(jets.trimmed_mass[i] + 12 * gaussian(rng));
    jets.image_tau21.push_back(jets.tau21[i] + 0.1 * gaussian(rng));
  }
  const auto result = evaluate_against_baseline(jets, "toy network", BaselineBinning{}, 10, 2, dir + "/e.json",
                                                dir + "/roc.png", Json::object());
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[1].name, kImageBaselineName);
  EXPECT_EQ(result[2].name, kConstituentBaselineName);
  EXPECT_LT(result[1].summary.auc, result[2].summary.auc - 0.01);  // blurred variables separate less
  EXPECT_GT(result[1].summary.auc, result[0].summary.auc);
  // The image baseline is the constituent one fed the image variables.
  const std::vector<float> direct = baseline_scores_two_fold(jets, jets.image_mass, jets.image_tau21, {}, 2);
  EXPECT_DOUBLE_EQ(result[1].summary.auc, auc(roc_curve(direct, jets.labels, jets.weights)));
  std::ifstream in(dir + "/e.json");
  const Json report = Json::parse(in);
  ASSERT_EQ(report["taggers"].size(), 3u);
  EXPECT_EQ(report["taggers"][1]["name"], kImageBaselineName);
}

}  // namespace
}  // namespace jetimg
