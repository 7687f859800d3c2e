// `jetimg demo`: the main job on built-in data. Generates W and QCD events,
// clusters them, writes the jets files, turns the jets into images on the
// device and draws the average images; prints the rate of each stage, the
// jets kept, and the trimmed-mass distribution of each sample.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "app/commands.h"
#include "app/imaging.h"
#include "app/progress.h"
#include "core/device.h"
#include "io/jets_file.h"
#include "io/plot_png.h"
#include "io/run_config.h"

namespace jetimg::app {
namespace {

struct DemoOptions {
  std::string config = JETIMG_SOURCE_DIR "/configs/demo.json";
  std::string output_dir = "out/demo";
  std::string device = "auto";
  std::string images = "w";  // preprocessing config or convention
  int64_t events = 0;
  int threads = 0;
};

struct SampleSummary {
  std::string name;
  int64_t events = 0, kept = 0;
  double generate_seconds = 0, cluster_seconds = 0, write_seconds = 0;
  std::vector<double> trimmed_mass;  // sorted
};

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const double position = fraction * (sorted.size() - 1);
  const size_t lo = static_cast<size_t>(position);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

SampleSummary run_sample(Process process, const RunConfig& run, int64_t events, const std::string& dir) {
  SampleSummary s;
  s.name = process_name(process);
  s.events = events;
  const GeneratorConfig generator = generator_config(run, process);
  const JetConfig& jets = jet_config(run, process);

  auto start = std::chrono::steady_clock::now();
  const std::vector<Event> generated = generate_events(generator, run.seed, 0, events);
  s.generate_seconds = seconds_since(start);

  start = std::chrono::steady_clock::now();
  std::vector<std::optional<Jet>> found = leading_jets(generated, jets);
  s.cluster_seconds = seconds_since(start);

  start = std::chrono::steady_clock::now();
  std::vector<Jet> kept;
  std::vector<int64_t> indices;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!found[i]) continue;
    s.trimmed_mass.push_back(found[i]->trimmed.m());
    kept.push_back(std::move(*found[i]));
    indices.push_back(static_cast<int64_t>(i));
  }
  s.kept = static_cast<int64_t>(kept.size());
  const Json provenance = {{"process", s.name}, {"seed", run.seed}, {"events", events},
                           {"generator", to_json(generator)}, {"jets", to_json(jets)},
                           {"program", "jetimg demo 0.1.0"}, {"config", run.source}};
  JetsWriter writer(dir + "/" + s.name + "_jets.h5", jets.max_constituents, jets.max_subjets, provenance);
  writer.write(kept, process == Process::QCD ? 0 : 1, std::vector<float>(kept.size(), 1.0f), indices);
  writer.finish();
  s.write_seconds = seconds_since(start);
  std::sort(s.trimmed_mass.begin(), s.trimmed_mass.end());
  return s;
}

void print_mass_histogram(const std::vector<SampleSummary>& samples) {
  constexpr double kBin = 10, kMax = 200;
  constexpr int kBins = static_cast<int>(kMax / kBin), kWidth = 28;
  std::printf("\ntrimmed jet mass, fraction of jets per %g GeV (last bin: overflow)\n", kBin);
  std::printf("%-10s", "mass");
  for (const auto& s : samples) std::printf(" %-*s", kWidth + 7, s.name.c_str());
  std::printf("\n");
  for (int b = 0; b < kBins; ++b) {
    std::printf("%4.0f-%-4.0f ", b * kBin, (b + 1) * kBin);
    for (const auto& s : samples) {
      int64_t n = 0;
      for (double m : s.trimmed_mass)
        n += (b == kBins - 1) ? m >= b * kBin : (m >= b * kBin && m < (b + 1) * kBin);
      const double f = s.trimmed_mass.empty() ? 0 : static_cast<double>(n) / s.trimmed_mass.size();
      const int bar = static_cast<int>(f * 4 * kWidth + 0.5);
      std::printf("%5.3f %-*.*s ", f, kWidth + 1, std::min(bar, kWidth),
                  "############################################################");
    }
    std::printf("\n");
  }
}

