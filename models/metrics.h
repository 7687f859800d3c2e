// Tagger performance: ROC curves, AUC and background rejection, with
// bootstrap uncertainties. Scores are "larger is more signal-like"; weights
// are per-jet event weights.
#pragma once

#include <cstdint>
#include <vector>

namespace jetimg {

struct RocCurve {
  // Points in order of decreasing threshold: signal efficiency ε_S and
  // background efficiency ε_B of the cut score >= threshold.
  std::vector<double> signal_efficiency, background_efficiency, threshold;
};

// The ROC curve of `scores` for `labels` (1 signal, 0 background), with
// `weights` (empty: all 1). Tied scores form one point.
RocCurve roc_curve(const std::vector<float>& scores, const std::vector<int32_t>& labels,
                   const std::vector<float>& weights = {});

// Area under the curve (trapezoids in ε_B): the probability that a signal jet
// scores above a background jet, ties counting one half.
double auc(const RocCurve& roc);

// Background rejection 1/ε_B at signal efficiency `working_point`, by linear
// interpolation of ε_B in ε_S; infinity when no background passes.
double background_rejection(const RocCurve& roc, double working_point);

// The weighted share of jets a cut score >= `threshold` classifies right
// (signal above, background below); for probabilities (σ of a logit, a
// softmax) 0.5 is the usual cut. `weights` empty: all 1.
double accuracy(const std::vector<float>& scores, const std::vector<int32_t>& labels,
                const std::vector<float>& weights, double threshold = 0.5);

struct TaggerSummary {
  double auc = 0, auc_error = 0;
  double accuracy = 0, accuracy_error = 0;  // at score >= 0.5
  double rejection_30 = 0, rejection_30_error = 0;  // 1/ε_B at ε_S = 0.3
  double rejection_50 = 0, rejection_50_error = 0;  // 1/ε_B at ε_S = 0.5
};

// AUC, accuracy and rejections, with standard deviations over `bootstrap` resamplings
// of the jets (with replacement; seeded, deterministic).
TaggerSummary summarise_tagger(const std::vector<float>& scores, const std::vector<int32_t>& labels,
                               const std::vector<float>& weights, int bootstrap = 100, uint64_t seed = 1);

}  // namespace jetimg
