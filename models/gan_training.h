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
// Deterministic for a seed on the CPU: the noise and energies come from the
// context's Philox streams and the shuffles from the seed and epoch.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/showers_file.h"
#include "models/calogan.h"
#include "models/optimiser.h"

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

  Json to_json() const;
  static GanTrainConfig from_json(const Json& json, const std::string& file);
};

// A CaloGAN config file: {"model": {...CaloGanConfig...}, "training": {...}}.
struct CaloGanFile {
  CaloGanConfig model;
  GanTrainConfig training;
};
CaloGanFile load_calogan_config(const std::string& path);

struct GanEpochRecord {
  int64_t epoch = 0;
  double d_loss = 0, d_real = 0, d_fake = 0, g_loss = 0, energy_mae = 0;  // energy_mae: generator steps, GeV
  double seconds = 0, showers_per_s = 0;  // showers_per_s: generated per second of training
  double shape_distance = -1;             // from on_epoch's measure, -1 if none
  Json to_json() const;
};

// The files a CaloGAN run writes into its output folder.
extern const std::vector<std::string> kCaloGanRunFiles;

struct GanTrainOptions {
  std::string output_dir;  // last.h5, generator_epoch_NNN.h5, log.csv
  bool overwrite = false;  // a fresh run into a non-empty folder: see io/outputs.h
  // A last.h5 to continue from: both networks' weights, both optimisers'
  // state, the epoch count and the history; training goes on to
  // config.epochs in all (log.csv is appended to). The model must be the
  // checkpoint's. Noise draws start afresh, so a resumed run is not the
  // bit-for-bit continuation of an uninterrupted one.
  std::string resume;
  // After every step: epoch, step, steps per epoch, mean D and G loss so far.
  std::function<void(int64_t, int64_t, int64_t, double, double)> on_batch;
  // After every epoch, with the generator in inference mode; may return a
  // distance to record (e.g. of shower shapes to a reference), or -1.
  std::function<double(Context&, CaloGanGenerator&, int64_t)> measure;
  std::function<void(const GanEpochRecord&)> on_epoch;
};

struct GanTrainResult {
  std::vector<GanEpochRecord> history;
  std::string last_checkpoint;
};

// Trains on `data` (showers in MeV with incident energies in GeV, on the
// CPU). A loss that turns NaN or infinite stops training with an Error
// naming the epoch and step, and so do weights that turn NaN or infinite
// (checked at the end of each epoch, before its checkpoints); the
// checkpoints of completed epochs stay.
GanTrainResult train_calogan(Context& ctx, CaloGanGenerator& gen, CaloGanDiscriminator& disc, const ShowerBatch& data,
                             const GanTrainConfig& config, const GanTrainOptions& options);

// Checkpoints (HDF5, written atomically): attributes format =
// "jetimg-calogan", version = 1, model = JSON (CaloGanConfig), training =
// JSON, epoch, history = JSON; groups generator/ and (optionally)
// discriminator/ holding each named parameter and buffer; with the
// optimisers (last.h5), groups optimiser_generator/ and
// optimiser_discriminator/ holding their state ("<parameter>.m", ".v") and
// attributes optimiser_generator_steps and optimiser_discriminator_steps.
void save_calogan(const std::string& path, CaloGanGenerator& gen, CaloGanDiscriminator* disc,
                  const GanTrainConfig& training, int64_t epoch, const Json& history,
                  Optimiser* gen_optimiser = nullptr, Optimiser* disc_optimiser = nullptr);
// The generator of a checkpoint on ctx's device, in inference mode.
std::unique_ptr<CaloGanGenerator> load_calogan_generator(Context& ctx, const std::string& path);
CaloGanConfig read_calogan_model_config(const std::string& path);

// Generates showers for the incident energies (N, 1) GeV (on the CPU) with
// the generator in inference mode, in batches of `batch`; MeV out.
ShowerBatch generate_showers(Context& ctx, CaloGanGenerator& gen, const Tensor& energy, int64_t batch);

}  // namespace jetimg
