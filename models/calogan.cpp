#include "models/calogan.h"

#include <algorithm>

#include "core/calo_ops.h"
#include "core/conv_ops.h"
#include "core/error.h"
#include "core/gan_ops.h"
#include "core/nn_ops.h"
#include "core/ops.h"

namespace jetimg {
namespace {

Json leaky(float slope) { return {{"type", "leaky_relu"}, {"slope", config_number(slope)}}; }
Json batch_norm(const CaloGanConfig& c) {
  return {{"type", "batch_norm"}, {"momentum", config_number(c.bn_momentum)}, {"epsilon", config_number(c.bn_epsilon)}};
}
Json pad1() { return {{"type", "zero_padding2d"}, {"padding", 1}}; }
Json mbd(const CaloGanConfig& c) {
  return Json::array({{{"type", "minibatch_discrimination"}, {"features", c.mbd_features}, {"dims", c.mbd_dims}}});
}

Json generator_stream(const CaloGanConfig& c, const LayerGeometry& g) {
  const int64_t rows = g.rows + 2, cols = g.cols + 2;
  return Json::array({
      {{"type", "dense"}, {"units", rows * cols * c.dense_channels}},
      {{"type", "reshape"}, {"shape", {c.dense_channels, rows, cols}}},
      {{"type", "conv2d"}, {"filters", c.gen_conv_filters}, {"kernel_size", 2}, {"padding", "same"}, {"init", "he_uniform"}},
      leaky(c.leaky_slope),
      batch_norm(c),
      {{"type", "locally_connected2d"}, {"filters", c.gen_lc_filters}, {"kernel_size", 2}, {"init", "he_uniform"}},
      leaky(c.leaky_slope),
      {{"type", "locally_connected2d"}, {"filters", 1}, {"kernel_size", 2}, {"use_bias", false}, {"init", "glorot_normal"}},
  });
}

// Resizes layer `from`'s image to layer `to`'s grid by integer factors.
Json resizer(const LayerGeometry& from, const LayerGeometry& to) {
  Json layers = Json::array();
  const int up_r = to.rows > from.rows ? to.rows / from.rows : 1, up_c = to.cols > from.cols ? to.cols / from.cols : 1;
  const int down_r = from.rows > to.rows ? from.rows / to.rows : 1, down_c = from.cols > to.cols ? from.cols / to.cols : 1;
  if (up_r > 1 || up_c > 1) layers.push_back({{"type", "up_sampling2d"}, {"size", {up_r, up_c}}});
  if (down_r > 1 || down_c > 1) layers.push_back({{"type", "avg_pool2d"}, {"pool_size", {down_r, down_c}}});
  if (layers.empty()) layers.push_back({{"type", "zero_padding2d"}, {"padding", 0}});  // same grid: identity
  return layers;
}

Json attention_block() {
  return Json::array({pad1(),
                      {{"type", "locally_connected2d"},
                       {"filters", 2},
                       {"kernel_size", 3},
                       {"init", "zeros"},
                       {"bias_init", {0, -10}}}});
}

Json discriminator_stack(const CaloGanConfig& c) {
  const auto lc = [&](int64_t filters, int kernel, int stride_c) {
    return Json{{"type", "locally_connected2d"}, {"filters", filters}, {"kernel_size", kernel}, {"strides", {1, stride_c}}};
  };
  return Json::array({
      {{"type", "conv2d"}, {"filters", c.disc_conv_filters}, {"kernel_size", 2}, {"padding", "same"}},
      leaky(c.leaky_slope),
      pad1(),
      lc(c.disc_lc_filters[0], 3, 2),
      leaky(c.leaky_slope),
      batch_norm(c),
      pad1(),
      lc(c.disc_lc_filters[1], 2, 1),
      leaky(c.leaky_slope),
      batch_norm(c),
      pad1(),
      lc(c.disc_lc_filters[2], 2, 2),
      leaky(c.leaky_slope),
      batch_norm(c),
      {{"type", "flatten"}},
  });
}

SampleShape image_shape(const LayerGeometry& g) { return {1, g.rows, g.cols}; }


// (N, F) features as (N, F, 1, 1), so that the channel concatenation joins
// them side by side.
Tensor as_channels(const Tensor& t) { return t.view({t.dim(0), t.numel() / std::max<int64_t>(t.dim(0), 1), 1, 1}); }

}  // namespace

// --- config -------------------------------------------------------------------------

Json CaloGanConfig::to_json() const {
  Json layers = Json::array();
  for (const LayerGeometry& g : geometry) layers.push_back({g.rows, g.cols});
  return {{"geometry", layers},
          {"latent", latent},
          {"dense_channels", dense_channels},
          {"gen_conv_filters", gen_conv_filters},
          {"gen_lc_filters", gen_lc_filters},
          {"attention", attention},
          {"disc_conv_filters", disc_conv_filters},
          {"disc_lc_filters", disc_lc_filters},
          {"mbd_features", mbd_features},
          {"mbd_dims", mbd_dims},
          {"leaky_slope", config_number(leaky_slope)},
          {"bn_momentum", config_number(bn_momentum)},
          {"bn_epsilon", config_number(bn_epsilon)}};
}

CaloGanConfig CaloGanConfig::from_json(const Json& json, const std::string& file) {
  CaloGanConfig c;
  ConfigSection s(json, file, "model");
  s.optional("latent", c.latent);
  s.optional("dense_channels", c.dense_channels);
  s.optional("gen_conv_filters", c.gen_conv_filters);
  s.optional("gen_lc_filters", c.gen_lc_filters);
  s.optional("attention", c.attention);
  s.optional("disc_conv_filters", c.disc_conv_filters);
  s.optional("mbd_features", c.mbd_features);
  s.optional("mbd_dims", c.mbd_dims);
  s.optional("leaky_slope", c.leaky_slope);
  s.optional("bn_momentum", c.bn_momentum);
  s.optional("bn_epsilon", c.bn_epsilon);
  s.accept("geometry");
  s.accept("disc_lc_filters");
  s.finish();
  if (json.is_object() && json.contains("geometry")) {
    const Json& g = json["geometry"];
    const auto bad = [&] {
      fail(file, ": 'model.geometry' must be a list of [rows, cols] pairs, one per calorimeter layer, got ", g.dump());
    };
    if (!g.is_array() || g.empty()) bad();
    c.geometry.clear();
    for (const Json& pair : g) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() || !pair[1].is_number_integer()) bad();
      const int64_t rows = pair[0].get<int64_t>(), cols = pair[1].get<int64_t>();
      if (rows < 1 || cols < 1 || rows > kMaxWindow || cols > kMaxWindow || g.size() > kMaxShowerLayers)
        fail(file, ": 'model.geometry' must list 1 to ", kMaxShowerLayers, " layers of [rows, cols], each from 1 to ",
             kMaxWindow, ", got ", g.dump());
      c.geometry.push_back({static_cast<int>(rows), static_cast<int>(cols)});
    }
  }
  if (json.is_object() && json.contains("disc_lc_filters")) {
    const Json& f = json["disc_lc_filters"];
    if (!f.is_array() || f.size() != 3 || !std::all_of(f.begin(), f.end(), [](const Json& v) { return v.is_number_integer(); }))
      fail(file, ": 'model.disc_lc_filters' must be a list of 3 integers, got ", f.dump());
    c.disc_lc_filters = f.get<std::vector<int64_t>>();
  }
  const auto positive = [&](const char* key, int64_t v) {
    if (v < 1 || v > kMaxLayerUnits) fail(file, ": 'model.", key, "' must be in [1, ", kMaxLayerUnits, "], got ", v);
  };
  positive("latent", c.latent);
  positive("dense_channels", c.dense_channels);
  positive("gen_conv_filters", c.gen_conv_filters);
  positive("gen_lc_filters", c.gen_lc_filters);
  positive("disc_conv_filters", c.disc_conv_filters);
  for (int64_t v : c.disc_lc_filters) positive("disc_lc_filters", v);
  positive("mbd_features", c.mbd_features);
  positive("mbd_dims", c.mbd_dims);
  if (!(c.leaky_slope >= 0 && c.leaky_slope <= 1)) fail(file, ": 'model.leaky_slope' must be in [0, 1], got ", c.leaky_slope);
  if (!(c.bn_momentum >= 0 && c.bn_momentum <= 1)) fail(file, ": 'model.bn_momentum' must be in [0, 1], got ", c.bn_momentum);
  if (!(c.bn_epsilon > 0 && c.bn_epsilon <= 1)) fail(file, ": 'model.bn_epsilon' must be in (0, 1], got ", c.bn_epsilon);
  if (c.attention) {
    for (size_t l = 1; l < c.geometry.size(); ++l) {
      const LayerGeometry &a = c.geometry[l - 1], &b = c.geometry[l];
      const auto fits = [](int x, int y) { return x >= y ? x % y == 0 : y % x == 0; };
      if (!fits(a.rows, b.rows) || !fits(a.cols, b.cols))
        fail(file, ": the attention block resizes layer ", l - 1, " (", a.rows, "x", a.cols, ") to layer ", l, " (",
             b.rows, "x", b.cols, ") by integer factors, which these grids do not have; set 'model.attention' to false");
    }
  }
  return c;
}

