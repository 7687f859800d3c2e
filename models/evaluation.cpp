#include "models/evaluation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <utility>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/images_file.h"
#include "io/preprocess_config.h"
#include "io/plot_png.h"
#include "models/likelihood_baseline.h"
#include "models/predict.h"
#include "io/datasets.h"
#include "io/jets_reader.h"
#include "physics/image_substructure.h"
#include "physics/random.h"

namespace jetimg {
namespace {

// Mass and τ21 of every image in `reader`, measured on its intensity
// channel with the geometry and zoom of the preprocessing that made it.
// Images without an intensity channel (charged and neutral channels, each
// normalised on its own, cannot be added back up) add nothing.
void measure_images(const ImagesReader& reader, const ImageAux& aux, std::vector<double>& mass,
                    std::vector<double>& tau21) {
  const ImagingConfig config = imaging_config_from(reader.preprocessing(), reader.path());
  const PreprocessConfig& p = config.preprocess;
  int channel = -1;
  for (int c = 0; c < p.pixels.channels && channel < 0; ++c)
    if (p.pixels.kinds[c] == ChannelKind::Intensity) channel = c;
  if (channel < 0) return;
  const int64_t plane = int64_t(reader.height()) * reader.width();
  const ImageGeometry geometry{reader.height(), reader.width(), p.pixels.pixel_eta, p.pixels.pixel_phi};
  const int64_t n = reader.size(), chunk = 4096, floats = reader.image_floats();
  std::vector<float> images;
  const size_t first = mass.size();
  mass.resize(first + static_cast<size_t>(n));
  tau21.resize(first + static_cast<size_t>(n));
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t count = std::min(chunk, n - begin);
    images.resize(static_cast<size_t>(count * floats));
    reader.read_images(begin, count, images.data());
#pragma omp parallel for schedule(dynamic, 64)
    for (int64_t i = 0; i < count; ++i) {
      const size_t k = static_cast<size_t>(begin + i);
      const double pt = aux.pt[k];
      const double zoom = zoom_factor(p.frame, static_cast<double>(static_cast<float>(pt)));
      const ImageSubstructure s = image_substructure(images.data() + i * floats + channel * plane, geometry, pt, zoom);
      mass[first + k] = s.mass;
      tau21[first + k] = s.tau21;
    }
  }
}

// A particle-cloud tagger's scores on a jets file, with each jet's weight,
// trimmed mass and τ21 from the file (no image to measure them on).
void score_jets_file(Context& ctx, const std::string& checkpoint, const std::string& path, int32_t label,
                     int64_t batch, const std::function<void(int64_t)>& on_batch, ScoredJets& jets) {
  const Predictions p = predict(ctx, checkpoint, path, batch, on_batch);
  const JetsReader reader(path);
  if (p.images != reader.size()) fail("'", path, "': scored ", p.images, " of ", reader.size(), " jets");
  for (int64_t begin = 0; begin < reader.size(); begin += 65536) {
    const ImageAux t = reader.read_aux(begin, std::min<int64_t>(65536, reader.size() - begin));
    for (int64_t i = 0; i < static_cast<int64_t>(t.size()); ++i) {
      const size_t k = static_cast<size_t>(i);
      const float score = p.outputs == 1 ? p.score(begin + i) : p.score(begin + i, 1);
      if (!std::isfinite(score)) fail("'", path, "', jet ", begin + i, ": the network's score is not finite (", score, ")");
      jets.scores.push_back(score);
      jets.labels.push_back(label);
      jets.weights.push_back(t.weight[k]);
      jets.trimmed_mass.push_back(t.trimmed_mass[k]);
      jets.tau21.push_back(t.tau21[k]);
    }
  }
}

}  // namespace

