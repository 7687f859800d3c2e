// ROC curve, AUC, background rejection and the likelihood-ratio baseline,
// against hand-counted values and against closed forms for Gaussian scores.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "models/likelihood_baseline.h"
#include "models/metrics.h"
#include "physics/random.h"

namespace jetimg {
namespace {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double gaussian(Random& rng) {  // Box–Muller, independent of the code under test
  return std::sqrt(-2.0 * std::log(rng.uniform())) * std::cos(2.0 * M_PI * rng.uniform());
}

TEST(Roc, HandCountedExample) {
  // Signal scores 0.9, 0.8, 0.6; background 0.7, 0.5, 0.4. Of the 9
  // signal–background pairs, 8 have the signal jet above.
  const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f};
  const std::vector<int32_t> labels = {1, 1, 0, 1, 0, 0};
  const RocCurve roc = roc_curve(scores, labels);
  const std::vector<double> es = {0, 1. / 3, 2. / 3, 2. / 3, 1, 1, 1};
  const std::vector<double> eb = {0, 0, 0, 1. / 3, 1. / 3, 2. / 3, 1};
  ASSERT_EQ(roc.signal_efficiency.size(), es.size());
  for (size_t i = 0; i < es.size(); ++i) {
    EXPECT_NEAR(roc.signal_efficiency[i], es[i], 1e-12) << i;
    EXPECT_NEAR(roc.background_efficiency[i], eb[i], 1e-12) << i;
  }
  EXPECT_NEAR(auc(roc), 8.0 / 9.0, 1e-12);
  // At ε_S = 0.5 (between the first two points) no background passes.
  EXPECT_TRUE(std::isinf(background_rejection(roc, 0.5)));
  // ε_S = 5/6 lies half-way between (2/3, 1/3) and (1, 1/3): ε_B = 1/3.
  EXPECT_NEAR(background_rejection(roc, 5.0 / 6.0), 3.0, 1e-9);
}

TEST(Roc, TiesCountOneHalfAndWeightsActLikeCopies) {
  EXPECT_NEAR(auc(roc_curve({0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 1, 0})), 0.5, 1e-12);
  // Weight 2 on one jet is the same as that jet twice.
  const RocCurve weighted = roc_curve({0.9f, 0.3f, 0.6f, 0.1f}, {1, 1, 0, 0}, {2, 1, 1, 1});
  const RocCurve copied = roc_curve({0.9f, 0.9f, 0.3f, 0.6f, 0.1f}, {1, 1, 1, 0, 0});
  EXPECT_NEAR(auc(weighted), auc(copied), 1e-12);
  EXPECT_NEAR(auc(weighted), (2 * 2 + 1 * 1) / 6.0, 1e-12);  // 0.9 beats both, 0.3 beats 0.1 only
}

TEST(Roc, BadInputIsAnError) {
  EXPECT_THROW(roc_curve({0.1f, 0.2f}, {1, 2}), Error);
  EXPECT_THROW(roc_curve({0.1f, NAN}, {1, 0}), Error);
  EXPECT_THROW(roc_curve({0.1f, 0.2f}, {1, 1}), Error);  // no background
  EXPECT_THROW(roc_curve({0.1f, 0.2f}, {1}), Error);
  EXPECT_THROW(roc_curve({0.1f, 0.2f}, {1, 0}, {1, -1}), Error);
}

// Signal scores N(1, 1), background N(0, 1): AUC = Φ(1/√2), and the cut at
// the signal median (ε_S = 0.5) keeps ε_B = 1 - Φ(1) of the background.
TEST(Accuracy, WeightedShareClassifiedRightByHand) {
  // Right: 0.9 (signal), 0.2 (background), 0.5 (signal: the cut is >=); wrong: 0.6 (background), 0.4 (signal).
  EXPECT_DOUBLE_EQ(accuracy({0.9f, 0.2f, 0.6f, 0.4f, 0.5f}, {1, 0, 0, 1, 1}, {1, 2, 3, 4, 5}), 8.0 / 15.0);
  EXPECT_DOUBLE_EQ(accuracy({0.9f, 0.2f, 0.6f, 0.4f}, {1, 0, 0, 1}, {}), 0.5);
  EXPECT_DOUBLE_EQ(accuracy({0.9f, 0.2f}, {1, 0}, {}, 0.95), 0.5);
  EXPECT_THROW(accuracy({0.9f}, {1, 0}, {}), Error);
}

TEST(Roc, GaussianScoresMatchTheClosedForm) {
  const size_t n = 200000;
  Random rng(7, 0);
  std::vector<float> scores;
  std::vector<int32_t> labels;
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 2);
    scores.push_back(static_cast<float>(gaussian(rng) + label));
    labels.push_back(label);
  }
  const TaggerSummary s = summarise_tagger(scores, labels, {}, 20, 3);
  const double want_auc = normal_cdf(1 / std::sqrt(2.0));  // 0.7602
  EXPECT_NEAR(s.auc, want_auc, 0.004);
  EXPECT_NEAR(s.rejection_50, 1 / (1 - normal_cdf(1.0)), 0.15);  // 6.30
  EXPECT_NEAR(s.rejection_30, 1 / (1 - normal_cdf(1 + 0.5244005)), 0.5);  // cut at 1 + Φ⁻¹(0.7): 15.7
  // The bootstrap spread against Hanley & McNeil's standard error of the AUC.
  const double a = want_auc, q1 = a / (2 - a), q2 = 2 * a * a / (1 + a), m = n / 2.0;
  const double se = std::sqrt((a * (1 - a) + (m - 1) * (q1 - a * a) + (m - 1) * (q2 - a * a)) / (m * m));
  EXPECT_GT(s.auc_error, 0.5 * se);
  EXPECT_LT(s.auc_error, 2.0 * se);
  // Accuracy at 0.5: each class is right with probability Φ(0.5); binomial error.
  EXPECT_NEAR(s.accuracy, normal_cdf(0.5), 0.004);
  const double acc_se = std::sqrt(normal_cdf(0.5) * (1 - normal_cdf(0.5)) / n);
  EXPECT_GT(s.accuracy_error, 0.5 * acc_se);
  EXPECT_LT(s.accuracy_error, 2.0 * acc_se);
  EXPECT_GT(s.rejection_50_error, 0.0);
}