// --- generator ------------------------------------------------------------------------

CaloGanGenerator::CaloGanGenerator(Context& ctx, const CaloGanConfig& config) : config_(config) {
  const size_t layers = config.geometry.size();
  for (size_t l = 0; l < layers; ++l) {
    streams_.push_back(std::make_unique<Sequential>(ctx, generator_stream(config, config.geometry[l]),
                                                    SampleShape{config.latent}, "CaloGAN generator"));
    streams_.back()->set_input_gradient(false);  // h comes from the inputs only
    if (l > 0 && config.attention) {
      resizers_.push_back(std::make_unique<Sequential>(ctx, resizer(config.geometry[l - 1], config.geometry[l]),
                                                       image_shape(config.geometry[l - 1]), "CaloGAN generator"));
      const LayerGeometry& g = config.geometry[l];
      attention_.push_back(
          std::make_unique<Sequential>(ctx, attention_block(), SampleShape{2, g.rows, g.cols}, "CaloGAN generator"));
    }
  }
  for (size_t l = 0; l < streams_.size(); ++l) networks_.add("stream" + std::to_string(l) + ".", *streams_[l]);
  for (size_t l = 0; l < attention_.size(); ++l) networks_.add("attention" + std::to_string(l + 1) + ".", *attention_[l]);
  for (auto& r : resizers_) networks_.add("", *r);  // no parameters; training mode only
  raw_.resize(layers), carried_.resize(layers), stacked_.resize(layers), logits_.resize(layers);
  combined_.resize(layers), mixed_.resize(layers), images_.resize(layers), dstacked_.resize(layers), dlogits_.resize(layers);
  dimage_.resize(layers);
}

