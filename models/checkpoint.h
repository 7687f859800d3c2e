// Checkpoints (HDF5): a network's configuration, its weights and running
// statistics, and — for resuming — the optimiser's state and where training
// stood. Readable with h5py; the layout is in the README ("Checkpoint").
//
//   attributes  format = "jetimg-checkpoint", version = 1,
//               network = JSON {"input_shape": [...], "layers": [...]},
//               epoch = epochs completed (int64),
//               training = JSON (TrainingState below)
//   layer_00_flatten/                  one group per layer, named by its
//   layer_01_maxout_dense/weight, bias index and type, holding its named
//   layer_05_batch_norm/running_mean   parameters and buffers (float32)
//   optimiser/layer_01_maxout_dense/weight.m, weight.v, ...   (if saved)
//
// Written under a temporary name and renamed when complete, so an existing
// checkpoint is only ever replaced by a complete one.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/hdf5.h"

namespace jetimg {

class Context;
class Tensor;
class Sequential;
class Optimiser;

// Where training stood when a checkpoint was written.
struct TrainingState {
  int64_t epoch = 0;  // epochs completed
  double best_val_loss = std::numeric_limits<double>::infinity();
  int64_t best_epoch = 0;  // the epoch (1, 2, ...) of best_val_loss; 0 if none yet
  int64_t epochs_without_improvement = 0;
  float lr = 0;                 // the learning rate of the last epoch
  int64_t optimiser_steps = 0;  // updates made
  Json optimiser;               // the optimiser's config (no state)
  Json train_config;            // the training config, complete with defaults
  Json history = Json::array();  // one record per epoch so far
  Json to_json() const;
  static TrainingState from_json(const Json& json, const std::string& file);
};

// Writes `net` (and, if given, the optimiser's state) to `path`.
void save_checkpoint(const std::string& path, Sequential& net, Optimiser* optimiser, const TrainingState& state);

// The network file JSON ({"input_shape", "layers"}) stored in a checkpoint.
Json read_checkpoint_network(const std::string& path);
TrainingState read_training_state(const std::string& path);

// Loads the weights and buffers into `net`, which must be the network the
// checkpoint was written for (same layers, same shapes; otherwise an Error
// naming the first difference), and the optimiser's state into `optimiser`
// if it is given (Error if the checkpoint has none).
void load_checkpoint(const std::string& path, Sequential& net, Optimiser* optimiser);

// Builds the checkpoint's network on ctx's device with its trained weights,
// in inference mode.
Sequential load_network(Context& ctx, const std::string& path);

// One tensor as a float32 dataset `name` (copied from any device), and back
// into a tensor of the same shape (Error naming the file and the dataset if
// it is missing or shaped differently).
void write_checkpoint_tensor(h5::File& file, const std::string& name, const Tensor& t);
void read_checkpoint_tensor(const h5::File& file, const std::string& name, Tensor& into);

// Composite models (the GANs): a group of named tensors (a network's
// parameters and buffers), and an optimiser's state for `parameters` as a
// group `name` with its step count as the attribute `name`_steps.
struct NamedTensor;
void write_tensor_group(h5::File& file, const std::string& group, const std::vector<NamedTensor>& tensors);
void read_tensor_group(const h5::File& file, const std::string& group, const std::vector<NamedTensor>& tensors);
void write_optimiser_state(h5::File& file, const std::string& name, Optimiser& optimiser,
                           const std::vector<NamedTensor>& parameters);
void read_optimiser_state(const h5::File& file, const std::string& name, Optimiser& optimiser,
                          const std::vector<NamedTensor>& parameters);

}  // namespace jetimg