// Independent Gaussians in x and y with different means for signal and
// background: the binned likelihood ratio must tag as well as the exact one.
TEST(LikelihoodBaseline, ApproachesTheExactLikelihoodRatio) {
  Random rng(11, 0);
  const auto sample = [&](size_t n, std::vector<double>& x, std::vector<double>& y, std::vector<int32_t>& l) {
    for (size_t i = 0; i < n; ++i) {
      const int label = static_cast<int>(i % 2);
      x.push_back(label ? 80 + 8 * gaussian(rng) : 50 + 25 * gaussian(rng));  // "mass"
      y.push_back(label ? 0.3 + 0.1 * gaussian(rng) : 0.6 + 0.15 * gaussian(rng));  // "τ21"
      l.push_back(label);
    }
  };
  std::vector<double> tx, ty, vx, vy;
  std::vector<int32_t> tl, vl;
  sample(100000, tx, ty, tl);
  sample(100000, vx, vy, vl);
  LikelihoodBaseline baseline({40, 0, 200}, {25, 0, 1.2});
  baseline.fit(tx, ty, tl, {});
  const double got = auc(roc_curve(baseline.score(vx, vy), vl));
  std::vector<float> exact;
  const auto log_pdf = [](double v, double mu, double sigma) {
    return -0.5 * (v - mu) * (v - mu) / (sigma * sigma) - std::log(sigma);
  };
  for (size_t i = 0; i < vx.size(); ++i)
    exact.push_back(static_cast<float>(log_pdf(vx[i], 80, 8) + log_pdf(vy[i], 0.3, 0.1) -
                                       log_pdf(vx[i], 50, 25) - log_pdf(vy[i], 0.6, 0.15)));
  const double best = auc(roc_curve(exact, vl));
  EXPECT_GT(best, 0.9);  // the toy is a real tagging problem, not a trivial one
  EXPECT_LT(best, 0.995);
  EXPECT_NEAR(got, best, 0.005);
  // One variable alone does worse: the baseline really combines the two.
  LikelihoodBaseline mass_only({40, 0, 200}, {1, 0, 1.2});
  mass_only.fit(tx, ty, tl, {});
  EXPECT_LT(auc(roc_curve(mass_only.score(vx, vy), vl)), best - 0.02);
}

TEST(LikelihoodBaseline, EdgeCases) {
  EXPECT_THROW(LikelihoodBaseline({0, 0, 1}, {1, 0, 1}), Error);
  EXPECT_THROW(LikelihoodBaseline({2, 1, 1}, {1, 0, 1}), Error);
  LikelihoodBaseline b({2, 0, 2}, {1, 0, 1});
  EXPECT_THROW(b.score({1.0}, {0.5}), Error);  // before fit
  EXPECT_THROW(b.fit({0.5, 1.5}, {0.5, 0.5}, {1, 1}, {}), Error);  // no background
  b.fit({0.5, 1.5, 1.5}, {0.5, 0.5, 0.5}, {1, 0, 1}, {});
  // Bin 0: signal density 1/2, background 0 -> 1. Bin 1: 1/2 and 1 -> 1/3.
  // Out of range folds into the edge bins; NaN is undecided.
  const std::vector<float> s = b.score({0.2, 1.7, -5, 9, NAN}, {0.5, 0.5, 0.5, 0.5, 0.5});
  EXPECT_FLOAT_EQ(s[0], 1.0f);
  EXPECT_FLOAT_EQ(s[1], 1.0f / 3);
  EXPECT_FLOAT_EQ(s[2], 1.0f);
  EXPECT_FLOAT_EQ(s[3], 1.0f / 3);
  EXPECT_FLOAT_EQ(s[4], 0.5f);
}

}  // namespace
}  // namespace jetimg
