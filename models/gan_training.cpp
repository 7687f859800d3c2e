#include "models/gan_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <utility>

#include "core/error.h"
#include "core/sampling.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "core/train_ops.h"
#include "io/atomic_output.h"
#include "models/checkpoint.h"
#include "io/hdf5.h"
#include "models/optimiser.h"

namespace jetimg {
namespace {

std::string epoch_file(const std::string& dir, int64_t epoch) {
  char name[48];
  std::snprintf(name, sizeof name, "generator_epoch_%03lld.h5", static_cast<long long>(epoch));
  return (std::filesystem::path(dir) / name).string();
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
          {"steps_per_epoch", steps_per_epoch}, {"shuffle_buffer_mb", shuffle_buffer_mb}};
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
  s.optional("shuffle_buffer_mb", c.shuffle_buffer_mb, int64_t{1}, int64_t{1} << 20);
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

const std::vector<std::string> kCaloGanRunFiles = {"last.h5", "log.csv", "generator_epoch_*.h5"};

// --- training ---------------------------------------------------------------------

CaloGanTask::CaloGanTask(Context& ctx, CaloGanGenerator& gen, CaloGanDiscriminator& disc, const ShowersDataset& data,
                         const GanTrainConfig& config, Measure measure)
    : gen_(gen),
      disc_(disc),
      data_(data),
      config_(config),
      measure_(std::move(measure)),
      adam_g_(float(config.gen_lr), float(config.beta1), float(config.beta2), float(config.eps)),
      adam_d_(float(config.disc_lr), float(config.beta1), float(config.beta2), float(config.eps)) {
  const std::vector<LayerGeometry>& g = gen.settings().geometry;
  if (data.geometry().size() != g.size())
    fail("CaloGAN training: the showers have ", data.geometry().size(), " calorimeter layers, the model ", g.size());
  for (size_t l = 0; l < g.size(); ++l)
    if (data.geometry()[l].rows != g[l].rows || data.geometry()[l].cols != g[l].cols)
      fail("CaloGAN training: layer ", l, " of the showers is ", data.geometry()[l].rows, "x", data.geometry()[l].cols,
           ", the model's ", g[l].rows, "x", g[l].cols);
  if (data.size() < config.batch_size)
    fail("CaloGAN training: ", data.size(), " showers, fewer than one batch of ", config.batch_size);
  const int64_t b = config.batch_size;
  z_ = Tensor::empty({b, gen.settings().latent}, ctx.device());
  fake_energy_ = Tensor::empty({b, 1}, ctx.device());
  real_labels_ = Tensor::empty({b, 1}, ctx.device());
  fake_labels_ = Tensor::empty({b, 1}, ctx.device());
  trick_ = Tensor::empty({b, 1}, ctx.device());
  fill(ctx, trick_, 1.0f);
}

void CaloGanTask::labels(Context& ctx, Tensor& out, double value, double other, uint64_t stream) {
  fill_flipped_labels(ctx, out, static_cast<float>(value), static_cast<float>(other), config_.label_flip, config_.seed,
                      stream);
}

void CaloGanTask::verdict(Context& ctx, const TensorMap& showers, const Tensor& labels, const LossSlot& bce,
                          const std::vector<LossSlot>& mae) {
  const TensorMap& out = disc_.forward(ctx, showers);
  ensure_tensor(dlogit_, out.at("logit").shape(), ctx.device());
  ensure_tensor(dtotal_, out.at("total_energy").shape(), ctx.device());
  bce_with_logits(ctx, out.at("logit"), labels, Tensor(), &dlogit_, bce);
  for (size_t i = 0; i < mae.size(); ++i)
    mean_absolute_error(ctx, out.at("total_energy"), showers.at("energy"), Tensor(), i == 0 ? &dtotal_ : nullptr,
                        mae[i]);
  scale(ctx, dtotal_, float(config_.energy_weight));
}

void CaloGanTask::disc_step(Context& ctx, const TensorMap& showers, const Tensor& labels, const StepValues& values,
                            const std::string& name) {
  verdict(ctx, showers, labels, values.slot(name), {values.slot(name, float(config_.energy_weight))});
  disc_.backward(ctx, {{"logit", dlogit_}, {"total_energy", dtotal_}});
  adam_d_.step(ctx, disc_.parameters(), disc_.gradients());
}

int64_t CaloGanTask::begin_epoch(Context&, int64_t epoch) {
  passes_ = 0;
  steps_ = 0;
  stream_.reset();
  start_ = std::chrono::steady_clock::now();
  const int64_t b = config_.batch_size;
  return config_.steps_per_epoch > 0 ? config_.steps_per_epoch : data_.size() / b;
  (void)epoch;
}

// The next full batch of real showers on the device; a new shuffled pass
// begins when one runs out (steps_per_epoch may ask for more than one pass).
void CaloGanTask::next_real(Context& ctx, int64_t epoch) {
  while (true) {
    if (!stream_) {
      StreamOptions o;
      o.batch = config_.batch_size;
      o.seed = config_.seed;
      o.stream = (static_cast<uint64_t>(epoch) << 16) + static_cast<uint64_t>(passes_++);
      o.buffer_bytes = config_.shuffle_buffer_mb << 20;
      o.pinned = !ctx.device().is_cpu();
      stream_ = std::make_unique<BatchStream>(data_, o);
    }
    if (stream_->next(batch_) && batch_.at("energy").dim(0) == config_.batch_size) break;
    stream_.reset();  // a partial last batch is left out: minibatch discrimination compares full batches
  }
  for (const auto& [name, t] : batch_) ensure_tensor(real_[name], t.shape(), ctx.device()).copy_from_async(ctx, t);
}

void CaloGanTask::step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) {
  next_real(ctx, epoch);
  ++steps_;
  // Label flips of this step: streams far from the context's, one per use.
  const uint64_t flips = (uint64_t{3} << 60) + (static_cast<uint64_t>(epoch) << 32) + static_cast<uint64_t>(step) * 4;
  // Discriminator: a real batch, then a generated one.
  labels(ctx, real_labels_, config_.real_label, config_.fake_label, flips);
  disc_step(ctx, real_, real_labels_, values, "d_real");
  random_normal(ctx, z_, 0.0f, 1.0f);
  random_uniform(ctx, fake_energy_, float(config_.energy_min), float(config_.energy_max));
  const TensorMap& generated = gen_.forward(ctx, {{"z", z_}, {"energy", fake_energy_}});
  for (const auto& [name, t] : generated) ensure_tensor(fake_[name], t.shape(), ctx.device()).copy_from_async(ctx, t);
  fake_["energy"] = fake_energy_;
  labels(ctx, fake_labels_, config_.fake_label, config_.real_label, flips + 1);
  disc_step(ctx, fake_, fake_labels_, values, "d_fake");
  // Generator: make the discriminator call its showers real, with their
  // summed energy near the requested one.
  const float per_step = 1.0f / float(config_.generator_steps);
  for (int64_t k = 0; k < config_.generator_steps; ++k) {
    random_normal(ctx, z_, 0.0f, 1.0f);
    random_uniform(ctx, fake_energy_, float(config_.energy_min), float(config_.energy_max));
    TensorMap showers = gen_.forward(ctx, {{"z", z_}, {"energy", fake_energy_}});
    showers["energy"] = fake_energy_;
    verdict(ctx, showers, trick_, values.slot("g_loss", per_step),
            {values.slot("g_loss", float(config_.energy_weight) * per_step), values.slot("energy_mae", per_step)});
    const TensorMap& dimages = disc_.backward(ctx, {{"logit", dlogit_}, {"total_energy", dtotal_}});
    gen_.backward(ctx, dimages);
    adam_g_.step(ctx, gen_.parameters(), gen_.gradients());
  }
}

void CaloGanTask::end_epoch(Context& ctx, int64_t epoch, EpochValues& values) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double d_real = value_of(values, "d_real"), d_fake = value_of(values, "d_fake");
  values = {{"d_loss", (d_real + d_fake) / 2},
            {"d_real", d_real},
            {"d_fake", d_fake},
            {"g_loss", value_of(values, "g_loss")},
            {"energy_mae", value_of(values, "energy_mae")},
            {"showers_per_s", double(steps_) * double(config_.batch_size) * double(config_.generator_steps + 1) /
                                  std::max(seconds, 1e-9)},
            {"shape_distance", measure_ ? measure_(ctx, gen_, epoch + 1) : -1.0}};
}

