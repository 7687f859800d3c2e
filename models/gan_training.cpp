#include "models/gan_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <utility>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "core/train_ops.h"
#include "io/atomic_output.h"
#include "models/checkpoint.h"
#include "io/hdf5.h"
#include "io/outputs.h"
#include "models/optimiser.h"

namespace jetimg {
namespace {

constexpr const char* kFormat = "jetimg-calogan";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string epoch_file(const std::string& dir, int64_t epoch) {
  char name[48];
  std::snprintf(name, sizeof name, "generator_epoch_%03lld.h5", static_cast<long long>(epoch));
  return (std::filesystem::path(dir) / name).string();
}

// Rows `index[begin, begin + count)` of `src` (N, ...) into `dst` (count, ...) on dst's device.
void gather_rows(const Tensor& src, const std::vector<int64_t>& index, int64_t begin, int64_t count, Tensor& staging,
                 Tensor& dst) {
  const int64_t row = src.numel() / src.dim(0);
  for (int64_t i = 0; i < count; ++i)
    std::copy_n(src.data() + index[begin + i] * row, row, staging.data() + i * row);
  dst.copy_from(staging);
}

Tensor labels_for(int64_t n, double value, double flip, double other, std::mt19937_64& rng, Device device) {
  std::vector<float> labels(static_cast<size_t>(n), static_cast<float>(value));
  if (flip > 0) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (float& l : labels)
      if (u(rng) < flip) l = static_cast<float>(other);
  }
  return Tensor::from_vector(labels, {n, 1}).to(device);
}

void check_finite(double loss, const char* which, int64_t epoch, int64_t step, const std::string& last_good) {
  if (std::isfinite(loss)) return;
  fail("CaloGAN training: the ", which, " loss became ", loss, " at epoch ", epoch, ", step ", step,
       "; training stopped. ",
       last_good.empty() ? std::string("No epoch had completed, so there is no checkpoint.")
                         : "The last good checkpoint is '" + last_good + "'.",
       " Lower the learning rates or check the input showers.");
}

// The weights (a ReLU turns NaN into 0, so a network whose weights went bad
// can still give finite losses): checked before an epoch's checkpoints.
void check_weights_finite(Context& ctx, const std::vector<NamedTensor>& weights, const char* network, int64_t epoch,
                          const std::string& last_good) {
  for (const NamedTensor& w : weights) {
    const double norm = squared_norm(ctx, *w.tensor);
    if (std::isfinite(norm)) continue;
    fail("CaloGAN training: the ", network, "'s weights '", w.name, "' became NaN or infinite during epoch ", epoch,
         "; training stopped. ",
         last_good.empty() ? std::string("No epoch had completed, so there is no checkpoint.")
                           : "The last good checkpoint is '" + last_good + "'.",
         " Lower the learning rates or check the input showers.");
  }
}

}  // namespace

// --- config -------------------------------------------------------------------------

Json GanTrainConfig::to_json() const {
  return {{"epochs", epochs},           {"batch_size", batch_size},
          {"gen_lr", gen_lr},           {"disc_lr", disc_lr},
          {"beta1", beta1},             {"beta2", beta2},
          {"eps", eps},                 {"energy_weight", energy_weight},
          {"generator_steps", generator_steps}, {"real_label", real_label},
          {"fake_label", fake_label},   {"label_flip", label_flip},
          {"energy_min", energy_min},   {"energy_max", energy_max},
          {"seed", seed},               {"checkpoint_every", checkpoint_every},
          {"steps_per_epoch", steps_per_epoch}};
}

