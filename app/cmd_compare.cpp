// `jetimg compare`: a generated shower sample against a reference one (a
// full simulation): every shower shape of both, their distances (W1, W1/σ,
// χ²/ndf), overlaid histograms, the mean shower per layer of each, a JSON
// report and a table on stdout.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/error.h"
#include "io/atomic_output.h"
#include "core/config.h"
#include "io/plot_png.h"
#include "io/showers_file.h"
#include "physics/shower_shapes.h"

namespace jetimg::app {
namespace {

struct CompareOptions {
  std::string reference, generated, output_dir, labels;
  int64_t max_showers = 0;  // 0: all
  int64_t chunk = 10000;
  int bins = 50;
  double threshold = 0;
  bool log_y = false;
};

// One sample read in chunks: its shapes and the sum of its showers per layer.
struct Sample {
  std::string path, role, label;
  int64_t showers = 0;
  ShowerShapes shapes;
  std::vector<std::vector<double>> layer_sums;  // per layer, rows × cols, MeV
};

std::string describe(const std::vector<LayerGeometry>& geometry) {
  std::string s;
  for (const LayerGeometry& g : geometry) s += (s.empty() ? "" : ", ") + std::to_string(g.rows) + "x" + std::to_string(g.cols);
  return s;
}

void read_sample(const ShowersReader& reader, const CompareOptions& o, Sample& sample) {
  sample.showers = o.max_showers > 0 ? std::min(o.max_showers, reader.size()) : reader.size();
  if (sample.showers == 0) fail("'", reader.path(), "' holds no showers");
  ShapeOptions options;
  options.cell_threshold = o.threshold;
  for (const LayerGeometry& g : reader.geometry()) sample.layer_sums.emplace_back(static_cast<size_t>(g.cells()), 0.0);
  Progress progress(sample.role, sample.showers, "showers");
  for (int64_t first = 0; first < sample.showers; first += o.chunk) {
    const int64_t count = std::min(o.chunk, sample.showers - first);
    const ShowerBatch batch = reader.read(first, count);
    sample.shapes.append(compute_shower_shapes(batch, options));
    for (size_t l = 0; l < batch.layers.size(); ++l) {
      const std::vector<float> cells = batch.layers[l].to_vector();
      std::vector<double>& sum = sample.layer_sums[l];
      for (size_t k = 0; k < cells.size(); ++k) sum[k % sum.size()] += cells[k];
    }
    progress.advance(count);
  }
  progress.done();
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

Json sample_json(const Sample& s) {
  return {{"file", s.path}, {"label", s.label}, {"showers", s.showers}};
}

void run_compare(const CompareOptions& o) {
  Sample reference{o.reference, "reference", "", 0, {}, {}}, generated{o.generated, "generated", "", 0, {}, {}};
  if (o.labels.empty()) {
    reference.label = std::filesystem::path(o.reference).filename().string();
    generated.label = std::filesystem::path(o.generated).filename().string();
  } else {
    const size_t comma = o.labels.find(',');
    if (comma == std::string::npos || o.labels.find(',', comma + 1) != std::string::npos)
      fail("--labels '", o.labels, "': expected two names separated by one comma, e.g. \"Geant4,CaloGAN\"");
    reference.label = o.labels.substr(0, comma), generated.label = o.labels.substr(comma + 1);
  }
  refuse_folder_over_inputs({o.reference, o.generated}, o.output_dir, {"*.png", "report.json"});
  const ShowersReader reference_reader(o.reference), generated_reader(o.generated);
  const std::vector<LayerGeometry>& geometry = reference_reader.geometry();
  if (describe(generated_reader.geometry()) != describe(geometry))
    fail("'", o.generated, "' has layers ", describe(generated_reader.geometry()), " but '", o.reference,
         "' has layers ", describe(geometry), ": showers of different calorimeters cannot be compared");
  read_sample(reference_reader, o, reference);
  read_sample(generated_reader, o, generated);
  const std::vector<ShapeDistance> distances = compare_shapes(reference.shapes, generated.shapes, o.bins);

  make_output_folder(o.output_dir);
  const std::string dir = o.output_dir + "/";

  // One histogram per shape, both samples over the same bins.
  const std::string ref_legend = "reference (" + reference.label + ")", gen_legend = "generated (" + generated.label + ")";
  Json shapes = Json::array();
  for (size_t k = 0; k < distances.size(); ++k) {
    const ShapeDistance& d = distances[k];
    HistogramSpec spec;
    spec.title = d.label;
    spec.x_label = with_unit(d.label, d.unit);
    spec.lo = d.binning.lo, spec.hi = d.binning.hi;
    spec.log_y = o.log_y;
    spec.notes = {"W1 = " + number(d.w1) + (d.unit.empty() ? "" : " " + d.unit), "W1/σ_ref = " + number(d.w1_normalised),
                  "χ²/ndf = " + number(d.chi2.chi2) + "/" + std::to_string(d.chi2.ndf)};
    write_histograms_png(dir + d.name + ".png",
                         {{ref_legend, histogram(reference.shapes.columns[k].values, d.binning)},
                          {gen_legend, histogram(generated.shapes.columns[k].values, d.binning)}},
                         spec);
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
  }

  // The mean shower of each sample, layer by layer, with axes in the layer's positions.
  std::vector<CellSize> sizes;
  const std::string unit = position_unit(geometry, ShapeOptions{}, &sizes);
  Json cell_sizes = Json::array();
  for (size_t l = 0; l < geometry.size(); ++l) {
    cell_sizes.push_back({sizes[l].eta, sizes[l].phi});
    for (const Sample* s : {&reference, &generated}) {
      HeatmapSpec spec;
      spec.title = s->role + " (" + s->label + "): mean shower, layer " + std::to_string(l);
      spec.colour_label = "mean energy per cell  (MeV)";
      spec.x_label = "φ position  (" + unit + ")";
      spec.y_label = "η position  (" + unit + ")";
      spec.height = geometry[l].rows, spec.width = geometry[l].cols;
      spec.pixel_eta = static_cast<float>(sizes[l].phi);  // the heat map's x axis runs along the columns
      spec.pixel_phi = static_cast<float>(sizes[l].eta);
      std::vector<double> mean = s->layer_sums[l];
      for (double& v : mean) v /= static_cast<double>(s->showers);
      write_heatmap_png(dir + "mean_layer_" + std::to_string(l) + "_" + s->role + ".png", mean, spec);
    }
  }

  const double summary = mean_normalised_w1(distances);
  Json report = {{"program", "jetimg compare 0.1.0"},
                 {"reference", sample_json(reference)},
                 {"generated", sample_json(generated)},
                 {"geometry", Json::array()},
                 {"position_unit", unit},
                 {"cell_size", cell_sizes},
                 {"cell_threshold_mev", o.threshold},
                 {"bins", o.bins},
                 {"shapes", shapes},
                 {"mean_w1_normalised", summary},
                 {"definitions",
                  {{"w1", "Wasserstein-1 distance between the two samples' distributions, in the shape's unit"},
                   {"w1_normalised", "W1 / std(reference); W1 / std(both) where the reference is constant"},
                   {"chi2", "sum over bins filled in either sample of (N_g a_k - N_r b_k)^2 / (N_r N_g (a_k + b_k)); "
                            "ndf = filled bins - 1"},
                   {"mean_w1_normalised", "mean of w1_normalised over the shapes"}}}};
  for (const LayerGeometry& g : geometry) report["geometry"].push_back({g.rows, g.cols});
  write_json(dir + "report.json", report);

  // Widths in bytes: one more for each two-byte character (±, σ, χ, ²) in a heading.
  std::printf("%-28s %-6s %24s %24s %10s %9s %11s\n", "shape", "unit", "reference mean ± std", "generated mean ± std",
              "W1", "W1/σ", "χ²/ndf");
  for (const ShapeDistance& d : distances)
    std::printf("%-28s %-6s %11.4g ± %-9.3g %11.4g ± %-9.3g %10.4g %8.4f %9.3g\n", d.name.c_str(),
                d.unit.empty() ? "-" : d.unit.c_str(), d.reference.mean, d.reference.std, d.candidate.mean,
                d.candidate.std, d.w1, d.w1_normalised, d.chi2.per_ndf());
  std::printf("%lld reference (%s) and %lld generated (%s) showers: mean W1/σ over %zu shapes %.4f\n",
              static_cast<long long>(reference.showers), reference.label.c_str(),
              static_cast<long long>(generated.showers), generated.label.c_str(), distances.size(), summary);
  std::printf("written to %s: report.json, %zu shape histograms, %zu mean-shower maps\n", dir.c_str(), distances.size(),
              2 * geometry.size());
}

}  // namespace

void add_compare_command(CLI::App& app) {
  static CompareOptions o;
  auto* command = app.add_subcommand(
      "compare", "Shower shapes of generated showers against reference ones: distances, histograms, mean showers");
  command->add_option("reference", o.reference, "showers file of the reference (e.g. Geant4) sample")->required();
  command->add_option("generated", o.generated, "showers file of the generated sample, same calorimeter")->required();
  command->add_option("-o,--output-dir", o.output_dir, "report directory (made if missing; only its own files are replaced)")
      ->required();
  command->add_option("--labels", o.labels, "names of the two samples for legends and titles, \"REFERENCE,GENERATED\"");
  command->add_option("--max-showers", o.max_showers, "use at most N showers of each file (default: all)")
      ->check(kPositiveCount);
  command->add_option("--bins", o.bins, "most histogram bins per shape (plots and χ²)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  command->add_option("--threshold", o.threshold, "MeV: a cell counts as hit (sparsity) above this")
      ->check(finite_range(0.0, 1e9))
      ->capture_default_str();
  command->add_flag("--log-y", o.log_y, "logarithmic y axes on the histograms");
  command->add_option("--chunk", o.chunk, "showers read at a time")->check(kPositiveCount)->capture_default_str();
  command->callback([] { run_compare(o); });
}

}  // namespace jetimg::app
