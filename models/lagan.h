// LAGAN, the location-aware GAN for jet images (de Oliveira, Paganini,
// Nachman, Comput. Softw. Big Sci. 1 (2017) 4, arXiv:1701.05927), as an
// auxiliary-classifier GAN: the class (W = 1, QCD = 0) conditions the
// generator, and the discriminator predicts it beside real/generated.
//
// Generator: z (N, latent) ⊙ embedding[class] (a learned (classes, latent)
// table, glorot_normal) →
//   dense 128·7·7 → (128, 7, 7) → conv2d 64 5×5 same → leaky ReLU → batch norm
//   → up-sampling ×2 (14×14) → pad 2 → locally connected 6 5×5 → leaky ReLU
//   → batch norm → up-sampling ×2 (28×28) → locally connected 6 3×3 (26×26)
//   → leaky ReLU → locally connected 1 2×2 (25×25) → ReLU.
// Discriminator:
//   conv2d 32 5×5 same → leaky ReLU → dropout → pad 1 → locally connected 8
//   5×5 stride (1, 2) → leaky ReLU → batch norm → dropout → pad 1 → locally
//   connected 8 5×5 → leaky ReLU → batch norm → dropout → pad 1 → locally
//   connected 8 5×5 stride (1, 2) → leaky ReLU → batch norm → dropout →
//   average pool 2×2 → flatten,
// joined with minibatch discrimination on those features, then two dense
// units: the real/generated logit and the class logit.
//
// The sizes are config keys (LaganConfig); the image must be 25×25 for the
// default stacks (smaller latent sizes and widths make test-sized models).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/model.h"
#include "models/optimiser.h"
#include "models/sequential.h"
#include "models/training_data.h"

namespace jetimg {

struct LaganConfig {
  int64_t latent = 200, classes = 2;
  int64_t dense_channels = 128, conv_filters = 64, lc_filters = 6;  // generator
  int64_t disc_conv_filters = 32, disc_lc_filters = 8;              // discriminator
  int64_t mbd_features = 10, mbd_dims = 10;
  float leaky_slope = 0.3f, dropout = 0.2f, bn_momentum = 0.01f, bn_epsilon = 1e-3f;
  // training
  int64_t epochs = 30, batch_size = 100, generator_steps = 2, steps_per_epoch = 0;
  double lr = 2e-4, beta1 = 0.5, aux_weight = 1.0, real_label = 1.0;
  uint64_t seed = 1;

  Json to_json() const;
  static LaganConfig from_json(const Json& json, const std::string& file);
};
LaganConfig load_lagan_config(const std::string& path);

// As a Model (type "lagan_generator"): inputs "z" (latent) and "class"
// (classes, one-hot); output "image" (1, 25, 25).
class LaganGenerator : public Model {
 public:
  LaganGenerator(Context& ctx, const LaganConfig& config);
  std::string type() const override { return "lagan_generator"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override { return {{"z", {config_.latent}}, {"class", {config_.classes}}}; }
  std::vector<TensorSpec> outputs() const override { return {{"image", {1, 25, 25}}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  // z: (N, latent); classes: (N, classes) one-hot -> images (N, 1, 25, 25).
  Tensor forward(Context& ctx, const Tensor& z, const Tensor& one_hot);
  void backward(Context& ctx, const Tensor& dimages);
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }
  const LaganConfig& settings() const { return config_; }

 private:
  LaganConfig config_;
  Tensor embedding_, dembedding_;  // (classes, latent)
  std::unique_ptr<Sequential> net_;
  ModelParts parts_;
  TensorMap outputs_, dinputs_;
  Tensor z_, one_hot_, scale_, h_, dscale_;
};

// As a Model (type "lagan_discriminator"): input "image" (1, 25, 25);
// outputs "real" and "class" (1), logits.
class LaganDiscriminator : public Model {
 public:
  LaganDiscriminator(Context& ctx, const LaganConfig& config);
  std::string type() const override { return "lagan_discriminator"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override { return {{"image", {1, 25, 25}}}; }
  std::vector<TensorSpec> outputs() const override { return {{"real", {1}}, {"class", {1}}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  struct Output {
    Tensor real_logit, class_logit;  // (N, 1) each
  };
  Output forward(Context& ctx, const Tensor& images);
  // -> dL/d(images)
  Tensor backward(Context& ctx, const Tensor& dreal, const Tensor& dclass);
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }
  const LaganConfig& settings() const { return config_; }

 private:
  LaganConfig config_;
  std::unique_ptr<Sequential> features_, mbd_, real_head_, class_head_;
  ModelParts parts_;
  TensorMap outputs_, dinputs_;
  Tensor joined_, djoined_;
  int64_t feature_width_ = 0;
};

struct LaganEpochRecord {
  int64_t epoch = 0;
  double d_loss = 0, g_loss = 0, aux_accuracy = 0, seconds = 0;
  double intensity_w1 = -1;  // W1/σ of the summed image intensity, generated vs real, both classes averaged
};

// The files a LAGAN run writes into its output folder (the average images are
// drawn by jetimg train-lagan).
extern const std::vector<std::string> kLaganRunFiles;

struct LaganTrainOptions {
  std::string output_dir;  // last.h5 and log.csv
  bool overwrite = false;  // a fresh run into a non-empty folder: see io/outputs.h
  // A last.h5 to continue from (both networks, both optimisers' state, the
  // history), on to config.epochs in all; the model must be the checkpoint's.
  std::string resume;
  std::function<void(int64_t, int64_t, int64_t, double, double)> on_batch;
  std::function<void(const LaganEpochRecord&)> on_epoch;
};

// Trains on labelled 25×25 jet images (labels: the class). Errors name what
// does not fit; a loss that turns NaN stops training with an Error.
std::vector<LaganEpochRecord> train_lagan(Context& ctx, LaganGenerator& gen, LaganDiscriminator& disc,
                                          const LabelledImages& data, const LaganConfig& config,
                                          const LaganTrainOptions& options);

// `count` images of class `cls` from the generator in inference mode, (count, 25, 25) on the CPU.
Tensor sample_lagan(Context& ctx, LaganGenerator& gen, int64_t count, int cls);

// Checkpoint: attributes format, version, config, history (one record per
// epoch), group generator/; for resuming also discriminator/ and the two
// optimisers' state (optimiser_generator/, optimiser_discriminator/ with
// their _steps attributes).
void save_lagan(const std::string& path, LaganGenerator& gen, const Json& history,
                LaganDiscriminator* disc = nullptr, Optimiser* gen_optimiser = nullptr,
                Optimiser* disc_optimiser = nullptr);
std::unique_ptr<LaganGenerator> load_lagan_generator(Context& ctx, const std::string& path);

}  // namespace jetimg
