// A tagger's evaluation on test jets, beside the physics baseline on the same
// jets: ROC curve, AUC and background rejection at ε_S = 0.3 and 0.5 with
// bootstrap uncertainties, as JSON and as a ROC plot.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/metrics.h"

namespace jetimg {

// Test jets with one score each (larger = more signal-like) and the
// substructure variables of the baselines: the trimmed mass and τ21 of the
// jet's constituents, and the same two measured on the jet's image
// (physics/image_substructure.h; empty where no images were read).
struct ScoredJets {
  std::vector<float> scores;
  std::vector<int32_t> labels;  // 1 signal, 0 background
  std::vector<float> weights;   // per-jet weights (event weights)
  std::vector<double> trimmed_mass, tau21;
  std::vector<double> image_mass, image_tau21;
  size_t size() const { return labels.size(); }
};

class Context;

// Scores the signal (label 1) and background (label 0) test images files
// with a checkpoint, and reads each jet's weight, trimmed mass and τ21 beside
// them, and measures mass and τ21 on each image's intensity channel (none
// for images without one: then `image_mass` stays empty). A network with one output gives its score; with one per class, the
// signal class's. Error naming the file and image for a non-finite score.
// For a particle-cloud tagger the files are jets files: the weight, trimmed
// mass and τ21 come from them, and there is no image to measure.
ScoredJets score_test_images(Context& ctx, const std::string& checkpoint, const std::string& signal,
                             const std::string& background, int64_t batch,
                             const std::function<void(int64_t)>& on_batch = {});

// The baselines' names in tables, plots and JSON.
inline constexpr const char* kImageBaselineName = "image mass + tau21 likelihood";
inline constexpr const char* kConstituentBaselineName = "trimmed mass + tau21 likelihood";

struct BaselineBinning {
  int mass_bins = 40;
  double mass_min = 0, mass_max = 200;  // GeV
  int tau21_bins = 25;
  double tau21_min = 0, tau21_max = 1;
};

// The mass+τ21 likelihood-ratio baseline scored out of sample: the jets are
// split in two halves at random (seeded); each half is scored with the
// histograms filled from the other half. `mass` and `tau21` are one of the
// two pairs of ScoredJets (constituents or image).
std::vector<float> baseline_scores_two_fold(const ScoredJets& jets, const std::vector<double>& mass,
                                            const std::vector<double>& tau21, const BaselineBinning& binning,
                                            uint64_t seed);

struct TaggerEvaluation {
  std::string name;
  TaggerSummary summary;
  RocCurve roc;
};

// The JSON of one evaluation: figures with errors and the ROC curve thinned
// to at most `max_points` points.
Json to_json(const TaggerEvaluation& e, size_t max_points = 400);

// Evaluates the tagger's scores and the baselines on `jets` (the image
// baseline where the jets carry image variables, then the constituent one),
// writes `json_path` (every tagger's figures and curves, plus `extra`) and
// `png_path` (their ROC curves), and returns the evaluations (tagger first).
std::vector<TaggerEvaluation> evaluate_against_baseline(const ScoredJets& jets, const std::string& tagger_name,
                                                        const BaselineBinning& binning, int bootstrap, uint64_t seed,
                                                        const std::string& json_path, const std::string& png_path,
                                                        const Json& extra);

// A table of the figures, one tagger a line, for the terminal.
std::string evaluation_table(const std::vector<TaggerEvaluation>& evaluations);

}  // namespace jetimg
