#include "models/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/sampling.h"
#include "core/train_ops.h"
#include "io/outputs.h"
#include "models/layer_registry.h"

namespace jetimg {
namespace {

// Random stream numbers: the validation split and each epoch's shuffle live
// far above the context's streams (initialisation, then dropout masks from
// (epoch + 1)·2^32 on), so no two uses ever share a stream.
constexpr uint64_t kSplitStream = (uint64_t{1} << 48) - 1;
constexpr uint64_t kShuffleStream = uint64_t{1} << 48;

const char* kLosses = "binary_crossentropy, categorical_crossentropy, mse, mae";


// The batch's loss added to `slot` on the device (nothing is read back).
void loss_into(Context& ctx, const std::string& loss, const Tensor& out, const Tensor& labels, const Tensor& weights,
               Tensor* grad, const LossSlot& slot) {
  if (loss == "binary_crossentropy") return bce_with_logits(ctx, out, labels, weights, grad, slot);
  if (loss == "categorical_crossentropy")
    return categorical_crossentropy_with_logits(ctx, out, labels, weights, grad, slot);
  const Tensor target = labels.view(out.shape());
  if (loss == "mse") return mean_squared_error(ctx, out, target, weights, grad, slot);
  mean_absolute_error(ctx, out, target, weights, grad, slot);
}

}  // namespace

// --- configs -----------------------------------------------------------------------

Json TrainConfig::to_json() const {
  auto opt = make_optimiser(optimiser, static_cast<float>(lr), "train config", "optimiser");
  return {{"epochs", epochs},
          {"batch_size", batch_size},
          {"lr", lr},
          {"optimiser", opt->config()},
          {"schedule", schedule.config()},
          {"clip", clip},
          {"validation_fraction", validation_fraction},
          {"patience", patience},
          {"seed", seed},
          {"weights", weights},
          {"pt_bins", pt_bins},
          {"loss", loss},
          {"shuffle_buffer_mb", shuffle_buffer_mb}};
}

TrainConfig TrainConfig::from_json(const Json& json, const std::string& file) {
  TrainConfig c;
  ConfigSection s(json, file, "");
  s.optional("epochs", c.epochs);
  s.optional("batch_size", c.batch_size);
  s.optional("lr", c.lr);
  s.accept("optimiser");
  if (json.is_object() && json.contains("optimiser")) c.optimiser = json["optimiser"];
  s.accept("schedule");
  if (json.is_object() && json.contains("schedule")) c.schedule = LrSchedule::from_json(json["schedule"], file, "schedule");
  s.optional("clip", c.clip);
  s.optional("validation_fraction", c.validation_fraction);
  s.optional("patience", c.patience);
  s.optional("seed", c.seed);
  s.optional("weights", c.weights);
  s.optional("pt_bins", c.pt_bins);
  s.optional("loss", c.loss);
  s.optional("shuffle_buffer_mb", c.shuffle_buffer_mb, int64_t{1}, int64_t{1} << 20);
  s.finish();
  if (c.epochs < 1 || c.epochs > kMaxEpochs) fail(file, ": 'epochs' must be in [1, ", kMaxEpochs, "], got ", c.epochs);
  if (c.batch_size < 1 || c.batch_size > kMaxBatch)
    fail(file, ": 'batch_size' must be in [1, ", kMaxBatch, "], got ", c.batch_size);
  if (!(c.lr > 0) || !std::isfinite(c.lr)) fail(file, ": 'lr' must be a positive number, got ", c.lr);
  if (!(c.clip >= 0) || std::isinf(c.clip)) fail(file, ": 'clip' must be a number >= 0 (0: no clipping), got ", c.clip);
  if (!(c.validation_fraction > 0 && c.validation_fraction < 1))
    fail(file, ": 'validation_fraction' must be in (0, 1), got ", c.validation_fraction);
  if (c.patience < 0) fail(file, ": 'patience' must be >= 0 (0: never stop early), got ", c.patience);
  if (c.weights != "none" && c.weights != "flat_pt")
    fail(file, ": 'weights' is '", c.weights, "', expected none or flat_pt");
  if (c.pt_bins < 1 || c.pt_bins > 10000) fail(file, ": 'pt_bins' must be in [1, 10000], got ", c.pt_bins);
  if (c.loss != "binary_crossentropy" && c.loss != "categorical_crossentropy" && c.loss != "mse" && c.loss != "mae")
    fail(file, ": 'loss' is '", c.loss, "', not a loss (known: ", kLosses, ")");
  make_optimiser(c.optimiser, static_cast<float>(c.lr), file, "optimiser");  // checks the optimiser's keys
  return c;
}

TrainConfig load_train_config(const std::string& path) { return TrainConfig::from_json(load_json_file(path), path); }

// --- training ----------------------------------------------------------------------

void check_final_activation(const Json& model_config, const std::string& loss, const std::string& network) {
  const Json last = final_layer(model_config);
  if (!last.is_object()) return;
  const std::string type = last.value("type", std::string()), activation = last.value("activation", std::string());
  if (loss == "binary_crossentropy" && (type == "sigmoid" || activation == "sigmoid"))
    fail("the network ", network, " ends in a sigmoid, but the loss 'binary_crossentropy' takes the logit: jetimg "
         "applies the sigmoid itself (in the loss, and in predict's scores); remove the final sigmoid");
  if (loss == "categorical_crossentropy" && type == "softmax")
    fail("the network ", network, " ends in a softmax, but the loss 'categorical_crossentropy' takes the logits: "
         "jetimg applies the softmax itself (in the loss, and in predict's scores); remove the final softmax");
}

void check_loss_fits(const SampleShape& out, const std::string& loss, const std::string& network,
                     const std::string& config) {
  if (loss == "categorical_crossentropy") {
    if (out.size() != 1 || out[0] < 2)
      fail(config, ": loss 'categorical_crossentropy' needs one logit per class (output (C), C >= 2), but the network ",
           network, " gives ", shape_string(out));
  } else if (out != SampleShape{1}) {
    fail(config, ": loss '", loss, "' needs one output per image, but the network ", network, " gives ",
         shape_string(out), (loss == "binary_crossentropy" ? " (end with {\"type\": \"dense\", \"units\": 1})" : ""));
  }
}

const std::vector<std::string> kTaggerRunFiles = {"best.h5", "last.h5", "log.csv"};

bool is_validation_row(uint64_t seed, double fraction, int64_t row) {
  return seeded_uniform(seed, kSplitStream, static_cast<uint64_t>(row)) < fraction;
}

TaggerTask::TaggerTask(Context& ctx, Model& model, const LabelledDataset& data, const TrainConfig& config)
    : model_(model), data_(data), config_(config) {
  if (model.outputs().size() != 1)
    fail("a tagger gives one output; this ", model.type(), " model has ", model.outputs().size(), " outputs");
  output_ = model.outputs()[0].name;
  feed_ = make_tagger_feed(model, data, "being trained");
  check_loss_fits(model.outputs()[0].shape, config.loss, "being trained", "the training config");
  check_final_activation(model.config(), config.loss, "being trained");
  optimiser_ = make_optimiser(config.optimiser, static_cast<float>(config.lr), "training config", "optimiser");
  for (int64_t r = 0; r < data.size(); ++r) (is_validation_row(config.seed, config.validation_fraction, r) ? n_val_ : n_train_)++;
  if (n_val_ == 0 || n_train_ == 0)
    fail("only ", data.size(), " ", data.noun(), "s: too few for a validation fraction of ", config.validation_fraction,
         " (no ", data.noun(), " ", n_val_ == 0 ? "is held out" : "is left for training", ")");
  if (config.weights == "flat_pt") weights_ = flat_pt_weights(data.pt(), data.labels(), config.pt_bins);
  model.set_input_gradients(false);  // the inputs are data
  (void)ctx;
}

void TaggerTask::stage(Context& ctx, const TensorMap& batch, const std::vector<int64_t>& rows) {
  const int64_t n = static_cast<int64_t>(rows.size());
  inputs_ = &feed_->stage(ctx, batch, rows);
  const Tensor labels = batch.at("label").view({n});
  if (ctx.device().is_cpu()) {
    labels_ = labels;
  } else {
    // Queued on the context's stream from the stream's pinned buffers: the host goes on to the next batch.
    ensure_tensor(labels_, labels.shape(), ctx.device()).copy_from_async(ctx, labels);
  }
  batch_weights_ = Tensor();
  if (!weights_.empty()) {
    Tensor w = Tensor::empty_pinned({n});
    for (int64_t i = 0; i < n; ++i) w.data()[i] = weights_[static_cast<size_t>(rows[static_cast<size_t>(i)])];
    if (ctx.device().is_cpu()) {
      batch_weights_ = w;
    } else {
      ensure_tensor(weights_on_device_, w.shape(), ctx.device()).copy_from_async(ctx, w);
      batch_weights_ = weights_on_device_;
    }
  }
}

int64_t TaggerTask::begin_epoch(Context& ctx, int64_t epoch) {
  lr_ = config_.schedule.lr_at(config_.lr, epoch);
  optimiser_->set_lr(static_cast<float>(lr_));
  StreamOptions o;
  o.batch = config_.batch_size;
  o.seed = config_.seed;
  o.stream = kShuffleStream + static_cast<uint64_t>(epoch);
  o.buffer_bytes = config_.shuffle_buffer_mb << 20;
  o.keep = [this](int64_t r) { return !is_validation_row(config_.seed, config_.validation_fraction, r); };
  o.pinned = !ctx.device().is_cpu();
  stream_ = std::make_unique<BatchStream>(data_, o);
  train_seen_ = 0;
  start_ = std::chrono::steady_clock::now();
  return stream_->batches();
}

std::vector<std::string> TaggerTask::device_values() const {
  if (config_.clip > 0) return {"train_loss", "grad_norm"};
  return {"train_loss"};
}

void TaggerTask::step(Context& ctx, int64_t epoch, int64_t step, StepValues& values) {
  if (!stream_->next(batch_, &rows_)) fail("epoch ", epoch + 1, ", step ", step + 1, ": the training ", data_.noun(), "s ran out");
  stage(ctx, batch_, rows_);
  const Tensor out = model_.forward(ctx, *inputs_).at(output_);
  ensure_tensor(grad_, out.shape(), ctx.device());
  loss_into(ctx, config_.loss, out, labels_, batch_weights_, &grad_, values.slot("train_loss"));
  values.set_weight(static_cast<double>(rows_.size()));
  model_.backward(ctx, {{output_, grad_}});
  const std::vector<NamedTensor> grads = model_.gradients();
  if (config_.clip > 0) {
    grad_list_.clear();
    for (const NamedTensor& g : grads) grad_list_.push_back(g.tensor);
    clip_by_global_norm(ctx, grad_list_, config_.clip, values.slot("grad_norm"));
  }
  optimiser_->step(ctx, model_.parameters(), grads);
  train_seen_ += static_cast<int64_t>(rows_.size());
}

void TaggerTask::end_epoch(Context& ctx, int64_t epoch, EpochValues& values) {
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  stream_.reset();  // the training rows' buffer goes before validation reads
  StreamOptions o;
  o.batch = config_.batch_size;
  o.shuffle = false;
  o.keep = [this](int64_t r) { return is_validation_row(config_.seed, config_.validation_fraction, r); };
  o.pinned = !ctx.device().is_cpu();
  BatchStream validation(data_, o);
  // Σ rows · loss over the batches, on the device; read once.
  Tensor val_total = Tensor::zeros({1}, ctx.device());
  int64_t seen = 0;
  while (validation.next(batch_, &rows_)) {
    stage(ctx, batch_, rows_);
    loss_into(ctx, config_.loss, model_.forward(ctx, *inputs_).at(output_), labels_, batch_weights_, nullptr,
              LossSlot{&val_total, 0, static_cast<float>(rows_.size())});
    seen += static_cast<int64_t>(rows_.size());
  }
  const double val_loss = val_total.to_vector()[0] / static_cast<double>(std::max<int64_t>(seen, 1));
  if (!std::isfinite(val_loss))
    fail("epoch ", epoch + 1, ", validation: the loss is not finite (", val_loss, "): the run diverged");
  values = {{"train_loss", value_of(values, "train_loss")},
            {"val_loss", val_loss},
            {"lr", lr_},
            {"images_per_s", static_cast<double>(train_seen_) / std::max(train_seconds, 1e-9)}};
}

LoopResult train_tagger(Context& ctx, Model& model, const LabelledDataset& data, const TrainConfig& config,
                        const LoopOptions& options) {
  TaggerTask task(ctx, model, data, config);
  LoopConfig loop;
  loop.epochs = config.epochs;
  loop.seed = config.seed;
  loop.monitor = "val_loss";
  loop.patience = config.patience;
  LoopOptions with_files = options;
  with_files.run_files = kTaggerRunFiles;
  return run_training(ctx, task, loop, with_files);
}

}  // namespace jetimg
