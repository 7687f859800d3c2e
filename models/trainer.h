// Training a tagger (any Model with one input and one output) on labelled
// jet images through the one training loop: seeded shuffles each epoch, a
// seeded validation split, a learning-rate schedule, clipping, early stopping
// on the validation loss, and checkpoints (the best one kept, the last one
// for resuming). On the CPU a run is a pure function of its seed: the same
// seed gives the same loss curve, and a resumed run the same curve as an
// uninterrupted one.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/batches.h"
#include "io/datasets.h"
#include "models/optimiser.h"
#include "models/tagger_feed.h"
#include "models/train_loop.h"
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
//        (one logit per class) | "mse" | "mae" (one output, against the label),
//   shuffle_buffer_mb 256
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
  // Megabytes of images held for shuffling (the chunks of the file mixed at
  // a time; the whole training set when it fits).
  int64_t shuffle_buffer_mb = 256;

  // Complete with defaults (the optimiser's too).
  Json to_json() const;
  static TrainConfig from_json(const Json& json, const std::string& file);
};
TrainConfig load_train_config(const std::string& path);

// The rows held out for validation: row r of the dataset (signal files
// first, then background, in file order) when a uniform number of (seed, r)
// falls below the fraction. The split is the same for a given seed whatever
// the run (resumed or not, any batch size or number of processes).
bool is_validation_row(uint64_t seed, double fraction, int64_t row);

// The files a tagger's run writes into its output folder.
extern const std::vector<std::string> kTaggerRunFiles;

// Whether a network of one-sample output shape `out` fits the loss: one
// logit for binary cross-entropy and the regressions, one per class for
// categorical cross-entropy. The Error names `config` (where the loss was
// set) and `network`.
void check_loss_fits(const SampleShape& out, const std::string& loss, const std::string& network,
                     const std::string& config);
// A network that ends in a sigmoid (or a softmax) where the loss takes logits
// would squash twice; an Error naming the network says so.
void check_final_activation(const Json& model_config, const std::string& loss, const std::string& network);

// The tagger's part of training (models/train_loop.h): the images stream in
// shuffled batches (io/batches.h) from the seeded split; each step is a
// forward pass, the loss, a backward pass, clipping and the optimiser's
// update; each epoch ends with the validation loss. log.csv's columns:
// epoch, train_loss, val_loss, lr, seconds, images_per_s; best.h5 follows the
// validation loss.
class TaggerTask : public TrainTask {
 public:
  // `data`: images for an image model, jets for a particle-cloud model
  // (models/tagger_feed.h).
  TaggerTask(Context& ctx, Model& model, const LabelledDataset& data, const TrainConfig& config);
  std::string kind() const override { return "tagger"; }
  std::vector<CheckpointEntry> models() override { return {{"model", &model_, optimiser_.get()}}; }
  Json settings() const override { return config_.to_json(); }
  std::vector<std::string> columns() const override {
    return {"train_loss", "val_loss", "lr", "seconds", "images_per_s"};
  }
  int64_t begin_epoch(Context& ctx, int64_t epoch) override;
  std::vector<std::string> device_values() const override;
  void step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) override;
  void end_epoch(Context& ctx, int64_t epoch, EpochValues& values) override;
  int64_t training_rows() const { return n_train_; }
  int64_t validation_rows() const { return n_val_; }

 private:
  // The batch's model inputs, labels and weights on the device.
  void stage(Context& ctx, const TensorMap& batch, const std::vector<int64_t>& rows);
  Model& model_;
  const LabelledDataset& data_;
  TrainConfig config_;
  std::unique_ptr<Optimiser> optimiser_;
  std::unique_ptr<TaggerFeed> feed_;
  const TensorMap* inputs_ = nullptr;  // the feed's, for the staged batch
  std::string output_;
  std::vector<float> weights_;  // flat-pT weights of every row, or empty
  int64_t n_train_ = 0, n_val_ = 0;
  std::unique_ptr<BatchStream> stream_;
  TensorMap batch_;
  std::vector<int64_t> rows_;
  Tensor labels_, batch_weights_, weights_on_device_, grad_;
  std::vector<Tensor*> grad_list_;
  double lr_ = 0;
  int64_t train_seen_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// Trains `model` (one input, one output) on `data` through the loop. Bad
// input — images that do not fit the model, a loss that does not fit its
// output, a loss that diverges — is an Error naming the file or the epoch
// and step; the checkpoints already written stay as they were.
LoopResult train_tagger(Context& ctx, Model& model, const LabelledDataset& data, const TrainConfig& config,
                        const LoopOptions& options);

}  // namespace jetimg
