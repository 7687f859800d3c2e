// `jetimg train-calogan` (also `train-gan`): trains CaloGAN on a showers file
// through the one training loop -> last.h5 (generator and discriminator),
// generator_epoch_NNN.h5 and log.csv in the output folder.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "app/training_progress.h"
#include "core/device.h"
#include "core/error.h"
#include "io/datasets.h"
#include "io/data_files.h"
#include "io/outputs.h"
#include "models/gan_training.h"
#include "physics/shower_shapes.h"

namespace jetimg::app {
namespace {

struct TrainCaloGanOptions {
  std::string config, data, reference, output_dir, device = "auto", resume, math = "fp32";
  int64_t epochs = 0, max_showers = 0, reference_showers = 2000;
  int threads = 0;
  bool overwrite = false;
};

void run_train_calogan(const TrainCaloGanOptions& o) {
  apply_threads(o.threads);
  const std::string config_path = o.config.empty() ? data_file("configs/calogan.json") : o.config;
  check_run_folder(o.output_dir, run_start(o.resume, o.overwrite), kCaloGanRunFiles, {config_path, o.data, o.reference});
  CaloGanFile file = load_calogan_config(config_path);
  if (o.epochs > 0) file.training.epochs = o.epochs;
  // The showers' calorimeter must be the model's.
  const auto check_geometry = [&](const std::vector<LayerGeometry>& g, const std::string& path) {
    if (g.size() != file.model.geometry.size())
      fail("'", path, "' has ", g.size(), " calorimeter layers but '", config_path, "' describes ",
           file.model.geometry.size());
    for (size_t l = 0; l < g.size(); ++l)
      if (g[l].rows != file.model.geometry[l].rows || g[l].cols != file.model.geometry[l].cols)
        fail("'", path, "': layer ", l, " is ", g[l].rows, "x", g[l].cols, " cells but '", config_path, "' expects ",
             file.model.geometry[l].rows, "x", file.model.geometry[l].cols);
  };
  const ShowersDataset data(o.data, o.max_showers);
  check_geometry(data.geometry(), o.data);

  // Shapes of held-out reference showers, to see training move towards them.
  ShowerBatch reference;
  if (!o.reference.empty()) {
    const ShowersReader ref(o.reference);
    check_geometry(ref.geometry(), o.reference);
    if (ref.size() == 0) fail("'", o.reference, "' holds no showers");
    reference = ref.read(0, std::min(o.reference_showers, ref.size()));
  }

  const Device device = resolve_device(o.device);
  Context ctx(device, file.training.seed);
  apply_math(ctx, o.math);
  CaloGanGenerator gen(ctx, file.model);
  CaloGanDiscriminator disc(ctx, file.model);
  std::printf("training CaloGAN (generator %lld parameters, discriminator %lld) on %lld showers of '%s' on %s, %lld "
              "epochs -> %s\n",
              static_cast<long long>(parameter_count(gen)), static_cast<long long>(parameter_count(disc)),
              static_cast<long long>(data.size()), o.data.c_str(), device.str().c_str(),
              static_cast<long long>(file.training.epochs), o.output_dir.c_str());
  std::fflush(stdout);

  LoopOptions options;
  options.output_dir = o.output_dir;
  options.resume = o.resume;
  options.overwrite = o.overwrite;
  options.provenance = {{"command", "jetimg train-calogan"}, {"data", o.data}, {"config", config_path}};
  const auto progress = print_training_progress(options, file.training.epochs);
  CaloGanTask::Measure measure;
  if (reference.size() > 0)
    measure = [&](Context& c, CaloGanGenerator& g, int64_t) {
      const ShowerBatch generated = generate_showers(c, g, reference.energy, 256);
      return mean_normalised_w1(compare_shower_shapes(reference, generated));
    };
  const LoopResult result = train_calogan(ctx, gen, disc, data, file.training, options, measure);
  if (result.epochs_run == 0 && !o.resume.empty())
    std::printf("'%s' has already been trained for %lld epochs or more; nothing to do (raise --epochs)\n",
                o.resume.c_str(), static_cast<long long>(file.training.epochs));
  std::printf("done -> %s\n", result.last_checkpoint.c_str());
}

}  // namespace

void add_train_calogan_command(CLI::App& app) {
  static TrainCaloGanOptions o;
  auto* command = app.add_subcommand("train-calogan", "Train CaloGAN (fast calorimeter simulation) on a showers file");
  command->alias("train-gan");
  command->add_option("--data", o.data, "showers file (CaloGAN layout), e.g. from 'jetimg simulate'")->required();
  command->add_option("--config", o.config, "CaloGAN config (JSON; default: the shipped configs/calogan.json)");
  auto* output_dir =
      command->add_option("--output-dir", o.output_dir, "folder for last.h5, generator_epoch_NNN.h5 and log.csv")
          ->required();
  add_old_spelling(*command, output_dir, "-o");
  command->add_option("--epochs", o.epochs, "epochs in all (overrides the config)")->check(kPositiveCount);
  command->add_option("--resume", o.resume,
                      "continue from a run's last.h5 (weights, optimiser state, epoch, history) up to --epochs "
                      "in all; same --config");
  command->add_flag("--overwrite", o.overwrite, "replace the run already in the output folder (its last.h5, "
                                                "generator_epoch_*.h5 and log.csv are removed first)")
      ->excludes("--resume");
  command->add_option("--max-showers", o.max_showers, "train on the first N showers only")->check(kPositiveCount);
  command->add_option("--reference", o.reference,
                      "held-out showers: after each epoch, the distance of generated shower shapes to theirs");
  command->add_option("--reference-showers", o.reference_showers, "how many reference showers to compare")
      ->check(kPositiveCount)
      ->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, true);
  command->callback([] { run_train_calogan(o); });
}

}  // namespace jetimg::app
