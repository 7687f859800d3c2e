// `jetimg evaluate`: a trained tagger's scores on test images, its ROC curve,
// AUC and background rejection with bootstrap errors, beside the trimmed-mass
// + τ21 likelihood baseline on the same jets; JSON and a ROC plot.
#include <cstdio>
#include <filesystem>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/context.h"
#include "core/device.h"
#include "core/error.h"
#include "io/datasets.h"
#include "io/images_file.h"
#include "io/jets_reader.h"
#include "models/evaluation.h"

namespace jetimg::app {
namespace {

struct EvaluateOptions {
  std::string checkpoint, signal, background, output_dir = "out/evaluate", device = "auto", math = "fp32";
  int64_t batch = 1024;
  int bootstrap = 100;
  uint64_t seed = 1;
  int threads = 0;
};

void run_evaluate(const EvaluateOptions& o) {
  apply_threads(o.threads);
  refuse_folder_over_inputs({o.checkpoint, o.signal, o.background}, o.output_dir, {"evaluation.json", "roc.png"});
  make_output_folder(o.output_dir);
  Context ctx(resolve_device(o.device), o.seed);
  apply_math(ctx, o.math);
  // Images files for image taggers, jets files for particle-cloud taggers.
  const auto rows = [](const std::string& path) {
    return stored_format(path) == "jetimg-jets" ? JetsReader(path).size() : ImagesReader(path).size();
  };
  const bool jets_files = stored_format(o.signal) == "jetimg-jets";
  Progress progress("score", rows(o.signal) + rows(o.background), jets_files ? "jets" : "images");
  const ScoredJets jets =
      score_test_images(ctx, o.checkpoint, o.signal, o.background, o.batch, [&](int64_t n) { progress.advance(n); });
  progress.done();
  const Json extra = {{"checkpoint", o.checkpoint},
                      {"signal", o.signal},
                      {"background", o.background},
                      {"device", ctx.device().str()},
                      {"program", "jetimg evaluate 0.1.0"}};
  const auto result = evaluate_against_baseline(jets, "network (" + std::filesystem::path(o.checkpoint).filename().string() + ")",
                                                BaselineBinning{}, o.bootstrap, o.seed,
                                                o.output_dir + "/evaluation.json", o.output_dir + "/roc.png", extra);
  std::fputs(evaluation_table(result).c_str(), stdout);
  std::printf("written to %s/: evaluation.json roc.png\n", o.output_dir.c_str());
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  static EvaluateOptions o;
  auto* command = app.add_subcommand(
      "evaluate", "Score test images (or jets) with a trained tagger; ROC, AUC and rejection beside the mass+tau21 baseline");
  auto* model = command->add_option("--model", o.checkpoint, "checkpoint written by jetimg train (best.h5)")
                    ->required()
                    ->check(CLI::ExistingFile);
  add_old_spelling(*command, model, "checkpoint");
  command->add_option("--signal", o.signal, "test images file of signal jets (a jets file for a particle-cloud tagger)")->required()->check(CLI::ExistingFile);
  command->add_option("--background", o.background, "test images (or jets) file of background jets")
      ->required()
      ->check(CLI::ExistingFile);
  auto* output_dir =
      command->add_option("--output-dir", o.output_dir, "where evaluation.json and roc.png go")->capture_default_str();
  add_old_spelling(*command, output_dir, "-o");
  command->add_option("--batch", o.batch, "images per inference batch")->check(kPositiveCount)->capture_default_str();
  command->add_option("--bootstrap", o.bootstrap, "resamplings for the uncertainties (0: none)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  command->add_option("--seed", o.seed, "seed of the bootstrap and the baseline's two-fold split")
      ->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, false);
  command->callback([] { run_evaluate(o); });
}

}  // namespace jetimg::app