ScoredJets score_test_images(Context& ctx, const std::string& checkpoint, const std::string& signal,
                             const std::string& background, int64_t batch,
                             const std::function<void(int64_t)>& on_batch) {
  ScoredJets jets;
  for (const auto& [path, label] : {std::pair<std::string, int32_t>{signal, 1}, {background, 0}}) {
    if (stored_format(path) == "jetimg-jets") {
      score_jets_file(ctx, checkpoint, path, label, batch, on_batch, jets);
      continue;
    }
    const ImagesReader reader(path);
    if (reader.size() == 0) fail("'", path, "' holds no images");
    if (!reader.has_tau())
      fail("'", path, "' holds no tau21 (an images file of version 1), which the mass + tau21 baseline needs; "
           "make the images again with jetimg preprocess");
    const Predictions p = predict(ctx, checkpoint, path, batch, on_batch);
    if (p.images != reader.size()) fail("'", path, "': scored ", p.images, " of ", reader.size(), " images");
    const ImageAux aux = reader.read_aux(0, reader.size());
    measure_images(reader, aux, jets.image_mass, jets.image_tau21);
    for (int64_t i = 0; i < p.images; ++i) {
      const float score = p.outputs == 1 ? p.score(i) : p.score(i, 1);
      if (!std::isfinite(score)) fail("'", path, "', image ", i, ": the network's score is not finite (", score, ")");
      const size_t k = static_cast<size_t>(i);
      jets.scores.push_back(score);
      jets.labels.push_back(label);
      jets.weights.push_back(aux.weight[k]);
      jets.trimmed_mass.push_back(aux.trimmed_mass[k]);
      jets.tau21.push_back(aux.tau21[k]);
    }
  }
  if (jets.image_mass.size() != jets.size()) jets.image_mass.clear(), jets.image_tau21.clear();
  return jets;
}

std::vector<float> baseline_scores_two_fold(const ScoredJets& jets, const std::vector<double>& mass,
                                            const std::vector<double>& tau21, const BaselineBinning& b,
                                            uint64_t seed) {
  const size_t n = jets.size();
  if (mass.size() != n || tau21.size() != n) fail("baseline: need the mass and τ21 of every jet");
  std::vector<int> fold(n);
  Random rng(seed, 0x5eed);
  for (size_t i = 0; i < n; ++i) fold[i] = rng.uniform() < 0.5 ? 0 : 1;
  std::vector<float> scores(n, 0.5f);
  for (int f = 0; f < 2; ++f) {
    std::vector<double> fit_m, fit_t, score_m, score_t;
    std::vector<int32_t> fit_l;
    std::vector<float> fit_w;
    std::vector<size_t> scored;
    for (size_t i = 0; i < n; ++i) {
      if (fold[i] != f) {
        fit_m.push_back(mass[i]), fit_t.push_back(tau21[i]);
        fit_l.push_back(jets.labels[i]), fit_w.push_back(jets.weights.empty() ? 1.0f : jets.weights[i]);
      } else {
        score_m.push_back(mass[i]), score_t.push_back(tau21[i]);
        scored.push_back(i);
      }
    }
    LikelihoodBaseline baseline({b.mass_bins, b.mass_min, b.mass_max}, {b.tau21_bins, b.tau21_min, b.tau21_max});
    baseline.fit(fit_m, fit_t, fit_l, fit_w);
    const std::vector<float> s = baseline.score(score_m, score_t);
    for (size_t k = 0; k < scored.size(); ++k) scores[scored[k]] = s[k];
  }
  return scores;
}

Json to_json(const TaggerEvaluation& e, size_t max_points) {
  const auto finite_or_null = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  Json curve = {{"signal_efficiency", Json::array()}, {"background_efficiency", Json::array()}};
  const size_t n = e.roc.signal_efficiency.size();
  const size_t step = n > max_points ? (n + max_points - 1) / max_points : 1;
  for (size_t i = 0; i < n; i += step) {
    curve["signal_efficiency"].push_back(e.roc.signal_efficiency[i]);
    curve["background_efficiency"].push_back(e.roc.background_efficiency[i]);
  }
  if (n > 0 && (n - 1) % step != 0) {  // keep the end point (1, 1)
    curve["signal_efficiency"].push_back(e.roc.signal_efficiency.back());
    curve["background_efficiency"].push_back(e.roc.background_efficiency.back());
  }
  const TaggerSummary& s = e.summary;
  return {{"name", e.name},
          {"auc", s.auc},
          {"auc_error", s.auc_error},
          {"accuracy", s.accuracy},
          {"accuracy_error", s.accuracy_error},
          {"rejection_at_eff_s_0.3", finite_or_null(s.rejection_30)},
          {"rejection_at_eff_s_0.3_error", finite_or_null(s.rejection_30_error)},
          {"rejection_at_eff_s_0.5", finite_or_null(s.rejection_50)},
          {"rejection_at_eff_s_0.5_error", finite_or_null(s.rejection_50_error)},
          {"roc", curve}};
}

