// One checkpoint format for everything that trains (HDF5, version 2): the
// models by role, each optimiser's state, where training stood, and where the
// file came from. Readable with h5py; docs/formats.md shows the layout.
//
//   attributes  format = "jetimg-checkpoint", version = 2,
//               kind = "tagger" | "calogan" | "lagan" | "model" (untrained),
//               models = JSON {role: the model's complete config},
//               optimisers = JSON {role: {"config": {...}, "steps": N}},
//               training = JSON (TrainState below),
//               provenance = JSON (program, version, when, and what the caller adds)
//   models/<role>/<name>              every parameter and buffer of the model,
//                                     named as the model names it ("3.weight",
//                                     "stream0.0.weight"), float32
//   optimisers/<role>/<name>.<slot>   the optimiser's state for each parameter
//                                     ("3.weight.m", "3.weight.v"; "velocity" for SGD)
//
// Roles: "model" for a tagger or an untrained model; "generator" and
// "discriminator" for the GANs. The three formats written before version 2
// ("jetimg-checkpoint" 1, "jetimg-calogan" 1, "jetimg-lagan" 1) still load
// through the same reader, mapped onto these roles and names.
//
// Written under a temporary name and renamed when complete, so an existing
// checkpoint is only ever replaced by a complete one.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/hdf5.h"
#include "models/model.h"

namespace jetimg {

class Optimiser;

// Where training stood when a checkpoint was written. Every random draw of
// the training loop is a function of (seed, epoch), so the epoch is the
// position of its random numbers too: a run resumed from here continues as
// the uninterrupted one would.
struct TrainState {
  int64_t epoch = 0;  // epochs completed
  uint64_t seed = 0;
  std::string monitor;  // the value `best` is of ("val_loss"); "" when nothing is monitored
  double best = std::numeric_limits<double>::infinity();
  int64_t best_epoch = 0;  // the epoch (1, 2, ...) of `best`; 0 if none yet
  int64_t epochs_without_improvement = 0;
  Json history = Json::array();  // one record per epoch: {"epoch": 1, "train_loss": ..., ...}
  Json settings;                 // the training config, complete with defaults
  Json to_json() const;
  static TrainState from_json(const Json& json, const std::string& file);
};

// A model (and the optimiser that trains it, if any) to write under `role`.
struct CheckpointEntry {
  std::string role;
  Model* model = nullptr;
  Optimiser* optimiser = nullptr;
};

// Writes a version-2 checkpoint to `path` (atomically). `provenance` is added
// to the program, version and time the file records.
void save_checkpoint(const std::string& path, const std::string& kind, const std::vector<CheckpointEntry>& entries,
                     const TrainState& state, const Json& provenance = Json::object());

// A checkpoint of any version, opened for reading. Errors name the file and
// what is wrong.
class CheckpointFile {
 public:
  explicit CheckpointFile(const std::string& path);
  const std::string& path() const { return file_.path(); }
  int64_t version() const { return version_; }
  // "tagger", "calogan", "lagan" or "model".
  const std::string& kind() const { return kind_; }
  std::vector<std::string> roles() const;
  bool has(const std::string& role) const { return configs_.contains(role); }

  // The complete config of the model under `role`; make_model() builds it.
  Json model_config(const std::string& role) const;
  // The model under `role`, built on ctx's device and loaded, in inference mode.
  std::unique_ptr<Model> load_model(Context& ctx, const std::string& role) const;
  // Loads the tensors of `role` into `model`, which must be the model they
  // were written for: the same config (else an Error naming the first
  // difference), every tensor present with its shape.
  void load_into(const std::string& role, Model& model) const;

  bool has_optimiser(const std::string& role) const { return optimisers_.contains(role); }
  // {"config": {...}, "steps": N} of the optimiser of `role`.
  Json optimiser_record(const std::string& role) const;
  // The state of the optimiser that trains `parameters` of `role`.
  void load_optimiser(const std::string& role, Optimiser& optimiser, const std::vector<NamedTensor>& parameters) const;

  const TrainState& training() const { return training_; }
  Json provenance() const;

 private:
  std::string dataset_of(const std::string& role, const std::string& name) const;
  std::string optimiser_dataset_of(const std::string& role, const std::string& state_name) const;
  h5::File file_;
  int64_t version_ = 2;
  std::string kind_;
  Json configs_ = Json::object(), optimisers_ = Json::object();
  TrainState training_;
  // Version 1 tagger files name tensors by layer: "layer_03_dense/weight".
  std::vector<std::string> legacy_layer_types_;
};

// The first difference between two model configs (as JSON), or "".
std::string config_difference(const Json& stored, const Json& current);

}  // namespace jetimg