const std::vector<Tensor>& CaloGanGenerator::forward(Context& ctx, const Tensor& z, const Tensor& energy) {
  if (z.ndim() != 2 || z.dim(1) != config_.latent)
    fail("CaloGAN generator: the latent input must be (N, ", config_.latent, "), got ", z.shape().str());
  const int64_t n = z.dim(0);
  ensure_tensor(h_, z.shape(), ctx.device());
  scale_rows(ctx, z, energy, 0.01f, h_);  // z · E / 100, E in GeV
  const ActivationParams relu{ActivationKind::ReLU, 0.0f};
  for (size_t l = 0; l < streams_.size(); ++l) {
    raw_[l] = streams_[l]->forward(ctx, h_);  // (N, 1, rows, cols)
    combined_[l] = raw_[l];
    if (l > 0 && config_.attention) {
      carried_[l] = resizers_[l - 1]->forward(ctx, combined_[l - 1]);
      const LayerGeometry& g = config_.geometry[l];
      ensure_tensor(stacked_[l], {n, 2, g.rows, g.cols}, ctx.device());
      concatenate_channels_forward(ctx, {raw_[l], carried_[l]}, stacked_[l]);
      logits_[l] = attention_[l - 1]->forward(ctx, stacked_[l]);
      ensure_tensor(mixed_[l], raw_[l].shape(), ctx.device());
      attention_combine_forward(ctx, stacked_[l], logits_[l], mixed_[l]);
      combined_[l] = mixed_[l];
    }
  }
  for (size_t l = 0; l < streams_.size(); ++l) {
    ensure_tensor(images_[l], combined_[l].shape(), ctx.device());
    activation_forward(ctx, relu, combined_[l], images_[l]);
  }
  return images_;
}

