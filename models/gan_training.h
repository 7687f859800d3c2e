// Training CaloGAN on showers, and its checkpoints.
//
// Each step, as the published training: one discriminator update on a batch
// of real showers (label real_label, their own incident energies), one on a
// batch of generated showers (label fake_label, incident energies drawn
// uniformly from [energy_min, energy_max]), then `generator_steps` generator
// updates with fresh noise and energies, labelled real. Both networks' loss
// is the binary cross-entropy of the real/fake output plus energy_weight ×
// the mean absolute error between the summed shower energy and the incident
// energy (the auxiliary energy term, λ_E = 0.05 published). Separate Adam
// optimisers (β1 = 0.5; learning rates 2e-5 for the discriminator and 2e-4
// for the generator, as published). Label smoothing (real_label < 1) and
// label flips (a fraction of the discriminator's labels swapped) are
// settings. Real and generated showers are never mixed in one batch (batch
// normalisation and minibatch discrimination see batch statistics).
//
// Unlike the published Keras code, the generator makes the discriminator's
// generated batch in training mode (batch statistics, as in the generator
// updates), not with its slowly moving averages.
//
// Deterministic for a seed on the CPU: the noise, energies and label flips
// come from Philox streams of the seed and the epoch, so a resumed run
// continues as an uninterrupted one would.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/batches.h"
#include "io/datasets.h"
#include "io/showers_file.h"
#include "models/calogan.h"
#include "models/optimiser.h"
#include "models/train_loop.h"

namespace jetimg {

struct GanTrainConfig {
  int64_t epochs = 50, batch_size = 256;
  double gen_lr = 2e-4, disc_lr = 2e-5, beta1 = 0.5, beta2 = 0.999, eps = 1e-7;
  double energy_weight = 0.05;
  int64_t generator_steps = 2;
  double real_label = 1.0, fake_label = 0.0, label_flip = 0.0;
  double energy_min = 1.0, energy_max = 100.0;  // GeV, for generated showers
  uint64_t seed = 1;
  int64_t checkpoint_every = 1;  // epochs between generator_epoch_NNN.h5 files (0: none)
  int64_t steps_per_epoch = 0;   // 0: one pass over the training showers
  int64_t shuffle_buffer_mb = 256;  // showers held for shuffling (MB)

  Json to_json() const;
  static GanTrainConfig from_json(const Json& json, const std::string& file);
};

// A CaloGAN config file: {"model": {...CaloGanConfig...}, "training": {...}}.
struct CaloGanFile {
  CaloGanConfig model;
  GanTrainConfig training;
};
CaloGanFile load_calogan_config(const std::string& path);

// The files a CaloGAN run writes into its output folder.
extern const std::vector<std::string> kCaloGanRunFiles;

// CaloGAN's part of training (models/train_loop.h). Real showers stream in
// shuffled full batches from the dataset; noise, energies and label flips
// come from the context's and the seed's Philox streams. log.csv's columns:
// epoch, d_loss, d_real, d_fake, g_loss, energy_mae, seconds, showers_per_s,
// shape_distance (the measure's, -1 without one). Every checkpoint_every
// epochs a generator-only checkpoint generator_epoch_NNN.h5 is written too.
class CaloGanTask : public TrainTask {
 public:
  // measure (optional): after each epoch, with the generator in inference
  // mode, a distance to record (e.g. of shower shapes to a reference).
  using Measure = std::function<double(Context&, CaloGanGenerator&, int64_t)>;
  CaloGanTask(Context& ctx, CaloGanGenerator& gen, CaloGanDiscriminator& disc, const ShowersDataset& data,
              const GanTrainConfig& config, Measure measure = {});
  std::string kind() const override { return "calogan"; }
  std::vector<CheckpointEntry> models() override {
    return {{"generator", &gen_, &adam_g_}, {"discriminator", &disc_, &adam_d_}};
  }
  Json settings() const override { return config_.to_json(); }
  std::vector<std::string> columns() const override {
    return {"d_loss", "d_real", "d_fake", "g_loss", "energy_mae", "seconds", "showers_per_s", "shape_distance"};
  }
  int64_t begin_epoch(Context& ctx, int64_t epoch) override;
  std::vector<std::string> device_values() const override { return {"d_real", "d_fake", "g_loss", "energy_mae"}; }
  void step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) override;
  void end_epoch(Context& ctx, int64_t epoch, EpochValues& values) override;
  void after_checkpoints(int64_t epoch, const std::string& dir, const TrainState& state) override;

 private:
  // The discriminator's verdict on `showers` against `labels`: the binary
  // cross-entropy (added to `bce`) and the energy term's mean absolute error
  // (added to each of `mae`), with their gradients (the energy term's
  // weighted) in dlogit_ and dtotal_; all on the device.
  void verdict(Context& ctx, const TensorMap& showers, const Tensor& labels, const LossSlot& bce,
               const std::vector<LossSlot>& mae);
  void disc_step(Context& ctx, const TensorMap& showers, const Tensor& labels, const StepValues& values,
                 const std::string& name);
  // Labels for a batch into `out`: `value`, each flipped to `other` with probability label_flip.
  void labels(Context& ctx, Tensor& out, double value, double other, uint64_t stream);
  void next_real(Context& ctx, int64_t epoch);
  CaloGanGenerator& gen_;
  CaloGanDiscriminator& disc_;
  const ShowersDataset& data_;
  GanTrainConfig config_;
  Measure measure_;
  Adam adam_g_, adam_d_;
  std::unique_ptr<BatchStream> stream_;
  int64_t passes_ = 0, steps_ = 0;
  TensorMap batch_, real_, fake_;
  Tensor z_, fake_energy_, dlogit_, dtotal_, real_labels_, fake_labels_, trick_;
  std::chrono::steady_clock::time_point start_;
};

// Trains through the loop; options.run_files are set to CaloGAN's.
LoopResult train_calogan(Context& ctx, CaloGanGenerator& gen, CaloGanDiscriminator& disc, const ShowersDataset& data,
                         const GanTrainConfig& config, const LoopOptions& options,
                         CaloGanTask::Measure measure = {});

// The generator of a checkpoint (version 2, or a CaloGAN checkpoint of
// version 1) on ctx's device, in inference mode.
std::unique_ptr<CaloGanGenerator> load_calogan_generator(Context& ctx, const std::string& path);

// Generation batch by batch into host memory: after the first batch of a
// size, a batch allocates nothing and does not wait for the device (its
// copies to the host are queued on the context's stream: the showers are
// there after ctx.synchronize()).
class ShowerSampler {
 public:
  explicit ShowerSampler(CaloGanGenerator& gen) : gen_(gen) {}
  // Showers for `energy` (count, 1) GeV on the host (pinned, for the copy
  // to overlap) into `layers`: one (count, rows, cols) host tensor per
  // calorimeter layer, in MeV. Noise from the context's random streams.
  void generate(Context& ctx, const Tensor& energy, const std::vector<Tensor>& layers);

 private:
  CaloGanGenerator& gen_;
  Tensor z_, e_;
};

// Generates showers for the incident energies (N, 1) GeV (on the CPU) with
// the generator in inference mode, in batches of `batch`; MeV out. One
// synchronisation, at the end.
ShowerBatch generate_showers(Context& ctx, CaloGanGenerator& gen, const Tensor& energy, int64_t batch);

}  // namespace jetimg