void CaloGanTask::after_checkpoints(int64_t epoch, const std::string& dir, const TrainState& state) {
  if (dir.empty() || config_.checkpoint_every <= 0 || epoch % config_.checkpoint_every != 0) return;
  save_checkpoint(epoch_file(dir, epoch), kind(), {{"generator", &gen_, nullptr}}, state);
}

LoopResult train_calogan(Context& ctx, CaloGanGenerator& gen, CaloGanDiscriminator& disc, const ShowersDataset& data,
                         const GanTrainConfig& config, const LoopOptions& options, CaloGanTask::Measure measure) {
  CaloGanTask task(ctx, gen, disc, data, config, std::move(measure));
  LoopConfig loop;
  loop.epochs = config.epochs;
  loop.seed = config.seed;
  LoopOptions with_files = options;
  with_files.run_files = kCaloGanRunFiles;
  return run_training(ctx, task, loop, with_files);
}

std::unique_ptr<CaloGanGenerator> load_calogan_generator(Context& ctx, const std::string& path) {
  const CheckpointFile checkpoint(path);
  if (checkpoint.kind() != "calogan")
    fail("'", path, "' is a ", checkpoint.kind(), " checkpoint, not CaloGAN's (make one with 'jetimg train-calogan')");
  auto gen = std::make_unique<CaloGanGenerator>(
      ctx, CaloGanConfig::from_json(without_type(checkpoint.model_config("generator")), path));
  checkpoint.load_into("generator", *gen);
  gen->set_training(false);
  return gen;
}