std::vector<TaggerEvaluation> evaluate_against_baseline(const ScoredJets& jets, const std::string& tagger_name,
                                                        const BaselineBinning& binning, int bootstrap, uint64_t seed,
                                                        const std::string& json_path, const std::string& png_path,
                                                        const Json& extra) {
  std::vector<TaggerEvaluation> out;
  const auto add = [&](const std::string& name, const std::vector<float>& scores) {
    TaggerEvaluation e;
    e.name = name;
    e.roc = roc_curve(scores, jets.labels, jets.weights);
    e.summary = summarise_tagger(scores, jets.labels, jets.weights, bootstrap, seed);
    out.push_back(std::move(e));
  };
  add(tagger_name, jets.scores);
  if (!jets.image_mass.empty())
    add(kImageBaselineName, baseline_scores_two_fold(jets, jets.image_mass, jets.image_tau21, binning, seed));
  add(kConstituentBaselineName, baseline_scores_two_fold(jets, jets.trimmed_mass, jets.tau21, binning, seed));

  Json report = extra;
  report["taggers"] = Json::array();
  for (const TaggerEvaluation& e : out) report["taggers"].push_back(to_json(e));
  report["baseline_binning"] = {{"mass_bins", binning.mass_bins},   {"mass_min", binning.mass_min},
                                {"mass_max", binning.mass_max},     {"tau21_bins", binning.tau21_bins},
                                {"tau21_min", binning.tau21_min},   {"tau21_max", binning.tau21_max},
                                {"fit", "two-fold: each half scored with histograms from the other"},
                                {"variables", {{kImageBaselineName, "mass and tau21 of the image's intensity pixels as massless particles at the pixel centres, scaled to the trimmed jet's pT, zoom undone"},
                                               {kConstituentBaselineName, "trimmed mass and tau21 of the trimmed jet's constituents"}}}};
  report["bootstrap"] = bootstrap;
  report["jets"] = {{"signal", std::count(jets.labels.begin(), jets.labels.end(), 1)},
                    {"background", std::count(jets.labels.begin(), jets.labels.end(), 0)}};
  if (!json_path.empty()) {
    AtomicOutput output(json_path);
    {
      std::ofstream f(output.temp_path());
      f << report.dump(2) << "\n";
      if (!f) fail("cannot write '", json_path, "'");
    }
    output.commit();
  }
  if (!png_path.empty()) {
    std::vector<RocSeries> series;
    for (const TaggerEvaluation& e : out) {
      char label[160];
      std::snprintf(label, sizeof label, "%s (AUC %.3f)", e.name.c_str(), e.summary.auc);
      series.push_back({label, e.roc.signal_efficiency, e.roc.background_efficiency});
    }
    write_roc_png(png_path, series, "ROC: signal efficiency against background rejection");
  }
  return out;
}

std::string evaluation_table(const std::vector<TaggerEvaluation>& evaluations) {
  char line[256];
  std::snprintf(line, sizeof line, "%-36s %17s %17s %21s %21s\n", "tagger", "AUC", "accuracy",
                "1/eps_B @ eps_S=0.3", "1/eps_B @ eps_S=0.5");
  std::string out = line;
  for (const TaggerEvaluation& e : evaluations) {
    const TaggerSummary& s = e.summary;
    std::snprintf(line, sizeof line, "%-36s %8.4f ± %-6.4f %8.4f ± %-6.4f %12.1f ± %-6.1f %12.1f ± %-6.1f\n",
                  e.name.c_str(), s.auc, s.auc_error, s.accuracy, s.accuracy_error, s.rejection_30,
                  s.rejection_30_error, s.rejection_50, s.rejection_50_error);
    out += line;
  }
  return out;
}

}  // namespace jetimg
