// `jetimg demo`: the main job on built-in data. Generates W and QCD events,
// clusters them, writes the jets files, turns the jets into images on the
// device and draws the average images; then trains the W-tagging maxout
// network on those images and evaluates it on independent test samples
// beside the trimmed-mass + τ21 likelihood baseline, with a ROC plot. Prints
// the rate of each stage, the jets kept, the trimmed-mass distribution of
// each sample, the training curve and the taggers' figures.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "io/imaging.h"
#include "core/device.h"
#include "io/jets_file.h"
#include "io/plot_png.h"
#include "io/run_config.h"
#include "models/evaluation.h"
#include "models/predict.h"
#include "io/data_files.h"
#include "io/datasets.h"
#include "models/trainer.h"

namespace jetimg::app {
namespace {

struct DemoOptions {
  std::string config;  // default: the shipped configs/demo.json
  std::string output_dir = "out/demo";
  std::string device = "auto";
  std::string math = "fp32";  // --math for the training and scoring
  // The W convention with the zoom scaled to the top of the pT window
  // (factor pT/300 GeV, at most 1) and rotations on the constituents: the
  // study's zoom (x1.6-1.9 at these pT) pushes the soft prong of asymmetric
  // W decays out of the 25x25 crop, without any zoom the prong separation
  // keeps its pT dependence, which blurs the mass the network can infer from
  // a normalised image, and interpolating the image smears it further.
  std::string images;  // default: configs/preprocess_w_pt_scaled.json
  std::string network;  // default: configs/nets/w_maxout.json
  std::string training;  // default: configs/train_w.json
  bool train = true;
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

// The test samples' seed: far from the training seed, so their events share nothing.
uint64_t test_seed(uint64_t seed) { return seed + 1000003; }

SampleSummary run_sample(Process process, const RunConfig& run, uint64_t seed, int64_t events, const std::string& dir,
                         const std::string& tag) {
  SampleSummary s;
  s.name = process_name(process);
  s.events = events;
  const GeneratorConfig generator = generator_config(run, process);
  const JetConfig& jets = jet_config(run, process);

  auto start = std::chrono::steady_clock::now();
  const std::vector<Event> generated = generate_events(generator, seed, 0, events);
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
  const Json provenance = {{"process", s.name}, {"seed", seed}, {"events", events},
                           {"generator", to_json(generator)}, {"jets", to_json(jets)},
                           {"program", "jetimg demo 0.1.0"}, {"config", run.source}};
  JetsWriter writer(dir + "/" + s.name + tag + "_jets.h5", jets.max_constituents, jets.max_subjets, provenance);
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

// Trains the network on the images just made, then scores independent test
// samples (another seed) and sets the network beside the mass+τ21 baseline.
void train_and_evaluate(const DemoOptions& o, const RunConfig& run, int64_t events, const ImagingConfig& imaging,
                        Device device) {
  const std::string dir = o.output_dir + "/";
  const int64_t test_events = std::max<int64_t>(events / 2, 1);
  std::printf("\ntest samples: %lld events each, seed %llu\n", static_cast<long long>(test_events),
              static_cast<unsigned long long>(test_seed(run.seed)));
  for (Process p : {Process::W, Process::QCD}) {
    const SampleSummary s = run_sample(p, run, test_seed(run.seed), test_events, o.output_dir, "_test");
    make_images_file(dir + s.name + "_test_jets.h5", dir + s.name + "_test_images.h5", imaging, device, 10000);
    std::printf("%-6s %8lld jets\n", s.name.c_str(), static_cast<long long>(s.kept));
  }

  const TrainConfig config = load_train_config(o.training);
  Context ctx(device, config.seed);
  apply_math(ctx, o.math);
  std::unique_ptr<Model> net = load_model_config(ctx, o.network);
  const ImagesDataset data({dir + "w_images.h5", dir + "qcd_images.h5"}, {1, 0});
  std::printf("\ntraining %s (%lld parameters) on %lld images with %s, at most %lld epochs, patience %lld, on %s\n",
              std::filesystem::path(o.network).filename().c_str(), static_cast<long long>(parameter_count(*net)),
              static_cast<long long>(data.size()), std::filesystem::path(o.training).filename().c_str(),
              static_cast<long long>(config.epochs), static_cast<long long>(config.patience), device.str().c_str());
  std::fflush(stdout);
  LoopOptions options;
  options.output_dir = dir + "train";
  options.overwrite = true;  // the demo's own folder: a second run replaces the first
  options.on_epoch = [&](int64_t epoch, const EpochValues& v, bool improved) {
    std::printf("epoch %3lld: train loss %.4f, validation loss %.4f%s, %.1f s, %.0f images/s\n",
                static_cast<long long>(epoch), value_of(v, "train_loss"), value_of(v, "val_loss"),
                improved ? " (best)" : "", value_of(v, "seconds"), value_of(v, "images_per_s"));
    std::fflush(stdout);
  };
  const auto start = std::chrono::steady_clock::now();
  const LoopResult trained = train_tagger(ctx, *net, data, config, options);
  std::printf("%strained in %.1f s; best validation loss %.4f at epoch %lld -> %s\n",
              trained.stopped_early ? "stopped early; " : "", seconds_since(start), trained.state.best,
              static_cast<long long>(trained.state.best_epoch), trained.best_checkpoint.c_str());

  const ScoredJets jets =
      score_test_images(ctx, trained.best_checkpoint, dir + "w_test_images.h5", dir + "qcd_test_images.h5", 1024);
  const Json extra = {{"checkpoint", trained.best_checkpoint}, {"signal", dir + "w_test_images.h5"},
                      {"background", dir + "qcd_test_images.h5"}, {"device", device.str()},
                      {"program", "jetimg demo 0.1.0"}};
  const auto result = evaluate_against_baseline(jets, "maxout network", BaselineBinning{}, 100, run.seed,
                                                dir + "evaluation.json", dir + "roc.png", extra);
  std::printf("\ntest jets: %zu (W %lld, QCD %lld)\n%s", jets.size(),
              static_cast<long long>(std::count(jets.labels.begin(), jets.labels.end(), 1)),
              static_cast<long long>(std::count(jets.labels.begin(), jets.labels.end(), 0)),
              evaluation_table(result).c_str());
  std::printf("\nwritten to %s/: *_jets.h5, *_images.h5 (training and _test), w_average.png, qcd_average.png, "
              "w_minus_qcd.png, train/ (best.h5, last.h5, log.csv), evaluation.json, roc.png\n",
              o.output_dir.c_str());
}

void run_demo(const DemoOptions& options) {
  DemoOptions o = options;  // the shipped configs where none were given
  if (o.config.empty()) o.config = data_file("configs/demo.json");
  if (o.images.empty()) o.images = data_file("configs/preprocess_w_pt_scaled.json");
  if (o.network.empty()) o.network = data_file("configs/nets/w_maxout.json");
  if (o.training.empty()) o.training = data_file("configs/train_w.json");
  apply_threads(o.threads);
  const RunConfig run = load_run_config(o.config);
  const int64_t events = o.events > 0 ? o.events : run.events_per_sample;
  const Device device = resolve_device(o.device);
  make_output_folder(o.output_dir);
  std::printf("jetimg demo: %lld events per sample, seed %llu, config %s, device %s\n",
              static_cast<long long>(events), static_cast<unsigned long long>(run.seed), run.source.c_str(),
              device.str().c_str());
  std::printf("(events and jets are made on the CPU; images on the device)\n\n");

  std::vector<SampleSummary> samples;
  for (Process p : {Process::W, Process::QCD}) samples.push_back(run_sample(p, run, run.seed, events, o.output_dir, ""));

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
        make_images_file(dir + s.name + "_jets.h5", dir + s.name + "_images.h5", imaging, device, 10000);
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
  if (!o.train) {
    std::printf("\nwritten to %s/: w_jets.h5 qcd_jets.h5 w_images.h5 qcd_images.h5 w_average.png qcd_average.png "
                "w_minus_qcd.png\n", o.output_dir.c_str());
    return;
  }
  train_and_evaluate(o, run, events, imaging, device);
}

}  // namespace

void add_demo_command(CLI::App& app) {
  static DemoOptions o;
  auto* command = app.add_subcommand(
      "demo", "Built-in W and QCD events -> jets -> images -> maxout tagger, evaluated beside the mass+tau21 baseline");
  command->add_option("--config", o.config, "run config (JSON; default: the shipped configs/demo.json)")->check(CLI::ExistingFile);
  command->add_option("-n,--events", o.events, "events per sample (default: the config's events_per_sample)")
      ->check(CLI::Range(int64_t{1}, kMaxDemoEvents));
  command->add_option("--output-dir", o.output_dir, "where the jets files go")->capture_default_str();
  command->add_option("--images", o.images,
                      "preprocessing config (JSON) or convention (w, top) for the images (default: the shipped "
                      "configs/preprocess_w_pt_scaled.json)");
  command->add_option("--network", o.network, "network config (JSON) to train (default: configs/nets/w_maxout.json)")
      ->check(CLI::ExistingFile);
  command->add_option("--train-config", o.training, "training config (JSON; default: configs/train_w.json)")
      ->check(CLI::ExistingFile);
  command->add_flag("!--no-train", o.train, "stop after the images (no training or evaluation)");
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, true);
  command->callback([] { run_demo(o); });
}

}  // namespace jetimg::app