// --- generation -------------------------------------------------------------------------

void ShowerSampler::generate(Context& ctx, const Tensor& energy, const std::vector<Tensor>& layers) {
  const int64_t count = energy.dim(0);
  const std::vector<LayerGeometry>& geometry = gen_.settings().geometry;
  if (layers.size() != geometry.size())
    fail("ShowerSampler: ", layers.size(), " output layers for a generator of ", geometry.size());
  ensure_tensor(z_, {count, gen_.settings().latent}, ctx.device());
  ensure_tensor(e_, {count, 1}, ctx.device());
  random_normal(ctx, z_, 0.0f, 1.0f);
  e_.copy_from_async(ctx, energy.view({count, 1}));
  const std::vector<Tensor>& images = gen_.forward(ctx, z_, e_);
  for (size_t l = 0; l < images.size(); ++l) {
    Tensor image = images[l];  // the generator's output buffer, rewritten by its next forward pass
    scale(ctx, image, 1e3f);    // GeV -> MeV
    Tensor out = layers[l];
    out.copy_from_async(ctx, image.view({count, geometry[l].rows, geometry[l].cols}));
  }
}

ShowerBatch generate_showers(Context& ctx, CaloGanGenerator& gen, const Tensor& energy, int64_t batch) {
  const int64_t n = energy.dim(0);
  const bool gpu = ctx.device().is_cuda();
  const auto host = [gpu](const Shape& shape) { return gpu ? Tensor::empty_pinned(shape) : Tensor::empty(shape); };
  ShowerBatch out;
  out.energy = host({n, 1});
  out.energy.copy_from(energy.view({n, 1}));
  for (const LayerGeometry& g : gen.settings().geometry) out.layers.push_back(host({n, g.rows, g.cols}));
  out.overflow = Tensor::zeros({n, int64_t(gen.settings().geometry.size())});
  ShowerSampler sampler(gen);
  std::vector<Tensor> parts(out.layers.size());
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t count = std::min(batch, n - begin);
    for (size_t l = 0; l < parts.size(); ++l) parts[l] = out.layers[l].slice(begin, begin + count);
    sampler.generate(ctx, out.energy.slice(begin, begin + count), parts);
  }
  ctx.synchronize();
  return out;
}

}  // namespace jetimg
