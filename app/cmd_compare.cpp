// `jetimg compare`: a generated shower sample against a reference one (a
// full simulation): every shower shape of both, their distances (W1, W1/σ,
// χ²/ndf), overlaid histograms, the mean shower per layer of each, a JSON
// report and a table on stdout.
#include <cstdio>
#include <optional>

#include "app/commands.h"
#include "app/progress.h"
#include "core/error.h"
#include "io/outputs.h"
#include "io/shower_report.h"

namespace jetimg::app {
namespace {

struct CompareOptions {
  std::string reference, generated, output_dir, labels, device = "auto";
  int64_t max_showers = 0;  // 0: all
  int64_t batch = 10000;
  int bins = 50;
  double threshold = 0;
  bool log_y = false;
  int threads = 0;
};

void run_compare(const CompareOptions& o) {
  apply_threads(o.threads);
  check_cpu_device(o.device);
  CompareSettings settings;
  settings.reference = o.reference, settings.generated = o.generated;
  settings.max_showers = o.max_showers, settings.chunk = o.batch, settings.bins = o.bins;
  settings.threshold = o.threshold, settings.log_y = o.log_y;
  if (!o.labels.empty()) {
    const size_t comma = o.labels.find(',');
    if (comma == std::string::npos || o.labels.find(',', comma + 1) != std::string::npos)
      fail("--labels '", o.labels, "': expected two names separated by one comma, e.g. \"Geant4,CaloGAN\"");
    settings.reference_label = o.labels.substr(0, comma), settings.generated_label = o.labels.substr(comma + 1);
  }
  refuse_folder_over_inputs({o.reference, o.generated}, o.output_dir, {"*.png", "report.json"});
  std::optional<Progress> bar;
  int64_t shown = 0;
  const ShowerReport r = compare_shower_files(settings, [&](const std::string& role, int64_t done, int64_t total) {
    if (done == 0) {  // a sample starts: a bar of its own
      bar.emplace(role, total, "showers");
      shown = 0;
      return;
    }
    bar->advance(done - shown);
    shown = done;
    if (done == total) bar->done();
  });

  make_output_folder(o.output_dir);
  const std::string dir = o.output_dir + "/";
  write_shower_report(o.output_dir, r);

  // Widths in bytes: one more for each two-byte character (±, σ, χ, ²) in a heading.
  std::printf("%-28s %-6s %24s %24s %10s %9s %11s\n", "shape", "unit", "reference mean ± std", "generated mean ± std",
              "W1", "W1/σ", "χ²/ndf");
  for (const ShapeDistance& d : r.distances)
    std::printf("%-28s %-6s %11.4g ± %-9.3g %11.4g ± %-9.3g %10.4g %8.4f %9.3g\n", d.name.c_str(),
                d.unit.empty() ? "-" : d.unit.c_str(), d.reference.mean, d.reference.std, d.candidate.mean,
                d.candidate.std, d.w1, d.w1_normalised, d.chi2.per_ndf());
  std::printf("%lld reference (%s) and %lld generated (%s) showers: mean W1/σ over %zu shapes %.4f\n",
              static_cast<long long>(r.reference.showers), r.reference.label.c_str(),
              static_cast<long long>(r.generated.showers), r.generated.label.c_str(), r.distances.size(),
              r.mean_w1_normalised);
  std::printf("written to %s: report.json, %zu shape histograms, %zu mean-shower maps\n", dir.c_str(),
              r.distances.size(), 2 * r.geometry.size());
}

}  // namespace

void add_compare_command(CLI::App& app) {
  static CompareOptions o;
  auto* command = app.add_subcommand(
      "compare", "Shower shapes of generated showers against reference ones: distances, histograms, mean showers");
  command->add_option("reference", o.reference, "showers file of the reference (e.g. Geant4) sample")->required();
  command->add_option("generated", o.generated, "showers file of the generated sample, same calorimeter")->required();
  auto* output_dir = command->add_option("--output-dir", o.output_dir,
                                         "report directory (made if missing; only its own files are replaced)")
                         ->required();
  add_old_spelling(*command, output_dir, "-o");
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
  auto* batch =
      command->add_option("--batch", o.batch, "showers read at a time")->check(kPositiveCount)->capture_default_str();
  add_old_spelling(*command, batch, "--chunk");
  add_cpu_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_compare(o); });
}

}  // namespace jetimg::app
