// How a tagger's batches (rows of a LabelledDataset, io/datasets.h) become
// its model's inputs on the device: jet images as they are, for image
// models; constituents turned into particle features on the device
// (core/particle_ops.h: constituent_features), padded to the batch's own
// longest jet, for particle-cloud models. Training, validation and
// prediction all go through one feed, so a model sees the same inputs in each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/context.h"
#include "core/tensor_map.h"
#include "io/datasets.h"
#include "models/model.h"

namespace jetimg {

class TaggerFeed {
 public:
  virtual ~TaggerFeed() = default;
  // The model's inputs for a batch of dataset rows `rows` (the CPU tensors
  // BatchStream gives), on ctx's device, queued on its stream; valid until
  // the next call.
  virtual const TensorMap& stage(Context& ctx, const TensorMap& batch, const std::vector<int64_t>& rows) = 0;
};

// Whether `model` reads particles (inputs "features" or "coords" with "mask",
// or TopoDNN's "leading" constituents) rather than images.
bool is_particle_model(const Model& model);

// The feed for `model` on `data`. An Error naming `model_name` and the data's
// first file when they do not fit: a particle model given images, an image
// model given jets, images of another shape than the model's input, particle
// features the files cannot give (identities from files without PDG codes).
std::unique_ptr<TaggerFeed> make_tagger_feed(const Model& model, const LabelledDataset& data,
                                             const std::string& model_name);

}  // namespace jetimg