void CaloGanGenerator::backward(Context& ctx, const std::vector<Tensor>& dimages) {
  const size_t layers = streams_.size();
  if (dimages.size() != layers) fail("CaloGAN generator: backward needs ", layers, " image gradients, got ", dimages.size());
  const ActivationParams relu{ActivationKind::ReLU, 0.0f};
  for (size_t l = 0; l < layers; ++l) {
    if (dimages[l].shape() != images_[l].shape())
      fail("CaloGAN generator: the gradient of layer ", l, " is ", dimages[l].shape().str(), ", the image ",
           images_[l].shape().str());
    ensure_tensor(dimage_[l], images_[l].shape(), ctx.device());
    activation_backward(ctx, relu, combined_[l], images_[l], dimages[l], dimage_[l]);
  }
  for (size_t l = layers; l-- > 0;) {
    if (l > 0 && config_.attention) {
      ensure_tensor(dstacked_[l], stacked_[l].shape(), ctx.device());
      ensure_tensor(dlogits_[l], logits_[l].shape(), ctx.device());
      attention_combine_backward(ctx, stacked_[l], logits_[l], dimage_[l], dstacked_[l], dlogits_[l]);
      const Tensor through_logits = attention_[l - 1]->backward(ctx, dlogits_[l]);
      axpy(ctx, 1.0f, through_logits, dstacked_[l]);
      std::vector<Tensor> split = {Tensor::empty(raw_[l].shape(), ctx.device()),
                                   Tensor::empty(carried_[l].shape(), ctx.device())};
      concatenate_channels_backward(ctx, dstacked_[l], split);
      const Tensor to_previous = resizers_[l - 1]->backward(ctx, split[1]);
      axpy(ctx, 1.0f, to_previous, dimage_[l - 1]);
      streams_[l]->backward(ctx, split[0]);
    } else {
      streams_[l]->backward(ctx, dimage_[l]);
    }
  }
}

Json CaloGanGenerator::config() const {
  Json c = config_.to_json();
  c["type"] = type();
  return c;
}

std::vector<TensorSpec> CaloGanGenerator::inputs() const { return {{"z", {config_.latent}}, {"energy", {1}}}; }

std::vector<TensorSpec> CaloGanGenerator::outputs() const {
  std::vector<TensorSpec> out;
  for (size_t l = 0; l < config_.geometry.size(); ++l)
    out.push_back({"layer_" + std::to_string(l), {1, config_.geometry[l].rows, config_.geometry[l].cols}});
  return out;
}

const TensorMap& CaloGanGenerator::forward(Context& ctx, const TensorMap& inputs) {
  const auto z = inputs.find("z"), energy = inputs.find("energy");
  if (z == inputs.end() || energy == inputs.end()) fail("CaloGAN generator: inputs 'z' and 'energy' are needed");
  const std::vector<Tensor>& images = forward(ctx, z->second, energy->second);
  for (size_t l = 0; l < images.size(); ++l) outputs_["layer_" + std::to_string(l)] = images[l];
  return outputs_;
}

const TensorMap& CaloGanGenerator::backward(Context& ctx, const TensorMap& doutputs) {
  std::vector<Tensor> dimages;
  for (size_t l = 0; l < config_.geometry.size(); ++l) {
    const auto d = doutputs.find("layer_" + std::to_string(l));
    if (d == doutputs.end()) fail("CaloGAN generator: the gradient of every layer is needed (layer_", l, " is missing)");
    dimages.push_back(d->second);
  }
  backward(ctx, dimages);
  return dinputs_;  // z and energy are data: no gradient
}

double CaloGanGenerator::macs_per_shower() const {
  double macs = 0;
  for (const LayerGeometry& g : config_.geometry) {
    const double rows = g.rows + 2, cols = g.cols + 2;
    macs += double(config_.latent) * rows * cols * config_.dense_channels;                       // dense
    macs += rows * cols * config_.gen_conv_filters * config_.dense_channels * 4;                 // conv 2×2
    macs += (rows - 1) * (cols - 1) * config_.gen_lc_filters * config_.gen_conv_filters * 4;     // LC 2×2
    macs += double(g.rows) * g.cols * config_.gen_lc_filters * 4;                                // LC 2×2 -> 1
    macs += config_.attention ? double(g.rows) * g.cols * 2 * 2 * 9 : 0.0;                       // attention LC
  }
  return macs;
}

// --- discriminator --------------------------------------------------------------------