GanTrainConfig GanTrainConfig::from_json(const Json& json, const std::string& file) {
  GanTrainConfig c;
  ConfigSection s(json, file, "training");
  s.optional("epochs", c.epochs);
  s.optional("batch_size", c.batch_size);
  s.optional("gen_lr", c.gen_lr);
  s.optional("disc_lr", c.disc_lr);
  s.optional("beta1", c.beta1);
  s.optional("beta2", c.beta2);
  s.optional("eps", c.eps);
  s.optional("energy_weight", c.energy_weight);
  s.optional("generator_steps", c.generator_steps);
  s.optional("real_label", c.real_label);
  s.optional("fake_label", c.fake_label);
  s.optional("label_flip", c.label_flip);
  s.optional("energy_min", c.energy_min);
  s.optional("energy_max", c.energy_max);
  s.optional("seed", c.seed);
  s.optional("checkpoint_every", c.checkpoint_every);
  s.optional("steps_per_epoch", c.steps_per_epoch);
  s.finish();
  const auto need = [&](bool ok, const char* key, const char* what, double value) {
    if (!ok) fail(file, ": 'training.", key, "' must be ", what, ", got ", value);
  };
  need(c.epochs >= 1 && c.epochs <= kMaxEpochs, "epochs", "in [1, 1000000]", double(c.epochs));
  need(c.batch_size >= 2 && c.batch_size <= kMaxBatch, "batch_size",
       "in [2, 1048576] (minibatch discrimination compares showers)", double(c.batch_size));
  need(c.gen_lr > 0 && c.gen_lr <= 10, "gen_lr", "in (0, 10]", c.gen_lr);
  need(c.disc_lr > 0 && c.disc_lr <= 10, "disc_lr", "in (0, 10]", c.disc_lr);
  need(c.beta1 >= 0 && c.beta1 < 1, "beta1", "in [0, 1)", c.beta1);
  need(c.beta2 >= 0 && c.beta2 < 1, "beta2", "in [0, 1)", c.beta2);
  need(c.eps > 0 && c.eps <= 1, "eps", "in (0, 1]", c.eps);
  need(c.energy_weight >= 0 && c.energy_weight <= 1000, "energy_weight", "in [0, 1000]", c.energy_weight);
  need(c.generator_steps >= 1 && c.generator_steps <= 100, "generator_steps", "in [1, 100]", double(c.generator_steps));
  need(c.real_label >= 0 && c.real_label <= 1, "real_label", "in [0, 1]", c.real_label);
  need(c.fake_label >= 0 && c.fake_label <= 1, "fake_label", "in [0, 1]", c.fake_label);
  need(c.label_flip >= 0 && c.label_flip < 0.5, "label_flip", "in [0, 0.5)", c.label_flip);
  need(c.energy_min > 0, "energy_min", "> 0 GeV", c.energy_min);
  need(c.energy_max > c.energy_min && c.energy_max <= 1e5, "energy_max", "above energy_min and at most 1e5 GeV", c.energy_max);
  need(c.checkpoint_every >= 0, "checkpoint_every", ">= 0", double(c.checkpoint_every));
  need(c.steps_per_epoch >= 0, "steps_per_epoch", ">= 0", double(c.steps_per_epoch));
  return c;
}

CaloGanFile load_calogan_config(const std::string& path) {
  const Json json = load_json_file(path);
  ConfigSection s(json, path, "");
  s.accept("model");
  s.accept("training");
  s.finish();
  CaloGanFile f;
  f.model = CaloGanConfig::from_json(json.value("model", Json::object()), path);
  f.training = GanTrainConfig::from_json(json.value("training", Json::object()), path);
  return f;
}

Json GanEpochRecord::to_json() const {
  return {{"epoch", epoch},   {"d_loss", d_loss},   {"d_real", d_real},
          {"d_fake", d_fake}, {"g_loss", g_loss},   {"energy_mae", energy_mae},
          {"seconds", seconds}, {"showers_per_s", showers_per_s}, {"shape_distance", shape_distance}};
}

// --- checkpoints --------------------------------------------------------------------

void save_calogan(const std::string& path, CaloGanGenerator& gen, CaloGanDiscriminator* disc,
                  const GanTrainConfig& training, int64_t epoch, const Json& history, Optimiser* gen_optimiser,
                  Optimiser* disc_optimiser) {
  AtomicOutput out(path);
  {
    h5::File file = h5::File::create(out.temp_path(), out.path());
    file.write_attribute("format", kFormat);
    file.write_attribute("version", int64_t{1});
    file.write_attribute("model", gen.settings().to_json().dump());
    file.write_attribute("training", training.to_json().dump());
    file.write_attribute("epoch", epoch);
    file.write_attribute("history", history.dump());
    write_tensor_group(file, "generator", stored_tensors(gen));
    if (disc) {
      write_tensor_group(file, "discriminator", stored_tensors(*disc));
      if (gen_optimiser) write_optimiser_state(file, "optimiser_generator", *gen_optimiser, gen.parameters());
      if (disc_optimiser) write_optimiser_state(file, "optimiser_discriminator", *disc_optimiser, disc->parameters());
    }
    file.close();
  }
  out.commit();
}