void run_demo(const DemoOptions& o) {
  apply_threads(o.threads);
  const RunConfig run = load_run_config(o.config);
  const int64_t events = o.events > 0 ? o.events : run.events_per_sample;
  const Device device = resolve_device(o.device);
  std::filesystem::create_directories(o.output_dir);
  std::printf("jetimg demo: %lld events per sample, seed %llu, config %s, device %s\n",
              static_cast<long long>(events), static_cast<unsigned long long>(run.seed), run.source.c_str(),
              device.str().c_str());
  std::printf("(events and jets are made on the CPU; images on the device)\n\n");

  std::vector<SampleSummary> samples;
  for (Process p : {Process::W, Process::QCD}) samples.push_back(run_sample(p, run, events, o.output_dir));

  std::printf("%-6s %8s %14s %14s %10s %14s\n", "sample", "events", "generate ev/s", "cluster ev/s", "jets kept",
              "write jets/s");
  for (const auto& s : samples)
    std::printf("%-6s %8lld %14.0f %14.0f %10lld %14.0f\n", s.name.c_str(), static_cast<long long>(s.events),
                s.events / s.generate_seconds, s.events / s.cluster_seconds, static_cast<long long>(s.kept),
                s.kept / std::max(s.write_seconds, 1e-9));
  std::printf("\ntrimmed jet mass percentiles [GeV]\n%-6s %7s %7s %7s %7s %7s\n", "sample", "10%", "25%", "50%", "75%",
              "90%");
  for (const auto& s : samples)
    std::printf("%-6s %7.1f %7.1f %7.1f %7.1f %7.1f\n", s.name.c_str(), percentile(s.trimmed_mass, 0.1),
                percentile(s.trimmed_mass, 0.25), percentile(s.trimmed_mass, 0.5), percentile(s.trimmed_mass, 0.75),
                percentile(s.trimmed_mass, 0.9));
  print_mass_histogram(samples);

  // Jets -> images on the device, and the average images a person looks at
  // before trusting a dataset.
  const ImagingConfig imaging = load_imaging_config(o.images);
  const auto& p = imaging.preprocess.pixels;
  std::printf("\nimages (%s convention, %dx%d, %s) on %s\n%-6s %8s %14s %18s\n", imaging.convention.c_str(), p.height,
              p.width, imaging.preprocess.rotation_space == RotationSpace::Image ? "rotated and zoomed as images"
                                                                               : "rotated and zoomed as constituents",
              device.str().c_str(), "sample", "jets", "jets/s (all)", "jets/s (device)");
  for (const auto& s : samples) {
    const std::string dir = o.output_dir + "/";
    const ImagingSummary summary =
        make_images_file(dir + s.name + "_jets.h5", dir + s.name + "_images.h5", imaging, device, 10000, false);
    std::printf("%-6s %8lld %14.0f %18.0f\n", s.name.c_str(), static_cast<long long>(summary.jets),
                summary.jets / summary.seconds, summary.jets / std::max(summary.device_seconds, 1e-9));
  }
  HeatmapSpec spec;
  spec.height = p.height, spec.width = p.width, spec.pixel_eta = p.pixel_eta, spec.pixel_phi = p.pixel_phi;
  std::vector<std::vector<double>> means;
  for (const auto& s : samples) {
    means.push_back(mean_image(o.output_dir + "/" + s.name + "_images.h5", device, 20000));
    spec.title = "average " + s.name + " jet image (" + std::to_string(s.kept) + " jets)";
    write_heatmap_png(o.output_dir + "/" + s.name + "_average.png", means.back(), spec);
  }
  std::vector<double> difference(means[0].size());
  for (size_t i = 0; i < difference.size(); ++i) difference[i] = means[0][i] - means[1][i];
  spec.diverging = true, spec.log_scale = false;
  spec.title = "average W image minus average QCD image";
  spec.colour_label = "difference of mean intensities";
  write_heatmap_png(o.output_dir + "/w_minus_qcd.png", difference, spec);
  std::printf("\nwritten to %s/: w_jets.h5 qcd_jets.h5 w_images.h5 qcd_images.h5 w_average.png qcd_average.png "
              "w_minus_qcd.png\n", o.output_dir.c_str());
}

}  // namespace

void add_demo_command(CLI::App& app) {
  static DemoOptions o;
  auto* command = app.add_subcommand("demo", "Built-in W and QCD events -> jets, with a summary");
  command->add_option("--config", o.config, "run config (JSON)")->check(CLI::ExistingFile)->capture_default_str();
  command->add_option("--events", o.events, "events per sample (default: the config's events_per_sample)")
      ->check(kPositiveCount);
  command->add_option("--output-dir", o.output_dir, "where the jets files go")->capture_default_str();
  command->add_option("--images", o.images, "preprocessing config (JSON) or convention (w, top) for the images")
      ->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_demo(o); });
}

}  // namespace jetimg::app