CaloGanDiscriminator::CaloGanDiscriminator(Context& ctx, const CaloGanConfig& config) : config_(config) {
  const size_t layers = config.geometry.size();
  int64_t joined = 0;
  for (size_t l = 0; l < layers; ++l) {
    features_.push_back(std::make_unique<Sequential>(ctx, discriminator_stack(config), image_shape(config.geometry[l]),
                                                     "CaloGAN discriminator"));
    const int64_t flat = features_.back()->output_shape().at(0);
    mbd_.push_back(std::make_unique<Sequential>(ctx, mbd(config), SampleShape{flat}, "CaloGAN discriminator"));
    sparsity_mbd_.push_back(std::make_unique<Sequential>(ctx, mbd(config), SampleShape{1}, "CaloGAN discriminator"));
    sparsity_mbd_.back()->set_input_gradient(false);
    joined += flat + config.mbd_features + 1 + config.mbd_features;
  }
  energy_mbd_ = std::make_unique<Sequential>(ctx, mbd(config), SampleShape{int64_t(layers)}, "CaloGAN discriminator");
  joined += int64_t(layers) + 3 + config.mbd_features;
  head_ = std::make_unique<Sequential>(ctx, Json::array({{{"type", "dense"}, {"units", 1}}}), SampleShape{joined},
                                       "CaloGAN discriminator");
  for (size_t l = 0; l < layers; ++l) {
    const std::string p = "layer" + std::to_string(l) + ".";
    networks_.add(p + "features.", *features_[l]);
    networks_.add(p + "mbd.", *mbd_[l]);
    networks_.add(p + "sparsity_mbd.", *sparsity_mbd_[l]);
  }
  networks_.add("energy_mbd.", *energy_mbd_);
  networks_.add("head.", *head_);
  layer_energy_.resize(layers), sparsity_.resize(layers), dimages_.resize(layers);
}

CaloGanDiscriminator::Output CaloGanDiscriminator::forward(Context& ctx, const std::vector<Tensor>& images,
                                                           const Tensor& energy) {
  const size_t layers = features_.size();
  if (images.size() != layers) fail("CaloGAN discriminator: expected ", layers, " layer images, got ", images.size());
  const int64_t n = energy.dim(0);
  images_ = images;
  energy_ = energy;
  parts_.clear();
  for (size_t l = 0; l < layers; ++l) {
    const Tensor f = features_[l]->forward(ctx, images[l]);
    parts_.push_back(f);
    parts_.push_back(mbd_[l]->forward(ctx, f));
    ensure_tensor(sparsity_[l], {n, 1}, ctx.device());
    fraction_above(ctx, images[l], 0.0f, sparsity_[l]);
    parts_.push_back(sparsity_[l]);
    parts_.push_back(sparsity_mbd_[l]->forward(ctx, sparsity_[l]));
    ensure_tensor(layer_energy_[l], {n, 1}, ctx.device());
    sum_per_sample(ctx, images[l], layer_energy_[l]);
  }
  ensure_tensor(energies_, {n, int64_t(layers)}, ctx.device());
  {
    std::vector<Tensor> columns;
    for (const Tensor& e : layer_energy_) columns.push_back(as_channels(e));
    Tensor out = as_channels(energies_);
    concatenate_channels_forward(ctx, columns, out);
  }
  ensure_tensor(energy_feats_, {n, int64_t(layers) + 3}, ctx.device());
  ensure_tensor(total_, {n, 1}, ctx.device());
  energy_features_forward(ctx, energies_, energy, energy_feats_, total_);
  parts_.push_back(energy_feats_);
  parts_.push_back(energy_mbd_->forward(ctx, energies_));

  int64_t width = 0;
  std::vector<Tensor> columns;
  for (const Tensor& p : parts_) {
    width += p.numel() / std::max<int64_t>(n, 1);
    columns.push_back(as_channels(p));
  }
  ensure_tensor(joined_, {n, width}, ctx.device());
  Tensor out = as_channels(joined_);
  concatenate_channels_forward(ctx, columns, out);
  return {head_->forward(ctx, joined_), total_};
}

