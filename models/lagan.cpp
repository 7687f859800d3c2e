#include "models/lagan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/conv_ops.h"
#include "core/error.h"
#include "core/sampling.h"
#include "core/gemm.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "io/atomic_output.h"
#include "models/checkpoint.h"
#include "io/hdf5.h"
#include "models/checkpoint.h"
#include "models/init.h"
#include "models/optimiser.h"
#include "physics/sample_distances.h"

namespace jetimg {
namespace {

constexpr const char* kFormat = "jetimg-lagan";

Json leaky(float slope) { return {{"type", "leaky_relu"}, {"slope", config_number(slope)}}; }

Json generator_layers(const LaganConfig& c) {
  const Json bn = {{"type", "batch_norm"}, {"momentum", config_number(c.bn_momentum)}, {"epsilon", config_number(c.bn_epsilon)}};
  return Json::array({
      {{"type", "dense"}, {"units", c.dense_channels * 7 * 7}},
      {{"type", "reshape"}, {"shape", {c.dense_channels, 7, 7}}},
      {{"type", "conv2d"}, {"filters", c.conv_filters}, {"kernel_size", 5}, {"padding", "same"}, {"init", "he_uniform"}},
      leaky(c.leaky_slope),
      bn,
      {{"type", "up_sampling2d"}, {"size", 2}},
      {{"type", "zero_padding2d"}, {"padding", 2}},
      {{"type", "locally_connected2d"}, {"filters", c.lc_filters}, {"kernel_size", 5}, {"init", "he_uniform"}},
      leaky(c.leaky_slope),
      bn,
      {{"type", "up_sampling2d"}, {"size", 2}},
      {{"type", "locally_connected2d"}, {"filters", c.lc_filters}, {"kernel_size", 3}, {"init", "he_uniform"}},
      leaky(c.leaky_slope),
      {{"type", "locally_connected2d"}, {"filters", 1}, {"kernel_size", 2}, {"init", "glorot_normal"}},
      {{"type", "relu"}},
  });
}

Json discriminator_layers(const LaganConfig& c) {
  const Json bn = {{"type", "batch_norm"}, {"momentum", config_number(c.bn_momentum)}, {"epsilon", config_number(c.bn_epsilon)}};
  const Json drop = {{"type", "dropout"}, {"rate", config_number(c.dropout)}};
  const Json pad = {{"type", "zero_padding2d"}, {"padding", 1}};
  const auto lc = [&](int stride_c) {
    return Json{{"type", "locally_connected2d"}, {"filters", c.disc_lc_filters}, {"kernel_size", 5}, {"strides", {1, stride_c}}};
  };
  return Json::array({{{"type", "conv2d"}, {"filters", c.disc_conv_filters}, {"kernel_size", 5}, {"padding", "same"}},
                      leaky(c.leaky_slope), drop, pad, lc(2), leaky(c.leaky_slope), bn, drop, pad, lc(1),
                      leaky(c.leaky_slope), bn, drop, pad, lc(2), leaky(c.leaky_slope), bn, drop,
                      {{"type", "avg_pool2d"}, {"pool_size", 2}}, {{"type", "flatten"}}});
}

Tensor one_hot(const std::vector<int>& classes, int64_t count, Device device) {
  std::vector<float> v(classes.size() * size_t(count), 0.0f);
  for (size_t i = 0; i < classes.size(); ++i) v[i * size_t(count) + size_t(classes[i])] = 1.0f;
  return Tensor::from_vector(v, {int64_t(classes.size()), count}).to(device);
}

Tensor column(const std::vector<float>& v, Device device) {
  return Tensor::from_vector(v, {int64_t(v.size()), 1}).to(device);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

// --- config ---------------------------------------------------------------------------

Json LaganConfig::to_json() const {
  return {{"latent", latent},
          {"classes", classes},
          {"dense_channels", dense_channels},
          {"conv_filters", conv_filters},
          {"lc_filters", lc_filters},
          {"disc_conv_filters", disc_conv_filters},
          {"disc_lc_filters", disc_lc_filters},
          {"mbd_features", mbd_features},
          {"mbd_dims", mbd_dims},
          {"leaky_slope", config_number(leaky_slope)},
          {"dropout", config_number(dropout)},
          {"bn_momentum", config_number(bn_momentum)},
          {"bn_epsilon", config_number(bn_epsilon)},
          {"epochs", epochs},
          {"batch_size", batch_size},
          {"generator_steps", generator_steps},
          {"steps_per_epoch", steps_per_epoch},
          {"shuffle_buffer_mb", shuffle_buffer_mb},
          {"lr", lr},
          {"beta1", beta1},
          {"aux_weight", aux_weight},
          {"real_label", real_label},
          {"seed", seed}};
}

Json LaganConfig::model_json() const {
  Json all = to_json();
  for (const char* key : {"epochs", "batch_size", "generator_steps", "steps_per_epoch", "shuffle_buffer_mb", "lr",
                          "beta1", "aux_weight", "real_label", "seed"})
    all.erase(key);
  return all;
}

LaganConfig LaganConfig::from_json(const Json& json, const std::string& file) {
  LaganConfig c;
  ConfigSection s(json, file, "");
  s.optional("latent", c.latent);
  s.optional("classes", c.classes);
  s.optional("dense_channels", c.dense_channels);
  s.optional("conv_filters", c.conv_filters);
  s.optional("lc_filters", c.lc_filters);
  s.optional("disc_conv_filters", c.disc_conv_filters);
  s.optional("disc_lc_filters", c.disc_lc_filters);
  s.optional("mbd_features", c.mbd_features);
  s.optional("mbd_dims", c.mbd_dims);
  s.optional("leaky_slope", c.leaky_slope);
  s.optional("dropout", c.dropout);
  s.optional("bn_momentum", c.bn_momentum);
  s.optional("bn_epsilon", c.bn_epsilon);
  s.optional("epochs", c.epochs);
  s.optional("batch_size", c.batch_size);
  s.optional("generator_steps", c.generator_steps);
  s.optional("steps_per_epoch", c.steps_per_epoch);
  s.optional("shuffle_buffer_mb", c.shuffle_buffer_mb, int64_t{1}, int64_t{1} << 20);
  s.optional("lr", c.lr);
  s.optional("beta1", c.beta1);
  s.optional("aux_weight", c.aux_weight);
  s.optional("real_label", c.real_label);
  s.optional("seed", c.seed);
  s.finish();
  for (const auto& [key, v] : std::vector<std::pair<const char*, int64_t>>{
           {"latent", c.latent}, {"dense_channels", c.dense_channels}, {"conv_filters", c.conv_filters},
           {"lc_filters", c.lc_filters}, {"disc_conv_filters", c.disc_conv_filters},
           {"disc_lc_filters", c.disc_lc_filters}, {"mbd_features", c.mbd_features}, {"mbd_dims", c.mbd_dims},
           {"epochs", c.epochs}, {"generator_steps", c.generator_steps}})
    if (v < 1 || v > kMaxLayerUnits) fail(file, ": '", key, "' must be in [1, ", kMaxLayerUnits, "], got ", v);
  if (c.batch_size > kMaxBatch) fail(file, ": 'batch_size' must be at most ", kMaxBatch, ", got ", c.batch_size);
  if (c.steps_per_epoch < 0) fail(file, ": 'steps_per_epoch' must be >= 0 (0: one pass), got ", c.steps_per_epoch);
  if (c.classes != 2) fail(file, ": 'classes' must be 2 (W and QCD), got ", c.classes);
  if (c.batch_size < 2) fail(file, ": 'batch_size' must be at least 2, got ", c.batch_size);
  if (!(c.lr > 0 && c.lr <= 10)) fail(file, ": 'lr' must be in (0, 10], got ", c.lr);
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(file, ": 'dropout' must be in [0, 1), got ", c.dropout);
  if (!(c.leaky_slope >= 0 && c.leaky_slope <= 1)) fail(file, ": 'leaky_slope' must be in [0, 1], got ", c.leaky_slope);
  if (!(c.bn_momentum >= 0 && c.bn_momentum <= 1)) fail(file, ": 'bn_momentum' must be in [0, 1], got ", c.bn_momentum);
  if (!(c.bn_epsilon > 0 && c.bn_epsilon <= 1)) fail(file, ": 'bn_epsilon' must be in (0, 1], got ", c.bn_epsilon);
  if (!(c.beta1 >= 0 && c.beta1 < 1)) fail(file, ": 'beta1' must be in [0, 1), got ", c.beta1);
  if (!(c.aux_weight >= 0 && c.aux_weight <= 1000)) fail(file, ": 'aux_weight' must be in [0, 1000], got ", c.aux_weight);
  if (!(c.real_label > 0 && c.real_label <= 1)) fail(file, ": 'real_label' must be in (0, 1], got ", c.real_label);
  return c;
}

LaganConfig load_lagan_config(const std::string& path) { return LaganConfig::from_json(load_json_file(path), path); }

// --- generator --------------------------------------------------------------------------

LaganGenerator::LaganGenerator(Context& ctx, const LaganConfig& config) : config_(config) {
  embedding_ = Tensor::empty({config.classes, config.latent}, ctx.device());
  dembedding_ = Tensor::zeros({config.classes, config.latent}, ctx.device());
  initialise(ctx, embedding_, Init::GlorotNormal, config.classes, config.latent);
  net_ = std::make_unique<Sequential>(ctx, generator_layers(config), SampleShape{config.latent}, "LAGAN generator");
  parts_.add_tensor("embedding", embedding_, dembedding_);
  parts_.add("net.", *net_);
}

Tensor LaganGenerator::forward(Context& ctx, const Tensor& z, const Tensor& one_hot) {
  z_ = z, one_hot_ = one_hot;
  ensure_tensor(scale_, z.shape(), ctx.device());
  ensure_tensor(h_, z.shape(), ctx.device());
  gemm(ctx, false, false, 1.0f, one_hot, embedding_, 0.0f, scale_);  // embedding[class]
  multiply(ctx, z, scale_, h_);
  return net_->forward(ctx, h_);
}

void LaganGenerator::backward(Context& ctx, const Tensor& dimages) {
  const Tensor dh = net_->backward(ctx, dimages);
  ensure_tensor(dscale_, z_.shape(), ctx.device());
  multiply(ctx, dh, z_, dscale_);
  gemm(ctx, true, false, 1.0f, one_hot_, dscale_, 0.0f, dembedding_);
}

Json LaganGenerator::config() const {
  Json c = config_.model_json();
  c["type"] = type();
  return c;
}

const TensorMap& LaganGenerator::forward(Context& ctx, const TensorMap& inputs) {
  const auto z = inputs.find("z"), cls = inputs.find("class");
  if (z == inputs.end() || cls == inputs.end()) fail("LAGAN generator: inputs 'z' and 'class' are needed");
  outputs_["image"] = forward(ctx, z->second, cls->second);
  return outputs_;
}

const TensorMap& LaganGenerator::backward(Context& ctx, const TensorMap& doutputs) {
  const auto d = doutputs.find("image");
  if (d == doutputs.end()) fail("LAGAN generator: the gradient of 'image' is missing");
  backward(ctx, d->second);
  return dinputs_;  // z and the class are data: no gradient
}

// --- discriminator ----------------------------------------------------------------------

LaganDiscriminator::LaganDiscriminator(Context& ctx, const LaganConfig& c) : config_(c) {
  features_ = std::make_unique<Sequential>(ctx, discriminator_layers(c), SampleShape{1, 25, 25}, "LAGAN discriminator");
  feature_width_ = features_->output_shape().at(0);
  mbd_ = std::make_unique<Sequential>(
      ctx, Json::array({{{"type", "minibatch_discrimination"}, {"features", c.mbd_features}, {"dims", c.mbd_dims}}}),
      SampleShape{feature_width_}, "LAGAN discriminator");
  const Json unit = Json::array({{{"type", "dense"}, {"units", 1}}});
  real_head_ = std::make_unique<Sequential>(ctx, unit, SampleShape{feature_width_ + c.mbd_features}, "LAGAN discriminator");
  class_head_ = std::make_unique<Sequential>(ctx, unit, SampleShape{feature_width_ + c.mbd_features}, "LAGAN discriminator");
  parts_.add("features.", *features_);
  parts_.add("mbd.", *mbd_);
  parts_.add("real.", *real_head_);
  parts_.add("class.", *class_head_);
}

LaganDiscriminator::Output LaganDiscriminator::forward(Context& ctx, const Tensor& images) {
  const int64_t n = images.dim(0);
  const Tensor f = features_->forward(ctx, images);
  const Tensor m = mbd_->forward(ctx, f);
  ensure_tensor(joined_, {n, f.dim(1) + m.dim(1)}, ctx.device());
  Tensor out = joined_.view({n, joined_.dim(1), 1, 1});
  concatenate_channels_forward(ctx, {f.view({n, f.dim(1), 1, 1}), m.view({n, m.dim(1), 1, 1})}, out);
  return {real_head_->forward(ctx, joined_), class_head_->forward(ctx, joined_)};
}

Tensor LaganDiscriminator::backward(Context& ctx, const Tensor& dreal, const Tensor& dclass) {
  const int64_t n = dreal.dim(0);
  ensure_tensor(djoined_, joined_.shape(), ctx.device());
  djoined_.copy_from(real_head_->backward(ctx, dreal));
  axpy(ctx, 1.0f, class_head_->backward(ctx, dclass), djoined_);
  std::vector<Tensor> parts = {Tensor::empty({n, feature_width_, 1, 1}, ctx.device()),
                               Tensor::empty({n, joined_.dim(1) - feature_width_, 1, 1}, ctx.device())};
  concatenate_channels_backward(ctx, djoined_.view({n, joined_.dim(1), 1, 1}), parts);
  Tensor df = parts[0].view({n, feature_width_});
  axpy(ctx, 1.0f, mbd_->backward(ctx, parts[1].view({n, joined_.dim(1) - feature_width_})), df);
  return features_->backward(ctx, df);
}

Json LaganDiscriminator::config() const {
  Json c = config_.model_json();
  c["type"] = type();
  return c;
}

const TensorMap& LaganDiscriminator::forward(Context& ctx, const TensorMap& inputs) {
  const auto image = inputs.find("image");
  if (image == inputs.end()) fail("LAGAN discriminator: input 'image' is missing");
  const Output out = forward(ctx, image->second);
  outputs_["real"] = out.real_logit;
  outputs_["class"] = out.class_logit;
  return outputs_;
}

const TensorMap& LaganDiscriminator::backward(Context& ctx, const TensorMap& doutputs) {
  const auto dreal = doutputs.find("real"), dclass = doutputs.find("class");
  if (dreal == doutputs.end() || dclass == doutputs.end())
    fail("LAGAN discriminator: the gradients of 'real' and 'class' are needed");
  dinputs_["image"] = backward(ctx, dreal->second, dclass->second);
  return dinputs_;
}

// --- sampling and checkpoints -------------------------------------------------------------

Tensor sample_lagan(Context& ctx, LaganGenerator& gen, int64_t count, int cls) {
  gen.set_training(false);
  Tensor z = Tensor::empty({count, gen.settings().latent}, ctx.device());
  random_normal(ctx, z, 0.0f, 1.0f);
  const Tensor images = gen.forward(ctx, z, one_hot(std::vector<int>(size_t(count), cls), gen.settings().classes, ctx.device()));
  return images.to(Device::cpu()).view({count, 25, 25});
}

std::unique_ptr<LaganGenerator> load_lagan_generator(Context& ctx, const std::string& path) {
  const CheckpointFile checkpoint(path);
  if (checkpoint.kind() != "lagan")
    fail("'", path, "' is a ", checkpoint.kind(), " checkpoint, not LAGAN's (make one with 'jetimg train-lagan')");
  auto gen = std::make_unique<LaganGenerator>(
      ctx, LaganConfig::from_json(without_type(checkpoint.model_config("generator")), path));
  checkpoint.load_into("generator", *gen);
  gen->set_training(false);
  return gen;
}

// --- training ----------------------------------------------------------------------------------

const std::vector<std::string> kLaganRunFiles = {"last.h5", "log.csv", "average_*.png"};

LaganTask::LaganTask(Context& ctx, LaganGenerator& gen, LaganDiscriminator& disc, const ImagesDataset& data,
                     const LaganConfig& config)
    : gen_(gen),
      disc_(disc),
      data_(data),
      config_(config),
      adam_g_(float(config.lr), float(config.beta1), 0.999f, 1e-7f),
      adam_d_(float(config.lr), float(config.beta1), 0.999f, 1e-7f) {
  const int64_t pixels = 25 * 25;
  const std::vector<int64_t>& shape = data.sample_shape();
  int64_t floats = 1;
  for (int64_t d : shape) floats *= d;
  if (floats != pixels)
    fail("LAGAN trains on 25x25 single-channel jet images; these are ", shape_string(shape));
  if (data.size() < config.batch_size)
    fail("LAGAN training: ", data.size(), " images, fewer than one batch of ", config.batch_size);
  // Summed intensity of each real image by class, for the per-epoch distance.
  StreamOptions o;
  o.batch = 4096;
  o.shuffle = false;
  BatchStream all(data, o);
  while (all.next(batch_)) {
    const Tensor& images = batch_.at("images");
    const int64_t n = images.dim(0);
    for (int64_t i = 0; i < n; ++i) {
      double sum = 0;
      for (int64_t p = 0; p < pixels; ++p) sum += images.data()[i * pixels + p];
      real_sum_[batch_.at("label").data()[i] > 0.5f ? 1 : 0].push_back(sum);
    }
  }
  z_ = Tensor::empty({config.batch_size, config.latent}, ctx.device());
}

double LaganTask::disc_step(Context& ctx, const Tensor& images, const Tensor& real_labels, const Tensor& class_labels,
                            double* correct) {
  const LaganDiscriminator::Output out = disc_.forward(ctx, images);
  ensure_tensor(dreal_, out.real_logit.shape(), ctx.device());
  ensure_tensor(dclass_, out.class_logit.shape(), ctx.device());
  const double l1 = bce_with_logits(ctx, out.real_logit, real_labels, Tensor(), &dreal_);
  const double l2 = bce_with_logits(ctx, out.class_logit, class_labels, Tensor(), &dclass_);
  scale(ctx, dclass_, float(config_.aux_weight));
  disc_.backward(ctx, dreal_, dclass_);
  adam_d_.step(ctx, disc_.parameters(), disc_.gradients());
  if (correct) {
    const std::vector<float> logit = out.class_logit.to_vector(), label = class_labels.to_vector();
    for (size_t i = 0; i < logit.size(); ++i) *correct += (logit[i] > 0) == (label[i] > 0.5f);
  }
  return l1 + config_.aux_weight * l2;
}

int64_t LaganTask::begin_epoch(Context&, int64_t) {
  passes_ = 0, steps_ = 0, correct_ = 0;
  stream_.reset();
  return config_.steps_per_epoch > 0 ? config_.steps_per_epoch : data_.size() / config_.batch_size;
}

void LaganTask::step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) {
  const int64_t b = config_.batch_size;
  // The next full batch of real images (a new shuffled pass when one runs out).
  while (true) {
    if (!stream_) {
      StreamOptions o;
      o.batch = b;
      o.seed = config_.seed;
      o.stream = (static_cast<uint64_t>(epoch) << 16) + static_cast<uint64_t>(passes_++);
      o.buffer_bytes = config_.shuffle_buffer_mb << 20;
      o.pinned = !ctx.device().is_cpu();
      stream_ = std::make_unique<BatchStream>(data_, o);
    }
    if (stream_->next(batch_) && batch_.at("label").dim(0) == b) break;
    stream_.reset();
  }
  ++steps_;
  ensure_tensor(real_, {b, 1, 25, 25}, ctx.device()).copy_from(batch_.at("images").view({b, 1, 25, 25}));
  const Tensor real_class = batch_.at("label").to(ctx.device());
  // Classes of generated images: Philox streams of this step, far from the context's.
  const uint64_t classes = (uint64_t{5} << 60) + (static_cast<uint64_t>(epoch) << 32) +
                           static_cast<uint64_t>(step) * static_cast<uint64_t>(config_.generator_steps + 1);
  const auto draw = [&](uint64_t stream, std::vector<int>& cls, std::vector<float>& cls_f) {
    cls.resize(static_cast<size_t>(b)), cls_f.resize(static_cast<size_t>(b));
    for (int64_t i = 0; i < b; ++i) {
      cls[size_t(i)] = seeded_uniform(config_.seed, stream, uint64_t(i)) < 0.5 ? 0 : 1;
      cls_f[size_t(i)] = float(cls[size_t(i)]);
    }
  };
  std::vector<int> fake_class;
  std::vector<float> fake_class_f;
  draw(classes, fake_class, fake_class_f);
  const double lr = disc_step(ctx, real_, column(std::vector<float>(size_t(b), float(config_.real_label)), ctx.device()),
                              real_class, &correct_);
  random_normal(ctx, z_, 0.0f, 1.0f);
  const Tensor fake = gen_.forward(ctx, z_, one_hot(fake_class, config_.classes, ctx.device())).clone();
  const double lf = disc_step(ctx, fake, column(std::vector<float>(size_t(b), 0.0f), ctx.device()),
                              column(fake_class_f, ctx.device()), nullptr);
  double g_loss = 0;
  for (int64_t k = 0; k < config_.generator_steps; ++k) {
    draw(classes + 1 + uint64_t(k), fake_class, fake_class_f);
    random_normal(ctx, z_, 0.0f, 1.0f);
    const Tensor images = gen_.forward(ctx, z_, one_hot(fake_class, config_.classes, ctx.device()));
    const LaganDiscriminator::Output out = disc_.forward(ctx, images);
    ensure_tensor(dreal_, out.real_logit.shape(), ctx.device());
    ensure_tensor(dclass_, out.class_logit.shape(), ctx.device());
    const double l1 = bce_with_logits(ctx, out.real_logit, column(std::vector<float>(size_t(b), 1.0f), ctx.device()),
                                      Tensor(), &dreal_);
    const double l2 = bce_with_logits(ctx, out.class_logit, column(fake_class_f, ctx.device()), Tensor(), &dclass_);
    scale(ctx, dclass_, float(config_.aux_weight));
    gen_.backward(ctx, disc_.backward(ctx, dreal_, dclass_));
    adam_g_.step(ctx, gen_.parameters(), gen_.gradients());
    g_loss += (l1 + config_.aux_weight * l2) / double(config_.generator_steps);
  }
  values.add("d_loss", (lr + lf) / 2);
  values.add("g_loss", g_loss);
}

void LaganTask::end_epoch(Context& ctx, int64_t, EpochValues& values) {
  const int64_t pixels = 25 * 25;
  double w1 = 0;
  for (int cls = 0; cls < 2; ++cls) {
    const Tensor images = sample_lagan(ctx, gen_, std::min<int64_t>(1000, int64_t(real_sum_[cls].size()) + 1), cls);
    std::vector<double> sums;
    for (int64_t i = 0; i < images.dim(0); ++i) {
      double s = 0;
      for (int64_t p = 0; p < pixels; ++p) s += images.data()[i * pixels + p];
      sums.push_back(s);
    }
    w1 += real_sum_[cls].empty() ? 0.0 : normalised_wasserstein_1d(real_sum_[cls], sums) / 2;
  }
  values = {{"d_loss", value_of(values, "d_loss")},
            {"g_loss", value_of(values, "g_loss")},
            {"aux_accuracy", correct_ / double(std::max<int64_t>(steps_, 1) * config_.batch_size)},
            {"intensity_w1", w1}};
}

LoopResult train_lagan(Context& ctx, LaganGenerator& gen, LaganDiscriminator& disc, const ImagesDataset& data,
                       const LaganConfig& config, const LoopOptions& options) {
  LaganTask task(ctx, gen, disc, data, config);
  LoopConfig loop;
  loop.epochs = config.epochs;
  loop.seed = config.seed;
  LoopOptions with_files = options;
  with_files.run_files = kLaganRunFiles;
  return run_training(ctx, task, loop, with_files);
}

}  // namespace jetimg
