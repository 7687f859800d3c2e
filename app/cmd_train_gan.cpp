// `jetimg train-gan`: trains CaloGAN on a showers file (CaloGAN layout) ->
// last.h5 (generator and discriminator), generator_epoch_NNN.h5 and log.csv
// in the output directory.
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/device.h"
#include "core/error.h"
#include "models/gan_training.h"
#include "physics/shower_shapes.h"

namespace jetimg::app {
namespace {

struct TrainGanOptions {
  std::string config = "configs/calogan.json", data, reference, output_dir, device = "auto", resume;
  int64_t epochs = 0, max_showers = 0, reference_showers = 2000;
  int threads = 0;
  bool overwrite = false;
};

int64_t count(const std::vector<NamedTensor>& tensors) {
  int64_t n = 0;
  for (const NamedTensor& t : tensors) n += t.tensor->numel();
  return n;
}

void run_train_gan(const TrainGanOptions& o) {
  apply_threads(o.threads);
  check_run_folder(o.output_dir, run_start(o.resume, o.overwrite), kCaloGanRunFiles, {o.config, o.data, o.reference});
  CaloGanFile file = load_calogan_config(o.config);
  if (o.epochs > 0) file.training.epochs = o.epochs;
  const ShowersReader reader(o.data);
  if (reader.size() == 0) fail("'", o.data, "' holds no showers");
  const int64_t n = o.max_showers > 0 ? std::min(o.max_showers, reader.size()) : reader.size();
  // The showers' calorimeter must be the model's.
  const auto check_geometry = [&](const ShowersReader& showers, const std::string& path) {
    const std::vector<LayerGeometry>& g = showers.geometry();
    if (g.size() != file.model.geometry.size())
      fail("'", path, "' has ", g.size(), " calorimeter layers but '", o.config, "' describes ",
           file.model.geometry.size());
    for (size_t l = 0; l < g.size(); ++l)
      if (g[l].rows != file.model.geometry[l].rows || g[l].cols != file.model.geometry[l].cols)
        fail("'", path, "': layer ", l, " is ", g[l].rows, "x", g[l].cols, " cells but '", o.config, "' expects ",
             file.model.geometry[l].rows, "x", file.model.geometry[l].cols);
  };
  check_geometry(reader, o.data);
  const ShowerBatch data = reader.read(0, n);

  // Shapes of held-out reference showers, to see training move towards them.
  ShowerBatch reference;
  if (!o.reference.empty()) {
    const ShowersReader ref(o.reference);
    check_geometry(ref, o.reference);
    if (ref.size() == 0) fail("'", o.reference, "' holds no showers");
    reference = ref.read(0, std::min(o.reference_showers, ref.size()));
  }

  const Device device = resolve_device(o.device);
  Context ctx(device, file.training.seed);
  CaloGanGenerator gen(ctx, file.model);
  CaloGanDiscriminator disc(ctx, file.model);
  std::printf("training CaloGAN (generator %lld parameters, discriminator %lld) on %lld showers of '%s' on %s, %lld "
              "epochs -> %s\n",
              static_cast<long long>(count(gen.parameters())), static_cast<long long>(count(disc.parameters())),
              static_cast<long long>(n), o.data.c_str(), device.str().c_str(),
              static_cast<long long>(file.training.epochs), o.output_dir.c_str());
  std::fflush(stdout);

  GanTrainOptions options;
  options.output_dir = o.output_dir;
  options.resume = o.resume;
  options.overwrite = o.overwrite;
  std::unique_ptr<Progress> progress;
  int64_t shown_epoch = 0, done = 0;
  char label[128];
  options.on_batch = [&](int64_t epoch, int64_t step, int64_t steps, double d_loss, double g_loss) {
    if (epoch != shown_epoch) {
      progress = std::make_unique<Progress>("epoch", steps, "steps");
      shown_epoch = epoch;
      done = 0;
    }
    std::snprintf(label, sizeof label, "epoch %lld/%lld D %.4f G %.4f", static_cast<long long>(epoch),
                  static_cast<long long>(file.training.epochs), d_loss, g_loss);
    progress->set_label(label);
    progress->advance(step - done);
    done = step;
  };
  if (reference.size() > 0) {
    options.measure = [&](Context& c, CaloGanGenerator& g, int64_t) {
      const ShowerBatch generated = generate_showers(c, g, reference.energy, 256);
      return mean_normalised_w1(compare_shower_shapes(reference, generated));
    };
  }
  options.on_epoch = [&](const GanEpochRecord& r) {
    if (progress) progress->done();
    std::printf("epoch %lld/%lld: D loss %.4f (real %.4f, generated %.4f), G loss %.4f, |E_tot - E| %.2f GeV, "
                "%.1f s",
                static_cast<long long>(r.epoch), static_cast<long long>(file.training.epochs), r.d_loss, r.d_real,
                r.d_fake, r.g_loss, r.energy_mae, r.seconds);
    if (r.shape_distance >= 0) std::printf(", shower-shape distance to the reference %.4f", r.shape_distance);
    std::printf("\n");
    std::fflush(stdout);
  };
  const GanTrainResult result = train_calogan(ctx, gen, disc, data, file.training, options);
  if (result.history.empty() && !o.resume.empty())
    std::printf("'%s' has already been trained for %lld epochs or more; nothing to do (raise --epochs)\n",
                o.resume.c_str(), static_cast<long long>(file.training.epochs));
  std::printf("done -> %s\n", result.last_checkpoint.c_str());
}

}  // namespace

void add_train_gan_command(CLI::App& app) {
  static TrainGanOptions o;
  auto* command = app.add_subcommand("train-gan", "Train CaloGAN (fast calorimeter simulation) on a showers file");
  command->add_option("--data", o.data, "showers file (CaloGAN layout), e.g. from 'jetimg simulate'")->required();
  command->add_option("--config", o.config, "CaloGAN config (JSON)")->capture_default_str();
  command->add_option("-o,--output-dir", o.output_dir, "directory for last.h5, generator_epoch_NNN.h5 and log.csv")
      ->required();
  command->add_option("--epochs", o.epochs, "epochs in all (overrides the config)")->check(kPositiveCount);
  command->add_option("--resume", o.resume,
                      "continue from a run's last.h5 (weights, optimiser state, epoch, history) up to --epochs "
                      "in all; same --config");
  command->add_flag("--overwrite", o.overwrite, "replace the run already in the output directory (its last.h5, "
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
  command->callback([] { run_train_gan(o); });
}

}  // namespace jetimg::app
