#include "models/tagger_feed.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/particle_ops.h"
#include "models/layer.h"

namespace jetimg {
namespace {

bool has_input(const Model& model, const std::string& name) {
  for (const TensorSpec& s : model.inputs())
    if (s.name == name) return true;
  return false;
}

std::string input_names(const Model& model) {
  std::string names;
  for (const TensorSpec& s : model.inputs()) names += (names.empty() ? "" : ", ") + s.name;
  return names;
}

// A copy of `host` on ctx's device, queued on its stream, into `slot`
// (reused while the shape stays); `host` itself on the CPU.
const Tensor& on_device(Context& ctx, const Tensor& host, Tensor& slot) {
  if (ctx.device().is_cpu()) return slot = host;
  ensure_tensor(slot, host.shape(), ctx.device()).copy_from_async(ctx, host);
  return slot;
}

class ImagesFeed : public TaggerFeed {
 public:
  ImagesFeed(const Model& model, const ImagesDataset& data, const std::string& model_name) {
    if (model.inputs().size() != 1)
      fail(model_name, ": a model fed with images takes one input; this ", model.type(), " model has ",
           model.inputs().size(), " (", input_names(model), ")");
    input_ = model.inputs()[0].name;
    // The model's input must hold the images as they are; a leading channel
    // of 1 may be added or left out ((25, 25) and (1, 25, 25) both fit).
    const auto squeeze = [](SampleShape s) {
      if (s.size() == 3 && s[0] == 1) s.erase(s.begin());
      return s;
    };
    const SampleShape expected = model.inputs()[0].shape;
    if (squeeze(expected) != squeeze(data.sample_shape()))
      fail("the images in '", data.files()[0], "' are ", shape_string(data.sample_shape()),
           " but the network expects input_shape ", shape_string(expected), " (", model_name, ")");
    dims_ = expected;
  }

  const TensorMap& stage(Context& ctx, const TensorMap& batch, const std::vector<int64_t>& rows) override {
    std::vector<int64_t> dims{static_cast<int64_t>(rows.size())};
    dims.insert(dims.end(), dims_.begin(), dims_.end());
    inputs_[input_] = on_device(ctx, batch.at("images").view(Shape(dims)), x_);
    return inputs_;
  }

 private:
  std::string input_;
  SampleShape dims_;
  Tensor x_;
  TensorMap inputs_;
};

class ConstituentsFeed : public TaggerFeed {
 public:
  ConstituentsFeed(const Model& model, const JetsDataset& data, const std::string& model_name) : data_(data) {
    for (const TensorSpec& s : model.inputs()) {
      if (s.name == "features") {
        features_ = static_cast<int>(s.shape.back());
      } else if (s.name == "leading") {
        leading_ = s.shape.at(0);
      } else if (s.name == "pairs") {
        pairs_ = true;
      } else if (s.name != "coords" && s.name != "pt_frac" && s.name != "mask" && s.name != "count") {
        fail(model_name, ": input '", s.name, "' is not a particle input (known: features, coords, pt_frac, mask, "
             "count, leading, pairs)");
      }
      names_.push_back(s.name);
    }
    if (features_ == kIdentityFeatures && !data.has_identities())
      fail(model_name, " reads particle identities (", kIdentityFeatures, " features), but '", data.files()[0],
           "' (or another of the files) stores no PDG codes; use a model with ", kKinematicFeatures, " features");
  }

  const TensorMap& stage(Context& ctx, const TensorMap& batch, const std::vector<int64_t>& rows) override {
    const Tensor& counts = batch.at("n_constituents");
    const float* c = counts.data();
    int64_t longest = 1;
    for (int64_t i = 0; i < counts.numel(); ++i) longest = std::max(longest, static_cast<int64_t>(c[i]));
    const bool ids = features_ == kIdentityFeatures;
    if (ids) check_identities(batch, rows);
    ConstituentInputs in;
    in.constituents = on_device(ctx, batch.at("constituents"), constituents_);
    in.counts = on_device(ctx, counts.view({counts.numel()}), counts_);
    in.jets = on_device(ctx, batch.at("jet"), jets_);
    if (ids) {
      in.pdg = on_device(ctx, batch.at("pdg"), pdg_);
      in.charge = on_device(ctx, batch.at("charge"), charge_);
    }
    if (leading_ > 0) leading_constituents(ctx, in, leading_, leading_out_);
    if (pairs_) pair_features(ctx, in, longest, pairs_out_);
    if (leading_ == 0 || names_.size() > 1)
      constituent_features(ctx, in, longest, ids ? kIdentityFeatures : kKinematicFeatures, out_);
    for (const std::string& name : names_)
      inputs_[name] = name == "leading"    ? leading_out_
                      : name == "pairs"    ? pairs_out_
                      : name == "features" ? out_.features
                      : name == "coords" ? out_.coords
                      : name == "pt_frac" ? out_.pt_frac
                      : name == "mask"    ? out_.mask
                                          : out_.count;
    return inputs_;
  }

 private:
  // Every real constituent must name its particle: a code of 0 (inputs that
  // name none) would make a neutral hadron of every particle.
  void check_identities(const TensorMap& batch, const std::vector<int64_t>& rows) const {
    const Tensor& pdg = batch.at("pdg");
    const float* codes = pdg.data();
    const float* counts = batch.at("n_constituents").data();
    const int64_t s = pdg.dim(1);
    for (size_t i = 0; i < rows.size(); ++i)
      for (int64_t j = 0; j < static_cast<int64_t>(counts[i]); ++j)
        if (codes[static_cast<int64_t>(i) * s + j] == 0.0f)
          fail(data_.describe(rows[i]), ": constituent ", j, " has no PDG code (0), but the model reads particle "
               "identities; use a model with ", kKinematicFeatures, " features for inputs without identities");
  }

  const JetsDataset& data_;
  int features_ = kKinematicFeatures;
  int64_t leading_ = 0;  // TopoDNN's constituents, when the model reads "leading"
  bool pairs_ = false;   // ParT's pair features, when the model reads "pairs"
  Tensor leading_out_, pairs_out_;
  std::vector<std::string> names_;
  Tensor constituents_, counts_, jets_, pdg_, charge_;
  ConstituentBatch out_;
  TensorMap inputs_;
};

}  // namespace

bool is_particle_model(const Model& model) {
  return ((has_input(model, "features") || has_input(model, "coords")) && has_input(model, "mask")) ||
         has_input(model, "leading");
}

std::unique_ptr<TaggerFeed> make_tagger_feed(const Model& model, const LabelledDataset& data,
                                             const std::string& model_name) {
  const bool particles = is_particle_model(model);
  if (const auto* images = dynamic_cast<const ImagesDataset*>(&data)) {
    if (particles)
      fail(model_name, " is a particle-cloud model (inputs ", input_names(model), "): it reads jets files, but '",
           images->files()[0], "' is an images file");
    return std::make_unique<ImagesFeed>(model, *images, model_name);
  }
  if (const auto* jets = dynamic_cast<const JetsDataset*>(&data)) {
    if (!particles)
      fail(model_name, " takes images (input ", input_names(model), "), but '", jets->files()[0],
           "' is a jets file: make images from it with jetimg preprocess, or train a particle-cloud model "
           "(configs/nets/pfn.json)");
    return std::make_unique<ConstituentsFeed>(model, *jets, model_name);
  }
  fail(model_name, ": no tagger feed for this kind of dataset");
}

}  // namespace jetimg
