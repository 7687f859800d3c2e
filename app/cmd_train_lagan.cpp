// `jetimg train-lagan`: trains LAGAN (models/lagan.h) on 25×25 jet images of
// W (signal) and QCD (background) jets -> last.h5, log.csv, and the average
// real and generated image of each class as PNG heat maps.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/device.h"
#include "core/error.h"
#include "io/plot_png.h"
#include "models/lagan.h"

namespace jetimg::app {
namespace {

struct TrainLaganOptions {
  std::string signal, background, config, output_dir, device = "auto", resume;
  int64_t epochs = 0, max_images = 0;
  int threads = 0;
  bool overwrite = false;
};

std::vector<double> average(const float* images, int64_t count) {
  std::vector<double> mean(625, 0.0);
  for (int64_t i = 0; i < count; ++i)
    for (int p = 0; p < 625; ++p) mean[size_t(p)] += images[i * 625 + p] / double(count);
  return mean;
}

void run_train_lagan(const TrainLaganOptions& o) {
  apply_threads(o.threads);
  check_run_folder(o.output_dir, run_start(o.resume, o.overwrite), kLaganRunFiles, {o.signal, o.background, o.config});
  LaganConfig config = o.config.empty() ? LaganConfig() : load_lagan_config(o.config);
  if (o.epochs > 0) config.epochs = o.epochs;
  LabelledImages data = read_signal_background(o.signal, o.background);
  if (o.max_images > 0 && data.size() > o.max_images) {
    // A seeded subset of both classes.
    const std::vector<int64_t> order = seeded_permutation(data.size(), config.seed, 0);
    LabelledImages subset = data;
    subset.images.resize(size_t(o.max_images * data.image_floats));
    subset.labels.resize(size_t(o.max_images));
    for (int64_t i = 0; i < o.max_images; ++i) {
      std::copy_n(data.images.data() + order[size_t(i)] * data.image_floats, data.image_floats,
                  subset.images.data() + i * data.image_floats);
      subset.labels[size_t(i)] = data.labels[size_t(order[size_t(i)])];
    }
    data = std::move(subset);
  }
  const Device device = resolve_device(o.device);
  Context ctx(device, config.seed);
  LaganGenerator gen(ctx, config);
  LaganDiscriminator disc(ctx, config);
  std::printf("training LAGAN on %lld jet images (W and QCD) on %s, %lld epochs -> %s\n",
              static_cast<long long>(data.size()), device.str().c_str(), static_cast<long long>(config.epochs),
              o.output_dir.c_str());
  std::fflush(stdout);
  LaganTrainOptions options;
  options.output_dir = o.output_dir;
  options.resume = o.resume;
  options.overwrite = o.overwrite;
  std::unique_ptr<Progress> progress;
  int64_t shown = 0, done = 0;
  char label[128];
  options.on_batch = [&](int64_t epoch, int64_t step, int64_t steps, double d, double g) {
    if (epoch != shown) progress = std::make_unique<Progress>("epoch", steps, "steps"), shown = epoch, done = 0;
    std::snprintf(label, sizeof label, "epoch %lld/%lld D %.4f G %.4f", static_cast<long long>(epoch),
                  static_cast<long long>(config.epochs), d, g);
    progress->set_label(label);
    progress->advance(step - done);
    done = step;
  };
  options.on_epoch = [&](const LaganEpochRecord& r) {
    if (progress) progress->done();
    std::printf("epoch %lld/%lld: D loss %.4f, G loss %.4f, class accuracy on real images %.3f, intensity W1/σ %.3f, "
                "%.1f s\n",
                static_cast<long long>(r.epoch), static_cast<long long>(config.epochs), r.d_loss, r.g_loss,
                r.aux_accuracy, r.intensity_w1, r.seconds);
    std::fflush(stdout);
  };
  train_lagan(ctx, gen, disc, data, config, options);

  // Average images, real and generated, per class.
  for (int cls = 0; cls < 2; ++cls) {
    std::vector<float> real;
    for (int64_t i = 0; i < data.size(); ++i)
      if ((data.labels[size_t(i)] > 0.5f) == (cls == 1))
        real.insert(real.end(), data.images.begin() + i * 625, data.images.begin() + (i + 1) * 625);
    const int64_t n_real = int64_t(real.size() / 625);
    const Tensor generated = sample_lagan(ctx, gen, std::max<int64_t>(n_real, 1), cls);
    const std::string name = cls == 1 ? "w" : "qcd";
    HeatmapSpec spec;
    spec.height = spec.width = 25;
    spec.title = "average " + std::string(cls == 1 ? "W" : "QCD") + " jet image, real (" + std::to_string(n_real) + ")";
    write_heatmap_png((std::filesystem::path(o.output_dir) / ("average_" + name + "_real.png")).string(),
                      average(real.data(), n_real), spec);
    spec.title = "average " + std::string(cls == 1 ? "W" : "QCD") + " jet image, LAGAN";
    write_heatmap_png((std::filesystem::path(o.output_dir) / ("average_" + name + "_generated.png")).string(),
                      average(generated.data(), generated.dim(0)), spec);
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
  command->add_option("-o,--output-dir", o.output_dir, "directory for last.h5, log.csv and average images")->required();
  command->add_option("--epochs", o.epochs, "epochs in all (overrides the config)")->check(kPositiveCount);
  command->add_option("--resume", o.resume,
                      "continue from a run's last.h5 (both networks, optimiser state, history) up to --epochs in all; "
                      "same --config");
  command->add_flag("--overwrite", o.overwrite, "replace the run already in the output directory (its last.h5, "
                                                "log.csv and average images are removed first)")
      ->excludes("--resume");
  command->add_option("--max-images", o.max_images, "train on a seeded subset of this many images")
      ->check(kPositiveCount);
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_train_lagan(o); });
}

}  // namespace jetimg::app
