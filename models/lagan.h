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
#include "io/batches.h"
#include "io/datasets.h"
#include "models/optimiser.h"
#include "models/sequential.h"
#include "models/train_loop.h"

namespace jetimg {

struct LaganConfig {
  int64_t latent = 200, classes = 2;
  int64_t dense_channels = 128, conv_filters = 64, lc_filters = 6;  // generator
  int64_t disc_conv_filters = 32, disc_lc_filters = 8;              // discriminator
  int64_t mbd_features = 10, mbd_dims = 10;
  float leaky_slope = 0.3f, dropout = 0.2f, bn_momentum = 0.01f, bn_epsilon = 1e-3f;
  // training
  int64_t epochs = 30, batch_size = 100, generator_steps = 2, steps_per_epoch = 0;
  int64_t shuffle_buffer_mb = 256;  // images held for shuffling (MB)
  double lr = 2e-4, beta1 = 0.5, aux_weight = 1.0, real_label = 1.0;
  uint64_t seed = 1;

  Json to_json() const;
  // The architecture's keys only (a model's config: training settings may
  // change between runs of the same model).
  Json model_json() const;
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

// The files a LAGAN run writes into its output folder (the average images are
// drawn by jetimg train-lagan).
extern const std::vector<std::string> kLaganRunFiles;

// LAGAN's part of training (models/train_loop.h), an auxiliary-classifier
// GAN step: a discriminator update on a batch of real images (real/generated
// and class targets), one on generated images of random classes, then
// generator_steps generator updates. Real images stream in shuffled full
// batches; noise and classes come from Philox streams of the seed and the
// epoch. log.csv's columns: epoch, d_loss, g_loss, aux_accuracy (of the class
// head on real images), seconds, intensity_w1 (W1/σ of the summed intensity,
// generated against real, both classes averaged).
class LaganTask : public TrainTask {
 public:
  LaganTask(Context& ctx, LaganGenerator& gen, LaganDiscriminator& disc, const ImagesDataset& data,
            const LaganConfig& config);
  std::string kind() const override { return "lagan"; }
  std::vector<CheckpointEntry> models() override {
    return {{"generator", &gen_, &adam_g_}, {"discriminator", &disc_, &adam_d_}};
  }
  Json settings() const override { return config_.to_json(); }
  std::vector<std::string> columns() const override {
    return {"d_loss", "g_loss", "aux_accuracy", "seconds", "intensity_w1"};
  }
  int64_t begin_epoch(Context& ctx, int64_t epoch) override;
  void step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) override;
  void end_epoch(Context& ctx, int64_t epoch, EpochValues& values) override;

 private:
  double disc_step(Context& ctx, const Tensor& images, const Tensor& real_labels, const Tensor& class_labels,
                   double* correct);
  LaganGenerator& gen_;
  LaganDiscriminator& disc_;
  const ImagesDataset& data_;
  LaganConfig config_;
  Adam adam_g_, adam_d_;
  std::unique_ptr<BatchStream> stream_;
  int64_t passes_ = 0, steps_ = 0;
  double correct_ = 0;
  std::vector<double> real_sum_[2];  // summed intensity of the real images, by class
  TensorMap batch_;
  Tensor real_, z_, dreal_, dclass_;
};

// Trains through the loop; options.run_files are set to LAGAN's.
LoopResult train_lagan(Context& ctx, LaganGenerator& gen, LaganDiscriminator& disc, const ImagesDataset& data,
                       const LaganConfig& config, const LoopOptions& options);

// `count` images of class `cls` from the generator in inference mode, (count, 25, 25) on the CPU.
Tensor sample_lagan(Context& ctx, LaganGenerator& gen, int64_t count, int cls);

// The generator of a checkpoint (version 2, or a LAGAN checkpoint of version
// 1) on ctx's device, in inference mode.
std::unique_ptr<LaganGenerator> load_lagan_generator(Context& ctx, const std::string& path);

}  // namespace jetimg