const std::vector<Tensor>& CaloGanDiscriminator::backward(Context& ctx, const Tensor& dlogit, const Tensor& dtotal) {
  const size_t layers = features_.size();
  const int64_t n = energy_.dim(0);
  const Tensor djoined = head_->backward(ctx, dlogit);
  std::vector<Tensor> dparts;
  for (const Tensor& p : parts_) dparts.push_back(Tensor::empty(as_channels(p).shape(), ctx.device()));
  concatenate_channels_backward(ctx, as_channels(djoined), dparts);
  const auto flat = [&](const Tensor& t) { return t.view({n, t.numel() / std::max<int64_t>(n, 1)}); };

  // Energies: through the energy features and their minibatch discrimination.
  ensure_tensor(dlayer_energy_, {n, int64_t(layers)}, ctx.device());
  energy_features_backward(ctx, energies_, energy_, flat(dparts[4 * layers]), dtotal, dlayer_energy_);
  axpy(ctx, 1.0f, energy_mbd_->backward(ctx, flat(dparts[4 * layers + 1])), dlayer_energy_);
  std::vector<Tensor> de;
  for (size_t l = 0; l < layers; ++l) de.push_back(Tensor::empty({n, 1, 1, 1}, ctx.device()));
  concatenate_channels_backward(ctx, as_channels(dlayer_energy_), de);

  for (size_t l = 0; l < layers; ++l) {
    Tensor dfeatures = flat(dparts[4 * l]);
    axpy(ctx, 1.0f, mbd_[l]->backward(ctx, flat(dparts[4 * l + 1])), dfeatures);
    sparsity_mbd_[l]->backward(ctx, flat(dparts[4 * l + 3]));  // parameters only: sparsity is a constant feature
    const Tensor dimage = features_[l]->backward(ctx, dfeatures);
    ensure_tensor(dimages_[l], images_[l].shape(), ctx.device());
    sum_per_sample_backward(ctx, de[l].view({n, 1}), dimages_[l]);  // dE_l/d(cell) = 1
    axpy(ctx, 1.0f, dimage, dimages_[l]);
  }
  return dimages_;
}

Json CaloGanDiscriminator::config() const {
  Json c = config_.to_json();
  c["type"] = type();
  return c;
}

std::vector<TensorSpec> CaloGanDiscriminator::inputs() const {
  std::vector<TensorSpec> in;
  for (size_t l = 0; l < config_.geometry.size(); ++l)
    in.push_back({"layer_" + std::to_string(l), {1, config_.geometry[l].rows, config_.geometry[l].cols}});
  in.push_back({"energy", {1}});
  return in;
}

std::vector<TensorSpec> CaloGanDiscriminator::outputs() const { return {{"logit", {1}}, {"total_energy", {1}}}; }

const TensorMap& CaloGanDiscriminator::forward(Context& ctx, const TensorMap& inputs) {
  std::vector<Tensor> images;
  for (size_t l = 0; l < config_.geometry.size(); ++l) {
    const auto it = inputs.find("layer_" + std::to_string(l));
    if (it == inputs.end()) fail("CaloGAN discriminator: input 'layer_", l, "' is missing");
    images.push_back(it->second);
  }
  const auto energy = inputs.find("energy");
  if (energy == inputs.end()) fail("CaloGAN discriminator: input 'energy' is missing");
  const Output out = forward(ctx, images, energy->second);
  outputs_["logit"] = out.logit;
  outputs_["total_energy"] = out.total_energy;
  return outputs_;
}

const TensorMap& CaloGanDiscriminator::backward(Context& ctx, const TensorMap& doutputs) {
  const auto dlogit = doutputs.find("logit"), dtotal = doutputs.find("total_energy");
  const std::vector<Tensor>& dimages = backward(ctx, dlogit == doutputs.end() ? Tensor() : dlogit->second,
                                                dtotal == doutputs.end() ? Tensor() : dtotal->second);
  for (size_t l = 0; l < dimages.size(); ++l) dinputs_["layer_" + std::to_string(l)] = dimages[l];
  return dinputs_;
}

// --- data -------------------------------------------------------------------------------

std::vector<Tensor> showers_to_network(const ShowerBatch& batch, Device device) {
  std::vector<Tensor> images;
  Context cpu;
  for (const Tensor& layer : batch.layers) {
    Tensor gev = layer.to(Device::cpu());
    scale(cpu, gev, 1e-3f);  // MeV -> GeV
    images.push_back(gev.view({layer.dim(0), 1, layer.dim(1), layer.dim(2)}).to(device));
  }
  return images;
}

ShowerBatch network_to_showers(const std::vector<Tensor>& images, const Tensor& energy) {
  ShowerBatch batch;
  Context cpu;
  batch.energy = energy.to(Device::cpu()).view({energy.dim(0), 1});
  for (const Tensor& image : images) {
    Tensor mev = image.to(Device::cpu());
    scale(cpu, mev, 1e3f);  // GeV -> MeV
    batch.layers.push_back(mev.view({image.dim(0), image.dim(2), image.dim(3)}));
  }
  batch.overflow = Tensor::zeros({energy.dim(0), int64_t(images.size())});
  return batch;
}

}  // namespace jetimg
