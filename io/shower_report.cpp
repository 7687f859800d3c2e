// Shower-shape comparison of two showers files and its report folder (see
// io/shower_report.h).
#include "io/shower_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/plot_png.h"
#include "io/showers_file.h"

namespace jetimg {
namespace {

std::string describe(const std::vector<LayerGeometry>& geometry) {
  std::string s;
  for (const LayerGeometry& g : geometry) s += (s.empty() ? "" : ", ") + std::to_string(g.rows) + "x" + std::to_string(g.cols);
  return s;
}

// One sample in chunks, so that files larger than memory compare: the shapes
// of every shower and the sum of the showers per layer.
ShowerSample read_sample(const ShowersReader& reader, const std::string& path, const std::string& role,
                         const std::string& label, const CompareSettings& settings, const CompareProgress& progress) {
  ShowerSample sample{path, role, label, 0, {}, {}};
  sample.showers = settings.max_showers > 0 ? std::min(settings.max_showers, reader.size()) : reader.size();
  if (sample.showers == 0) fail("'", reader.path(), "' holds no showers");
  ShapeOptions options;
  options.cell_threshold = settings.threshold;
  std::vector<std::vector<double>>& sums = sample.mean_layers;
  for (const LayerGeometry& g : reader.geometry()) sums.emplace_back(static_cast<size_t>(g.cells()), 0.0);
  if (progress) progress(role, 0, sample.showers);
  for (int64_t first = 0; first < sample.showers; first += settings.chunk) {
    const int64_t count = std::min(settings.chunk, sample.showers - first);
    const ShowerBatch batch = reader.read(first, count);
    sample.shapes.append(compute_shower_shapes(batch, options));
    for (size_t l = 0; l < batch.layers.size(); ++l) {
      const std::vector<float> cells = batch.layers[l].to_vector();
      std::vector<double>& sum = sums[l];
      for (size_t k = 0; k < cells.size(); ++k) sum[k % sum.size()] += cells[k];
    }
    if (progress) progress(role, first + count, sample.showers);
  }
  for (std::vector<double>& layer : sums)
    for (double& v : layer) v /= static_cast<double>(sample.showers);
  return sample;
}

std::string with_unit(const std::string& label, const std::string& unit) {
  return unit.empty() ? label : label + "  (" + unit + ")";
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

void write_json(const std::string& path, const Json& report) {
  AtomicOutput output(path);
  {
    std::ofstream f(output.temp_path());
    f << report.dump(2) << "\n";
    if (!f) fail("cannot write '", path, "'");
  }
  output.commit();
}

Json sample_json(const ShowerSample& s) {
  return {{"file", s.path}, {"label", s.label}, {"showers", s.showers}};
}

}  // namespace

ShowerReport compare_shower_files(const CompareSettings& settings, const CompareProgress& progress) {
  if (settings.chunk < 1) fail("compare_shower_files: chunk of ", settings.chunk, " showers, expected at least 1");
  if (settings.bins < 1) fail("compare_shower_files: ", settings.bins, " bins, expected at least 1");
  if (settings.max_showers < 0) fail("compare_shower_files: at most ", settings.max_showers, " showers, expected >= 0");
  if (!(settings.threshold >= 0) || std::isinf(settings.threshold))
    fail("compare_shower_files: cell threshold ", settings.threshold, " MeV, expected a finite number >= 0");
  const ShowersReader reference_reader(settings.reference), generated_reader(settings.generated);
  ShowerReport report;
  report.settings = settings;
  report.geometry = reference_reader.geometry();
  if (describe(generated_reader.geometry()) != describe(report.geometry))
    fail("'", settings.generated, "' has layers ", describe(generated_reader.geometry()), " but '",
         settings.reference, "' has layers ", describe(report.geometry),
         ": showers of different calorimeters cannot be compared");
  const auto label = [](const std::optional<std::string>& given, const std::string& path) {
    return given ? *given : std::filesystem::path(path).filename().string();
  };
  report.reference = read_sample(reference_reader, settings.reference, "reference",
                                 label(settings.reference_label, settings.reference), settings, progress);
  report.generated = read_sample(generated_reader, settings.generated, "generated",
                                 label(settings.generated_label, settings.generated), settings, progress);
  report.distances = compare_shapes(report.reference.shapes, report.generated.shapes, settings.bins);
  // Positions in the layers' own units; the threshold plays no part in them.
  report.position_unit = position_unit(report.geometry, ShapeOptions{}, &report.cell_sizes);
  report.mean_w1_normalised = mean_normalised_w1(report.distances);
  return report;
}

Json shower_report_json(const ShowerReport& r) {
  Json shapes = Json::array();
  for (const ShapeDistance& d : r.distances)
    shapes.push_back({{"name", d.name},
                      {"label", d.label},
                      {"unit", d.unit},
                      {"reference", {{"mean", d.reference.mean}, {"std", d.reference.std}}},
                      {"generated", {{"mean", d.candidate.mean}, {"std", d.candidate.std}}},
                      {"w1", d.w1},
                      {"w1_normalised", d.w1_normalised},
                      {"chi2", d.chi2.chi2},
                      {"ndf", d.chi2.ndf},
                      {"chi2_per_ndf", d.chi2.per_ndf()},
                      {"histogram", {{"lo", d.binning.lo}, {"hi", d.binning.hi}, {"bins", d.binning.bins}}},
                      {"plot", d.name + ".png"}});
  Json cell_sizes = Json::array();
  for (const CellSize& size : r.cell_sizes) cell_sizes.push_back({size.eta, size.phi});
  Json report = {{"program", "jetimg compare 0.1.0"},
                 {"reference", sample_json(r.reference)},
                 {"generated", sample_json(r.generated)},
                 {"geometry", Json::array()},
                 {"position_unit", r.position_unit},
                 {"cell_size", cell_sizes},
                 {"cell_threshold_mev", r.settings.threshold},
                 {"bins", r.settings.bins},
                 {"shapes", shapes},
                 {"mean_w1_normalised", r.mean_w1_normalised},
                 {"definitions",
                  {{"w1", "Wasserstein-1 distance between the two samples' distributions, in the shape's unit"},
                   {"w1_normalised", "W1 / std(reference); W1 / std(both) where the reference is constant"},
                   {"chi2", "sum over bins filled in either sample of (N_g a_k - N_r b_k)^2 / (N_r N_g (a_k + b_k)); "
                            "ndf = filled bins - 1"},
                   {"mean_w1_normalised", "mean of w1_normalised over the shapes"}}}};
  for (const LayerGeometry& g : r.geometry) report["geometry"].push_back({g.rows, g.cols});
  return report;
}

void write_shower_report(const std::string& output_dir, const ShowerReport& r) {
  const std::string dir = output_dir + "/";
  if (r.reference.shapes.columns.size() != r.distances.size() ||
      r.generated.shapes.columns.size() != r.distances.size() || r.cell_sizes.size() != r.geometry.size())
    fail("write_shower_report '", output_dir, "': the report's shapes, distances and layers do not match");

  // One histogram per shape, both samples over the same bins.
  const std::string ref_legend = "reference (" + r.reference.label + ")",
                    gen_legend = "generated (" + r.generated.label + ")";
  for (size_t k = 0; k < r.distances.size(); ++k) {
    const ShapeDistance& d = r.distances[k];
    HistogramSpec spec;
    spec.title = d.label;
    spec.x_label = with_unit(d.label, d.unit);
    spec.lo = d.binning.lo, spec.hi = d.binning.hi;
    spec.log_y = r.settings.log_y;
    spec.notes = {"W1 = " + number(d.w1) + (d.unit.empty() ? "" : " " + d.unit), "W1/σ_ref = " + number(d.w1_normalised),
                  "χ²/ndf = " + number(d.chi2.chi2) + "/" + std::to_string(d.chi2.ndf)};
    write_histograms_png(dir + d.name + ".png",
                         {{ref_legend, histogram(r.reference.shapes.columns[k].values, d.binning)},
                          {gen_legend, histogram(r.generated.shapes.columns[k].values, d.binning)}},
                         spec);
  }

  // The mean shower of each sample, layer by layer, with axes in the layer's positions.
  for (size_t l = 0; l < r.geometry.size(); ++l) {
    for (const ShowerSample* s : {&r.reference, &r.generated}) {
      HeatmapSpec spec;
      spec.title = s->role + " (" + s->label + "): mean shower, layer " + std::to_string(l);
      spec.colour_label = "mean energy per cell  (MeV)";
      spec.x_label = "φ position  (" + r.position_unit + ")";
      spec.y_label = "η position  (" + r.position_unit + ")";
      spec.height = r.geometry[l].rows, spec.width = r.geometry[l].cols;
      spec.pixel_eta = static_cast<float>(r.cell_sizes[l].phi);  // the heat map's x axis runs along the columns
      spec.pixel_phi = static_cast<float>(r.cell_sizes[l].eta);
      write_heatmap_png(dir + "mean_layer_" + std::to_string(l) + "_" + s->role + ".png", s->mean_layers[l], spec);
    }
  }
  write_json(dir + "report.json", shower_report_json(r));
}

}  // namespace jetimg
