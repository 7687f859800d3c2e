// CaloGAN (Paganini, de Oliveira, Nachman, PRL 120 (2018) 042003 and
// PRD 97 (2018) 014021): a generator of electromagnetic showers in a
// three-layer sampling calorimeter, conditioned on the incident energy, and
// its discriminator.
//
// Generator. The latent vector z (N, latent) is multiplied by E/100 (E the
// incident energy in GeV). Each calorimeter layer (rows × cols) has its own
// stream
//   dense → (dense_channels, rows+2, cols+2) → conv2d 2×2 same (he_uniform)
//   → leaky ReLU → batch norm → locally connected 2×2 (he_uniform)
//   → leaky ReLU → locally connected 2×2 to one channel, no bias (glorot_normal).
// Layer l > 0 then sees layer l-1 through the published attention
// ("in-painting") block: layer l-1's image is resized to layer l's grid
// (nearest-neighbour up-sampling and average pooling by the integer ratios
// of the grids: 3×96 → 12×12 by ×4 rows, ÷8 columns; 12×12 → 12×6 by ÷2
// columns), stacked with the stream's own image as two channels x, and
//   y = Σ_c softmax_c(h) · x_c,   h = locally connected 3×3 on x padded by 1,
// whose kernel starts at zero and bias at (0, -10): at first each layer
// keeps its own image. The three images go through a ReLU: shower energies
// (N, 1, rows, cols) in GeV.
//
// Discriminator. Per layer, a feature stack
//   conv2d 2×2 same (conv_filters) → leaky ReLU → pad 1 → locally connected
//   3×3 stride (1, 2) → leaky ReLU → batch norm → pad 1 → locally connected
//   2×2 → leaky ReLU → batch norm → pad 1 → locally connected 2×2 stride
//   (1, 2) → leaky ReLU → batch norm → flatten,
// followed by minibatch discrimination on those features, the layer's
// sparsity (fraction of cells above zero: a constant feature, no gradient)
// and minibatch discrimination on the sparsity. Across layers: the layer
// energies E_l, and from them (core/calo_ops.h) E_l/10, E_tot/100,
// |E_tot - E| and 10·[|E_tot - E| > 5], plus minibatch discrimination on
// the layer energies. All of it feeds one dense unit: the real/fake logit.
// The second output is E_tot itself, which training pulls towards E with a
// mean absolute error (the auxiliary energy-reconstruction term).
//
// Every size above is a config key (CaloGanConfig); the defaults are the
// published ones, and smaller settings make the same architecture small
// enough for tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "io/showers_file.h"
#include "models/model.h"
#include "models/sequential.h"

namespace jetimg {

struct CaloGanConfig {
  std::vector<LayerGeometry> geometry = calogan_geometry();
  int64_t latent = 1024;
  // generator
  int64_t dense_channels = 36, gen_conv_filters = 16, gen_lc_filters = 6;
  bool attention = true;
  // discriminator
  int64_t disc_conv_filters = 64;
  std::vector<int64_t> disc_lc_filters = {16, 8, 8};
  int64_t mbd_features = 10, mbd_dims = 10;
  // shared: Keras' LeakyReLU and BatchNormalization defaults, as published
  // (Keras' momentum 0.99 is 0.01 in the PyTorch convention used here)
  float leaky_slope = 0.3f, bn_momentum = 0.01f, bn_epsilon = 1e-3f;

  Json to_json() const;
  // Unknown keys, impossible sizes and grids whose ratios are not integers
  // are errors naming `file`.
  static CaloGanConfig from_json(const Json& json, const std::string& file);
};

// As a Model (type "calogan_generator"): inputs "z" (latent) and "energy"
// (1) GeV; outputs "layer_0", "layer_1", ... (1, rows, cols) GeV.
class CaloGanGenerator : public Model {
 public:
  CaloGanGenerator(Context& ctx, const CaloGanConfig& config);
  std::string type() const override { return "calogan_generator"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override;
  std::vector<TensorSpec> outputs() const override;
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  // z: (N, latent), energy: (N, 1) GeV -> one (N, 1, rows, cols) image per
  // layer in GeV (owned here, valid until the next forward).
  const std::vector<Tensor>& forward(Context& ctx, const Tensor& z, const Tensor& energy);
  // dimages: dL/d(images) of the last forward; fills the parameters' gradients.
  void backward(Context& ctx, const std::vector<Tensor>& dimages);

  std::vector<NamedTensor> parameters() override { return networks_.parameters(); }
  std::vector<NamedTensor> gradients() override { return networks_.gradients(); }
  std::vector<NamedTensor> buffers() override { return networks_.buffers(); }
  void set_training(bool training) override { networks_.set_training(training); }
  const CaloGanConfig& settings() const { return config_; }
  // Multiply-adds of one shower's forward pass (for FLOP rates).
  double macs_per_shower() const;

 private:
  CaloGanConfig config_;
  std::vector<std::unique_ptr<Sequential>> streams_, resizers_, attention_;  // resizers_/attention_: layers 1..L-1
  ModelParts networks_;
  TensorMap outputs_, dinputs_;
  Tensor h_;
  std::vector<Tensor> raw_, carried_, stacked_, logits_, combined_, mixed_, images_, dstacked_, dlogits_, dimage_;
};

// As a Model (type "calogan_discriminator"): inputs "layer_0", "layer_1",
// ... (1, rows, cols) GeV and "energy" (1) GeV; outputs "logit" and
// "total_energy" (1); backward gives the layers' gradients.
class CaloGanDiscriminator : public Model {
 public:
  CaloGanDiscriminator(Context& ctx, const CaloGanConfig& config);
  std::string type() const override { return "calogan_discriminator"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override;
  std::vector<TensorSpec> outputs() const override;
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  struct Output {
    Tensor logit;         // (N, 1) real (high) or generated (low), before the sigmoid
    Tensor total_energy;  // (N, 1) Σ of all cells, GeV
  };
  // images: one (N, 1, rows, cols) per layer, GeV; energy: (N, 1) GeV.
  Output forward(Context& ctx, const std::vector<Tensor>& images, const Tensor& energy);
  // dL/dlogit and dL/dtotal_energy (undefined: zero) -> dL/d(images), one per
  // layer (owned here); fills the parameters' gradients.
  const std::vector<Tensor>& backward(Context& ctx, const Tensor& dlogit, const Tensor& dtotal);

  std::vector<NamedTensor> parameters() override { return networks_.parameters(); }
  std::vector<NamedTensor> gradients() override { return networks_.gradients(); }
  std::vector<NamedTensor> buffers() override { return networks_.buffers(); }
  void set_training(bool training) override { networks_.set_training(training); }
  const CaloGanConfig& settings() const { return config_; }

 private:
  CaloGanConfig config_;
  std::vector<std::unique_ptr<Sequential>> features_, mbd_, sparsity_mbd_;
  std::unique_ptr<Sequential> energy_mbd_, head_;
  ModelParts networks_;
  TensorMap outputs_, dinputs_;
  std::vector<Tensor> images_, layer_energy_, sparsity_, dimages_;
  Tensor energy_, energies_, energy_feats_, total_, joined_, dlayer_energy_;
  std::vector<Tensor> parts_;  // the pieces joined into the head's input, in order
};

// Per-layer images (N, rows, cols) in MeV, as files store them, to the
// (N, 1, rows, cols) GeV tensors the networks see, on `device`; and back.
std::vector<Tensor> showers_to_network(const ShowerBatch& batch, Device device);
ShowerBatch network_to_showers(const std::vector<Tensor>& images, const Tensor& energy);

}  // namespace jetimg