CaloGanConfig read_calogan_model_config(const std::string& path) {
  h5::File file = h5::File::open(path);
  file.require_format(kFormat, 1, "a CaloGAN checkpoint (made by 'jetimg train-gan')");
  const Json model = file.read_json_attribute("model");
  return CaloGanConfig::from_json(model, path);
}

std::unique_ptr<CaloGanGenerator> load_calogan_generator(Context& ctx, const std::string& path) {
  const CaloGanConfig config = read_calogan_model_config(path);
  auto gen = std::make_unique<CaloGanGenerator>(ctx, config);
  h5::File file = h5::File::open(path);
  read_tensor_group(file, "generator", stored_tensors(*gen));
  gen->set_training(false);
  return gen;
}

namespace {

// Where a resumed training picks up.
struct ResumePoint {
  int64_t epoch = 0;
  Json history = Json::array();
};

// Loads a last.h5 into the networks and optimisers of a training run.
ResumePoint resume_calogan(const std::string& path, CaloGanGenerator& gen, CaloGanDiscriminator& disc,
                           Optimiser& gen_optimiser, Optimiser& disc_optimiser) {
  const CaloGanConfig model = read_calogan_model_config(path);
  if (model.to_json() != gen.settings().to_json())
    fail("cannot resume from '", path, "': it holds another CaloGAN model (its config: ", model.to_json().dump(),
         "); resume with the config it was trained with");
  h5::File file = h5::File::open(path);
  if (!file.has("discriminator") || !file.has("optimiser_generator") || !file.has("optimiser_discriminator"))
    fail("cannot resume from '", path, "': it holds no discriminator or optimiser state (a generator_epoch file?); "
         "resume from the run's last.h5");
  read_tensor_group(file, "generator", stored_tensors(gen));
  read_tensor_group(file, "discriminator", stored_tensors(disc));
  read_optimiser_state(file, "optimiser_generator", gen_optimiser, gen.parameters());
  read_optimiser_state(file, "optimiser_discriminator", disc_optimiser, disc.parameters());
  ResumePoint point;
  point.epoch = file.read_int_attribute("epoch");
  point.history = file.read_json_attribute("history");
  if (point.epoch < 0 || !point.history.is_array() || point.history.size() != static_cast<size_t>(point.epoch))
    fail("'", path, "': its epoch (", point.epoch, ") and history do not match (damaged checkpoint?)");
  return point;
}

}  // namespace

// --- generation -------------------------------------------------------------------------

ShowerBatch generate_showers(Context& ctx, CaloGanGenerator& gen, const Tensor& energy, int64_t batch) {
  const int64_t n = energy.dim(0);
  ShowerBatch out;
  out.energy = energy.to(Device::cpu()).view({n, 1});
  for (const LayerGeometry& g : gen.settings().geometry) out.layers.push_back(Tensor::empty({n, g.rows, g.cols}));
  out.overflow = Tensor::zeros({n, int64_t(gen.settings().geometry.size())});
  Tensor z;
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t count = std::min(batch, n - begin);
    ensure_tensor(z, {count, gen.settings().latent}, ctx.device());
    random_normal(ctx, z, 0.0f, 1.0f);
    const Tensor e = out.energy.slice(begin, begin + count).to(ctx.device());
    const std::vector<Tensor>& images = gen.forward(ctx, z, e);
    const ShowerBatch part = network_to_showers(images, e);
    for (size_t l = 0; l < images.size(); ++l) out.layers[l].slice(begin, begin + count).copy_from(part.layers[l]);
  }
  return out;
}

// --- training -------------------------------------------------------------------------

const std::vector<std::string> kCaloGanRunFiles = {"last.h5", "log.csv", "generator_epoch_*.h5"};

