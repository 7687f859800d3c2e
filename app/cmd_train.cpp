// `jetimg train`: a model config and a training config, signal and background
// images files (or one labelled file) -> checkpoints (best.h5, last.h5) and a
// per-epoch log (log.csv) in the output folder, through the one training
// loop (models/train_loop.h).
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "app/training_progress.h"
#include "core/device.h"
#include "core/error.h"
#include "io/datasets.h"
#include "io/jets_reader.h"
#include "io/outputs.h"
#include "models/checkpoint.h"
#include "models/tagger_feed.h"
#include "models/trainer.h"

namespace jetimg::app {
namespace {

struct TrainCommandOptions {
  std::string signal, background, input, network, config, output_dir, resume, device = "auto", math = "fp32";
  int64_t epochs = 0;  // 0: the config's
  int threads = 0;
  bool overwrite = false;
};

void run_train(const TrainCommandOptions& o) {
  apply_threads(o.threads);
  if (o.input.empty() == (o.signal.empty() || o.background.empty()))
    fail("give either --signal and --background files, or one --input file with signal and background labels");
  if (o.network.empty() && o.resume.empty()) fail("give a network config with --network (or --resume a checkpoint)");
  check_run_folder(o.output_dir, run_start(o.resume, o.overwrite), kTaggerRunFiles,
                   {o.signal, o.background, o.input, o.network, o.config});

  // The training config: the file, else the one the resumed run used, else the defaults.
  std::unique_ptr<CheckpointFile> resumed;
  if (!o.resume.empty()) resumed = std::make_unique<CheckpointFile>(o.resume);
  TrainConfig config;
  if (!o.config.empty())
    config = load_train_config(o.config);
  else if (resumed && resumed->training().settings.is_object())
    config = TrainConfig::from_json(resumed->training().settings, o.resume);
  if (o.epochs > 0) config.epochs = o.epochs;

  const Device device = resolve_device(o.device);
  Context ctx(device, config.seed);
  apply_math(ctx, o.math);
  const Json model_config = o.network.empty() ? resumed->model_config("model") : load_json_file(o.network);
  const std::string model_file = o.network.empty() ? o.resume : o.network;
  std::unique_ptr<Model> model = make_model(ctx, model_config, model_file);
  if (resumed) {  // before any images are read: the checkpoint must be of this model
    const std::string difference = config_difference(resumed->model_config("model"), model->config());
    if (!difference.empty()) fail("'", o.resume, "' was written for a different model: ", difference);
  }
  const bool particles = is_particle_model(*model);
  if ((!particles && model->inputs().size() != 1) || model->outputs().size() != 1)
    fail("'", model_file, "': a tagger takes one input (images) or particle inputs, and gives one output; this ",
         model->type(), " model has ", model->inputs().size(), " inputs and ", model->outputs().size(), " outputs");
  check_loss_fits(model->outputs()[0].shape, config.loss, "'" + model_file + "'",
                  o.config.empty() ? "the training config" : "'" + o.config + "'");
  check_final_activation(model->config(), config.loss, "'" + model_file + "'");

  const std::unique_ptr<LabelledDataset> dataset =
      o.input.empty() ? open_tagger_dataset({o.signal, o.background}, {1, 0}, particles, "'" + model_file + "'")
                      : open_tagger_dataset({o.input}, {-1}, particles, "'" + model_file + "'");
  const LabelledDataset& data = *dataset;
  data.require_both_classes();
  int64_t signal = 0;
  for (float label : data.labels()) signal += label == 1.0f;
  const auto* images = dynamic_cast<const ImagesDataset*>(&data);
  const std::string what = images ? "images of " + shape_string(images->sample_shape())
                                  : "jets (their constituents)";
  std::printf("training %s (%lld parameters) on %lld %s (%lld signal, %lld background) on %s, %lld "
              "epochs -> %s\n",
              model_file.c_str(), static_cast<long long>(parameter_count(*model)),
              static_cast<long long>(data.size()), what.c_str(), static_cast<long long>(signal),
              static_cast<long long>(data.size() - signal), device.str().c_str(),
              static_cast<long long>(config.epochs), o.output_dir.c_str());
  if (model->type() == "topodnn") {  // TopoDNN reads a fixed number of constituents: say what it leaves out
    const int64_t leading = model->inputs()[0].shape.at(0);
    int64_t more = 0;
    for (const std::string& file : data.files())
      for (int32_t c : JetsReader(file).constituent_counts()) more += c > leading;
    std::printf("topodnn reads each jet's leading %lld constituents: %lld of the %lld jets have more, and are "
                "truncated to them\n",
                static_cast<long long>(leading), static_cast<long long>(more), static_cast<long long>(data.size()));
  }
  std::fflush(stdout);

  LoopOptions options;
  options.output_dir = o.output_dir;
  options.resume = o.resume;
  options.overwrite = o.overwrite;
  options.provenance = {{"command", "jetimg train"}, {"network", model_file},
                        {"signal", o.signal}, {"background", o.background}, {"input", o.input}};
  const auto progress = print_training_progress(options, config.epochs);
  const LoopResult result = train_tagger(ctx, *model, data, config, options);
  if (result.epochs_run == 0) {
    std::printf("nothing to do: '%s' has trained %lld of %lld epochs%s\n", o.resume.c_str(),
                static_cast<long long>(result.state.epoch), static_cast<long long>(config.epochs),
                result.stopped_early ? " and stopped early" : "");
    return;
  }
  std::printf("%sbest validation loss %.5f at epoch %lld -> %s\n", result.stopped_early ? "stopped early; " : "",
              result.state.best, static_cast<long long>(result.state.best_epoch), result.best_checkpoint.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  static TrainCommandOptions o;
  auto* command = app.add_subcommand("train", "Train a tagger on jet images, or a particle-cloud tagger on jets' constituents (signal against background)");
  command->add_option("--signal", o.signal, "images file (jets file for a particle-cloud model) of signal jets (label 1)");
  command->add_option("--background", o.background, "images (or jets) file of background jets (label 0)");
  command->add_option("--input", o.input, "one images (or jets) file whose 'label' column says signal (1) or background (0)")
      ->excludes("--signal")
      ->excludes("--background");
  command->add_option("--network", o.network,
                      "model config (JSON): a network file (input_shape and layers) or a graph, e.g. "
                      "configs/nets/w_maxout.json");
  command->add_option("--config", o.config, "training config (JSON), e.g. configs/train_w.json (default: built-in "
                                            "defaults, or the resumed run's config)");
  auto* output_dir = command->add_option("--output-dir", o.output_dir, "folder for best.h5, last.h5 and log.csv")
                         ->required();
  add_old_spelling(*command, output_dir, "-o");
  command->add_option("--resume", o.resume, "checkpoint to continue from (e.g. DIR/last.h5)");
  command->add_flag("--overwrite", o.overwrite, "replace the run already in the output folder (its best.h5, "
                                                "last.h5 and log.csv are removed first)")
      ->excludes("--resume");
  command->add_option("--epochs", o.epochs, "train until this many epochs in all (overrides the config)")
      ->check(kPositiveCount);
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, true);
  command->callback([] { run_train(o); });
}

}  // namespace jetimg::app
