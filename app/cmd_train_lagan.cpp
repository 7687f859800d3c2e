// `jetimg train-lagan`: trains LAGAN (models/lagan.h) on 25×25 jet images of
// W (signal) and QCD (background) jets through the one training loop ->
// last.h5, log.csv, and the average real and generated image of each class as
// PNG heat maps.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/commands.h"
#include "app/training_progress.h"
#include "core/device.h"
#include "core/error.h"
#include "io/batches.h"
#include "io/datasets.h"
#include "io/outputs.h"
#include "io/plot_png.h"
#include "models/lagan.h"

namespace jetimg::app {
namespace {

struct TrainLaganOptions {
  std::string signal, background, config, output_dir, device = "auto", resume, math = "fp32";
  int64_t epochs = 0;
  int threads = 0;
  bool overwrite = false;
};

void run_train_lagan(const TrainLaganOptions& o) {
  apply_threads(o.threads);
  check_run_folder(o.output_dir, run_start(o.resume, o.overwrite), kLaganRunFiles, {o.signal, o.background, o.config});
  LaganConfig config = o.config.empty() ? LaganConfig() : load_lagan_config(o.config);
  if (o.epochs > 0) config.epochs = o.epochs;
  const ImagesDataset data({o.signal, o.background}, {1, 0});
  const Device device = resolve_device(o.device);
  Context ctx(device, config.seed);
  apply_math(ctx, o.math);
  LaganGenerator gen(ctx, config);
  LaganDiscriminator disc(ctx, config);
  std::printf("training LAGAN on %lld jet images (W and QCD) on %s, %lld epochs -> %s\n",
              static_cast<long long>(data.size()), device.str().c_str(), static_cast<long long>(config.epochs),
              o.output_dir.c_str());
  std::fflush(stdout);
  LoopOptions options;
  options.output_dir = o.output_dir;
  options.resume = o.resume;
  options.overwrite = o.overwrite;
  options.provenance = {{"command", "jetimg train-lagan"}, {"signal", o.signal}, {"background", o.background}};
  const auto progress = print_training_progress(options, config.epochs);
  train_lagan(ctx, gen, disc, data, config, options);

  // Average images, real (streamed from the files) and generated, per class.
  std::vector<double> real[2] = {std::vector<double>(625, 0.0), std::vector<double>(625, 0.0)};
  int64_t count[2] = {0, 0};
  StreamOptions all;
  all.batch = 4096;
  all.shuffle = false;
  BatchStream stream(data, all);
  TensorMap batch;
  while (stream.next(batch)) {
    const Tensor& images = batch.at("images");
    for (int64_t i = 0; i < images.dim(0); ++i) {
      const int cls = batch.at("label").data()[i] > 0.5f ? 1 : 0;
      ++count[cls];
      for (int p = 0; p < 625; ++p) real[cls][size_t(p)] += images.data()[i * 625 + p];
    }
  }
  for (int cls = 0; cls < 2; ++cls) {
    for (double& v : real[cls]) v /= double(std::max<int64_t>(count[cls], 1));
    const Tensor generated = sample_lagan(ctx, gen, std::max<int64_t>(count[cls], 1), cls);
    std::vector<double> mean(625, 0.0);
    for (int64_t i = 0; i < generated.dim(0); ++i)
      for (int p = 0; p < 625; ++p) mean[size_t(p)] += generated.data()[i * 625 + p] / double(generated.dim(0));
    const std::string name = cls == 1 ? "w" : "qcd";
    HeatmapSpec spec;
    spec.height = spec.width = 25;
    spec.title = "average " + std::string(cls == 1 ? "W" : "QCD") + " jet image, real (" + std::to_string(count[cls]) + ")";
    write_heatmap_png((std::filesystem::path(o.output_dir) / ("average_" + name + "_real.png")).string(), real[cls], spec);
    spec.title = "average " + std::string(cls == 1 ? "W" : "QCD") + " jet image, LAGAN";
    write_heatmap_png((std::filesystem::path(o.output_dir) / ("average_" + name + "_generated.png")).string(), mean, spec);
  }
  std::printf("done -> %s/last.h5 and average_{w,qcd}_{real,generated}.png\n", o.output_dir.c_str());
}

}  // namespace

void add_train_lagan_command(CLI::App& app) {
  static TrainLaganOptions o;
  auto* command = app.add_subcommand("train-lagan", "Train LAGAN (jet-image GAN, W vs QCD as the auxiliary class)");
  command->add_option("--signal", o.signal, "images file of W jets (25x25)")->required();
  command->add_option("--background", o.background, "images file of QCD jets (25x25)")->required();
  command->add_option("--config", o.config, "LAGAN config (JSON), e.g. configs/lagan.json (default: built-in)");
  auto* output_dir =
      command->add_option("--output-dir", o.output_dir, "folder for last.h5, log.csv and average images")->required();
  add_old_spelling(*command, output_dir, "-o");
  command->add_option("--epochs", o.epochs, "epochs in all (overrides the config)")->check(kPositiveCount);
  command->add_option("--resume", o.resume,
                      "continue from a run's last.h5 (both networks, optimiser state, history) up to --epochs in all; "
                      "same --config");
  command->add_flag("--overwrite", o.overwrite, "replace the run already in the output folder (its last.h5, "
                                                "log.csv and average images are removed first)")
      ->excludes("--resume");
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, true);
  command->callback([] { run_train_lagan(o); });
}

}  // namespace jetimg::app
