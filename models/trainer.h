// Training a Sequential network on labelled jet images: seeded shuffles each
// epoch, a seeded validation split, a learning-rate schedule, clipping,
// early stopping on the validation loss, and checkpoints (the best one kept,
// the last one for resuming). On the CPU a run is a pure function of its
// seed: the same seed gives the same loss curve, and a resumed run the same
// curve as an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/optimiser.h"
#include "models/sequential.h"
#include "models/training_data.h"

namespace jetimg {

// The training config file (every key optional; defaults below):
//   epochs 20, batch_size 128, lr 0.001,
//   optimiser {"type": "adam"} (see make_optimiser),
//   schedule {"type": "constant"} (see LrSchedule),
//   clip 0 (largest global gradient norm; 0: no clipping),
//   validation_fraction 0.2, patience 5 (epochs without a better validation
//   loss before stopping; 0: never stop early), seed 1,
//   weights "none" | "flat_pt", pt_bins 20,
//   loss "binary_crossentropy" (one logit) | "categorical_crossentropy"
//        (one logit per class) | "mse" | "mae" (one output, against the label)
struct TrainConfig {
  int64_t epochs = 20;
  int64_t batch_size = 128;
  double lr = 1e-3;
  Json optimiser = {{"type", "adam"}};
  LrSchedule schedule;
  double clip = 0.0;
  double validation_fraction = 0.2;
  int64_t patience = 5;
  uint64_t seed = 1;
  std::string weights = "none";
  int pt_bins = 20;
  std::string loss = "binary_crossentropy";

  // Complete with defaults (the optimiser's too).
  Json to_json() const;
  static TrainConfig from_json(const Json& json, const std::string& file);
};
TrainConfig load_train_config(const std::string& path);

struct EpochRecord {
  int64_t epoch = 0;  // 1, 2, ...
  double train_loss = 0, val_loss = 0, lr = 0, seconds = 0, images_per_s = 0;
  bool improved = false;  // the best validation loss so far (and so written to best.h5)
  Json to_json() const;
  static EpochRecord from_json(const Json& json);
};

// The files a tagger's run writes into its output folder.
extern const std::vector<std::string> kTaggerRunFiles;

struct TrainOptions {
  std::string output_dir;  // best.h5, last.h5 and log.csv are written here (made if missing)
  std::string resume;      // a checkpoint to continue from ("": start afresh)
  // A fresh run refuses an output folder that is not empty; with `overwrite`
  // the previous run's files are removed first (io/outputs.h).
  bool overwrite = false;
  // Called after every training batch: epoch, images done this epoch, of how
  // many, and the mean training loss so far this epoch.
  std::function<void(int64_t, int64_t, int64_t, double)> on_batch;
  std::function<void(const EpochRecord&)> on_epoch;
};

struct TrainResult {
  std::vector<EpochRecord> history;  // every epoch, resumed ones included
  int64_t best_epoch = 0;
  double best_val_loss = 0;
  bool stopped_early = false;
  std::string best_checkpoint;
};

// Whether a network of one-sample output shape `out` fits the loss: one
// logit for binary cross-entropy and the regressions, one per class for
// categorical cross-entropy. The Error names `config` (where the loss was
// set) and `network`.
void check_loss_fits(const SampleShape& out, const std::string& loss, const std::string& network,
                     const std::string& config);

// Trains `net` (built on ctx's device from the config's seed, or to be
// loaded from options.resume) on `data`. Bad input — images that do not fit
// the network, a loss that does not fit its output, non-finite pixels, a
// loss that diverges — is an Error naming the file or the epoch and batch;
// the checkpoints already written stay as they were.
TrainResult train(Context& ctx, Sequential& net, const LabelledImages& data, const TrainConfig& config,
                  const TrainOptions& options);

}  // namespace jetimg
