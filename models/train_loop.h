// The one training loop. Every model family trains through it; what differs
// between them is a TrainTask: its models and optimisers, and one step.
//
// The loop owns everything around the steps: the run folder (io/outputs.h),
// resuming from a checkpoint (models/checkpoint.h), the random numbers (every
// draw is a function of the seed and the epoch: the context's random streams
// start at a fixed point each epoch, and tasks shuffle with the epoch as
// their stream, so a resumed run continues exactly as an uninterrupted one),
// stopping on a loss or weight that is not finite (naming the epoch, the step
// and the last good checkpoint), last.h5 every epoch and best.h5 when the
// monitored value improves (both written atomically), log.csv (rewritten
// whole each epoch, so an interruption leaves the previous complete one),
// early stopping, and hooks for progress.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/train_ops.h"
#include "models/checkpoint.h"
#include "models/model.h"
#include "models/optimiser.h"

namespace jetimg {

// What one epoch measured, in the order of the task's columns.
using EpochValues = std::vector<std::pair<std::string, double>>;

// What one step measures. A value the host already knows is add()ed; a
// value computed on the device stays there: an op adds it into slot(name)
// (a LossSlot, core/train_ops.h; the names are the task's device_values()),
// and the loop reads the slots of all steps at once every
// LoopOptions::read_every steps, so that a step need not wait for the device.
class StepValues {
 public:
  StepValues(Tensor* buffer, int64_t row, const std::vector<std::string>* names)
      : buffer_(buffer), row_(row), names_(names) {}
  void add(const std::string& name, double value) { host_.emplace_back(name, value); }
  // Where this step's `name` goes on the device: alpha · value is added there.
  LossSlot slot(const std::string& name, float alpha = 1.0f) const;
  // The step's weight in the epoch's means (1 unless set; a tagger weighs its steps by their rows).
  void set_weight(double weight) { weight_ = weight; }
  const EpochValues& host_values() const { return host_; }
  double weight() const { return weight_; }

 private:
  Tensor* buffer_;
  int64_t row_;
  const std::vector<std::string>* names_;
  EpochValues host_;
  double weight_ = 1.0;
};

// A model family's part of training.
class TrainTask {
 public:
  virtual ~TrainTask() = default;
  // The checkpoint's kind: "tagger", "calogan", "lagan".
  virtual std::string kind() const = 0;
  // The models it trains (and their optimisers), by role.
  virtual std::vector<CheckpointEntry> models() = 0;
  // The training config, complete with defaults (stored in checkpoints).
  virtual Json settings() const = 0;
  // log.csv's columns besides "epoch" ("seconds" among them, where it goes).
  virtual std::vector<std::string> columns() const = 0;
  // Prepares an epoch (shuffles from the seed and the epoch, learning rate)
  // and says how many steps it has.
  virtual int64_t begin_epoch(Context& ctx, int64_t epoch) = 0;
  // The names of the values its steps leave on the device (StepValues::slot).
  virtual std::vector<std::string> device_values() const { return {}; }
  // One step: forward, backward, optimiser updates. Adds this step's losses
  // to `values`, which the loop averages over the epoch (weighted by the
  // steps' weights) and checks: a value that is not finite stops the run,
  // naming the step.
  virtual void step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) = 0;
  // After the epoch's steps (validation, measures), with the models in
  // inference mode; `values` holds the epoch's mean losses and gets the rest.
  virtual void end_epoch(Context& ctx, int64_t epoch, EpochValues& values) { (void)ctx, (void)epoch, (void)values; }
  // After last.h5 (and best.h5) of an epoch were written: extra outputs
  // (`dir` is "" when the run writes no files).
  virtual void after_checkpoints(int64_t epoch, const std::string& dir, const TrainState& state) {
    (void)epoch, (void)dir, (void)state;
  }
};

struct LoopConfig {
  int64_t epochs = 1;
  uint64_t seed = 1;
  // The value of the epoch's values whose lowest is best.h5, and early
  // stopping after `patience` epochs without improvement (0: never); "" for
  // none (no best.h5).
  std::string monitor;
  int64_t patience = 0;
};

struct LoopOptions {
  std::string output_dir;  // last.h5, best.h5, log.csv (and what the task adds)
  std::string resume;      // a checkpoint to continue from ("": start afresh)
  bool overwrite = false;  // a fresh run into a non-empty folder (io/outputs.h)
  std::vector<std::string> run_files = {"best.h5", "last.h5", "log.csv"};  // what --overwrite removes
  Json provenance = Json::object();
  // Steps between two reads of the values steps leave on the device (each
  // read is one synchronisation; the last step of an epoch is always read).
  int64_t read_every = 16;
  // After every step (called when its values are read): epoch, step
  // (1..steps), steps, the epoch's mean losses so far.
  std::function<void(int64_t, int64_t, int64_t, const EpochValues&)> on_step;
  // After every epoch: the epoch, its values (with "seconds"), whether it was the best so far.
  std::function<void(int64_t, const EpochValues&, bool)> on_epoch;
};

struct LoopResult {
  TrainState state;      // where training ended
  int64_t epochs_run = 0;  // in this call
  bool stopped_early = false;
  std::string last_checkpoint, best_checkpoint;
};

// Trains `task` for config.epochs in all (a resumed run continues to that
// count). Errors name the epoch, the step and the last good checkpoint.
LoopResult run_training(Context& ctx, TrainTask& task, const LoopConfig& config, const LoopOptions& options);

// The value called `name` of `values` (an Error if there is none).
double value_of(const EpochValues& values, const std::string& name);

}  // namespace jetimg
