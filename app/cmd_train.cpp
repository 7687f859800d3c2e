// `jetimg train`: a network config and a training config, signal and
// background images files (or one labelled file) -> checkpoints (best.h5,
// last.h5) and a per-epoch log (log.csv) in the output directory.
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/device.h"
#include "core/error.h"
#include "models/checkpoint.h"
#include "models/trainer.h"

namespace jetimg::app {
namespace {

struct TrainCommandOptions {
  std::string signal, background, input, network, config, output_dir, resume, device = "auto";
  int64_t epochs = 0;  // 0: the config's
  int threads = 0;
  bool overwrite = false;
};

int64_t parameter_count(Sequential& net) {
  int64_t count = 0;
  for (const NamedTensor& p : net.parameters()) count += p.tensor->numel();
  return count;
}

void run_train(const TrainCommandOptions& o) {
  apply_threads(o.threads);
  if (o.input.empty() == (o.signal.empty() || o.background.empty()))
    fail("give either --signal and --background files, or one --input file with signal and background labels");
  if (o.network.empty() && o.resume.empty()) fail("give a network config with --network (or --resume a checkpoint)");
  check_run_folder(o.output_dir, run_start(o.resume, o.overwrite), kTaggerRunFiles,
                   {o.signal, o.background, o.input, o.network, o.config});

  // The training config: the file, else the one the resumed run used, else the defaults.
  TrainConfig config;
  if (!o.config.empty()) {
    config = load_train_config(o.config);
  } else if (!o.resume.empty()) {
    const TrainingState state = read_training_state(o.resume);
    if (state.train_config.is_object()) config = TrainConfig::from_json(state.train_config, o.resume);
  }
  if (o.epochs > 0) config.epochs = o.epochs;

  const Device device = resolve_device(o.device);
  Context ctx(device, config.seed);
  Sequential net = o.network.empty() ? sequential_from_json(ctx, read_checkpoint_network(o.resume), o.resume)
                                     : load_sequential(ctx, o.network);

  check_loss_fits(net.output_shape(), config.loss,
                  "'" + (o.network.empty() ? o.resume : o.network) + "'",
                  o.config.empty() ? "the training config" : "'" + o.config + "'");
  Progress reading("read", 0, "images");
  const auto on_chunk = [&](int64_t n) { reading.advance(n); };
  const LabelledImages data =
      o.input.empty() ? read_signal_background(o.signal, o.background, on_chunk) : read_labelled(o.input, on_chunk);
  reading.done();
  int64_t signal = 0;
  for (float label : data.labels) signal += label == 1.0f;
  std::printf("training %s (%lld parameters) on %lld images (%lld signal, %lld background) of %s on %s, %lld "
              "epochs -> %s\n",
              o.network.empty() ? o.resume.c_str() : o.network.c_str(), static_cast<long long>(parameter_count(net)),
              static_cast<long long>(data.size()), static_cast<long long>(signal),
              static_cast<long long>(data.size() - signal), shape_string(data.sample_shape).c_str(),
              device.str().c_str(), static_cast<long long>(config.epochs), o.output_dir.c_str());
  std::fflush(stdout);

  TrainOptions options;
  options.output_dir = o.output_dir;
  options.resume = o.resume;
  options.overwrite = o.overwrite;
  std::unique_ptr<Progress> progress;
  int64_t shown_epoch = 0, done = 0;
  char label[96];
  options.on_batch = [&](int64_t epoch, int64_t images, int64_t total, double loss) {
    if (epoch != shown_epoch) {
      progress = std::make_unique<Progress>("epoch", total, "images");
      shown_epoch = epoch;
      done = 0;
    }
    std::snprintf(label, sizeof label, "epoch %lld/%lld loss %.4f", static_cast<long long>(epoch),
                  static_cast<long long>(config.epochs), loss);
    progress->set_label(label);
    progress->advance(images - done);
    done = images;
  };
  int64_t epochs_run = 0;
  options.on_epoch = [&](const EpochRecord& r) {
    if (progress) progress->done();
    ++epochs_run;
    std::printf("epoch %lld/%lld: train loss %.5f, validation loss %.5f%s, lr %.3g, %.1f s, %.0f images/s\n",
                static_cast<long long>(r.epoch), static_cast<long long>(config.epochs), r.train_loss, r.val_loss,
                r.improved ? " (best so far)" : "", r.lr, r.seconds, r.images_per_s);
    std::fflush(stdout);
  };
  const TrainResult result = train(ctx, net, data, config, options);
  if (progress) progress->done();
  if (epochs_run == 0) {
    std::printf("nothing to do: '%s' has trained %lld of %lld epochs%s\n", o.resume.c_str(),
                static_cast<long long>(result.history.size()), static_cast<long long>(config.epochs),
                result.stopped_early ? " and stopped early" : "");
    return;
  }
  std::printf("%sbest validation loss %.5f at epoch %lld -> %s\n",
              result.stopped_early ? "stopped early; " : "", result.best_val_loss,
              static_cast<long long>(result.best_epoch), result.best_checkpoint.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  static TrainCommandOptions o;
  auto* command = app.add_subcommand("train", "Train a network on jet images (signal against background)");
  command->add_option("--signal", o.signal, "images file of signal jets (label 1)");
  command->add_option("--background", o.background, "images file of background jets (label 0)");
  command->add_option("--input", o.input, "one images file whose 'label' column says signal (1) or background (0)")
      ->excludes("--signal")
      ->excludes("--background");
  command->add_option("--network", o.network, "network config (JSON), e.g. configs/nets/w_maxout.json");
  command->add_option("--config", o.config, "training config (JSON), e.g. configs/train_w.json (default: built-in "
                                            "defaults, or the resumed run's config)");
  command->add_option("-o,--output-dir", o.output_dir, "directory for best.h5, last.h5 and log.csv")->required();
  command->add_option("--resume", o.resume, "checkpoint to continue from (e.g. DIR/last.h5)");
  command->add_flag("--overwrite", o.overwrite, "replace the run already in the output directory (its best.h5, "
                                                "last.h5 and log.csv are removed first)")
      ->excludes("--resume");
  command->add_option("--epochs", o.epochs, "train until this many epochs in all (overrides the config)")
      ->check(kPositiveCount);
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_train(o); });
}

}  // namespace jetimg::app