GanTrainResult train_calogan(Context& ctx, CaloGanGenerator& gen, CaloGanDiscriminator& disc, const ShowerBatch& data,
                             const GanTrainConfig& config, const GanTrainOptions& options) {
  const int64_t n = data.size(), b = config.batch_size;
  if (n < b) fail("CaloGAN training: ", n, " training showers, fewer than one batch of ", b);
  if (data.layers.size() != gen.settings().geometry.size())
    fail("CaloGAN training: the showers have ", data.layers.size(), " layers, the model ",
         gen.settings().geometry.size());
  for (size_t l = 0; l < data.layers.size(); ++l) {
    const LayerGeometry& g = gen.settings().geometry[l];
    if (data.layers[l].dim(1) != g.rows || data.layers[l].dim(2) != g.cols)
      fail("CaloGAN training: layer ", l, " of the showers is ", data.layers[l].dim(1), "x", data.layers[l].dim(2),
           ", the model's ", g.rows, "x", g.cols);
  }
  if (!options.output_dir.empty())
    prepare_run_folder(options.output_dir, run_start(options.resume, options.overwrite), kCaloGanRunFiles, {});

  // Showers as the networks see them (GeV), kept on the CPU; batches are
  // gathered into staging tensors and copied to the device.
  const std::vector<Tensor> images = showers_to_network(data, Device::cpu());
  const size_t layers = images.size();
  std::vector<Tensor> staging, real(layers), fake_images(layers);
  for (size_t l = 0; l < layers; ++l) {
    const Shape s{b, 1, images[l].dim(2), images[l].dim(3)};
    staging.push_back(Tensor::empty(s));
    real[l] = Tensor::empty(s, ctx.device());
  }
  Tensor energy_staging = Tensor::empty({b, 1}), real_energy = Tensor::empty({b, 1}, ctx.device());
  Tensor z = Tensor::empty({b, gen.settings().latent}, ctx.device()), fake_energy = Tensor::empty({b, 1}, ctx.device());
  Tensor dlogit, dtotal;

  Adam adam_g(float(config.gen_lr), float(config.beta1), float(config.beta2), float(config.eps));
  Adam adam_d(float(config.disc_lr), float(config.beta1), float(config.beta2), float(config.eps));
  const int64_t steps = config.steps_per_epoch > 0 ? config.steps_per_epoch : n / b;
  std::vector<int64_t> order(static_cast<size_t>(n));
  GanTrainResult result;
  ResumePoint start_point;
  if (!options.resume.empty()) start_point = resume_calogan(options.resume, gen, disc, adam_g, adam_d);
  Json history = start_point.history;
  std::ofstream log;
  if (!options.output_dir.empty()) {
    const std::filesystem::path log_path = std::filesystem::path(options.output_dir) / "log.csv";
    const bool append = !options.resume.empty() && std::filesystem::exists(log_path);
    log.open(log_path, append ? std::ios::app : std::ios::trunc);
    if (!append) log << "epoch,d_loss,d_real,d_fake,g_loss,energy_mae,seconds,showers_per_s,shape_distance\n";
  }
  std::string last_good = options.resume;
  result.last_checkpoint = options.resume;
  const float weight = float(config.energy_weight);

  // The discriminator's verdict on `imgs` against `labels`: the binary
  // cross-entropy and the energy term's mean absolute error, with their
  // gradients (the energy term's weighted) in dlogit and dtotal.
  const auto losses = [&](const std::vector<Tensor>& imgs, const Tensor& energy, const Tensor& labels) {
    const CaloGanDiscriminator::Output out = disc.forward(ctx, imgs, energy);
    ensure_tensor(dlogit, out.logit.shape(), ctx.device());
    ensure_tensor(dtotal, out.total_energy.shape(), ctx.device());
    const double bce = bce_with_logits(ctx, out.logit, labels, Tensor(), &dlogit);
    const double mae = mean_absolute_error(ctx, out.total_energy, energy, Tensor(), &dtotal);
    scale(ctx, dtotal, weight);
    return std::pair<double, double>{bce, mae};
  };
  // One discriminator update on `imgs` with labels `labels`; returns its loss.
  const auto disc_step = [&](const std::vector<Tensor>& imgs, const Tensor& energy, const Tensor& labels) {
    const auto [bce, mae] = losses(imgs, energy, labels);
    disc.backward(ctx, dlogit, dtotal);
    adam_d.step(ctx, disc.parameters(), disc.gradients());
    return bce + weight * mae;
  };

  for (int64_t epoch = start_point.epoch + 1; epoch <= config.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(config.seed * 1000003ULL + uint64_t(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    gen.set_training(true);
    disc.set_training(true);
    double d_real = 0, d_fake = 0, g_loss = 0, energy_mae = 0;
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t begin = (step * b) % (n - n % b);
      for (size_t l = 0; l < layers; ++l) gather_rows(images[l], order, begin, b, staging[l], real[l]);
      gather_rows(data.energy, order, begin, b, energy_staging, real_energy);

      // Discriminator: a real batch, then a generated one.
      const double real_loss = disc_step(real, real_energy, labels_for(b, config.real_label, config.label_flip,
                                                                          config.fake_label, rng, ctx.device()));
      check_finite(real_loss, "discriminator", epoch, step + 1, last_good);
      random_normal(ctx, z, 0.0f, 1.0f);
      random_uniform(ctx, fake_energy, float(config.energy_min), float(config.energy_max));
      const std::vector<Tensor>& generated = gen.forward(ctx, z, fake_energy);
      for (size_t l = 0; l < layers; ++l) fake_images[l] = generated[l].clone();
      const double fake_loss = disc_step(fake_images, fake_energy, labels_for(b, config.fake_label, config.label_flip,
                                                                                config.real_label, rng, ctx.device()));
      check_finite(fake_loss, "discriminator", epoch, step + 1, last_good);
      d_real += real_loss, d_fake += fake_loss;

      // Generator: make the discriminator call its showers real, with their
      // summed energy near the requested one.
      const Tensor trick = labels_for(b, 1.0, 0.0, 0.0, rng, ctx.device());
      for (int64_t k = 0; k < config.generator_steps; ++k) {
        random_normal(ctx, z, 0.0f, 1.0f);
        random_uniform(ctx, fake_energy, float(config.energy_min), float(config.energy_max));
        const auto [bce, mae] = losses(gen.forward(ctx, z, fake_energy), fake_energy, trick);
        const std::vector<Tensor>& dimages = disc.backward(ctx, dlogit, dtotal);
        gen.backward(ctx, dimages);
        adam_g.step(ctx, gen.parameters(), gen.gradients());
        const double loss = bce + weight * mae;
        check_finite(loss, "generator", epoch, step + 1, last_good);
        g_loss += loss / double(config.generator_steps);
        energy_mae += mae / double(config.generator_steps);
      }
      if (options.on_batch)
        options.on_batch(epoch, step + 1, steps, (d_real + d_fake) / (2.0 * (step + 1)), g_loss / double(step + 1));
    }
    ctx.synchronize();
    check_weights_finite(ctx, gen.parameters(), "generator", epoch, last_good);
    check_weights_finite(ctx, disc.parameters(), "discriminator", epoch, last_good);
    GanEpochRecord record;
    record.epoch = epoch;
    record.d_real = d_real / double(steps);
    record.d_fake = d_fake / double(steps);
    record.d_loss = (record.d_real + record.d_fake) / 2.0;
    record.g_loss = g_loss / double(steps);
    record.energy_mae = energy_mae / double(steps);
    record.seconds = seconds_since(start);
    record.showers_per_s = double(steps) * double(b) * double(config.generator_steps + 1) / record.seconds;
    if (options.measure) {
      gen.set_training(false);
      record.shape_distance = options.measure(ctx, gen, epoch);
    }
    history.push_back(record.to_json());
    result.history.push_back(record);
    if (!options.output_dir.empty()) {
      const std::string last = (std::filesystem::path(options.output_dir) / "last.h5").string();
      save_calogan(last, gen, &disc, config, epoch, history, &adam_g, &adam_d);
      if (config.checkpoint_every > 0 && epoch % config.checkpoint_every == 0)
        save_calogan(epoch_file(options.output_dir, epoch), gen, nullptr, config, epoch, history);
      last_good = result.last_checkpoint = last;
      log << epoch << ',' << record.d_loss << ',' << record.d_real << ',' << record.d_fake << ',' << record.g_loss
          << ',' << record.energy_mae << ',' << record.seconds << ',' << record.showers_per_s << ','
          << record.shape_distance << '\n'
          << std::flush;
    }
    if (options.on_epoch) options.on_epoch(record);
  }
  gen.set_training(false);
  return result;
}

}  // namespace jetimg
