#include "models/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "core/train_ops.h"
#include "io/atomic_output.h"
#include "models/checkpoint.h"
#include "io/outputs.h"

namespace jetimg {
namespace {

// Random stream numbers: the validation split and each epoch's shuffle live
// far above the context's streams (initialisation, then dropout masks from
// (epoch + 1)·2^32 on), so no two uses ever share a stream.
constexpr uint64_t kSplitStream = (uint64_t{1} << 48) - 1;
constexpr uint64_t kShuffleStream = uint64_t{1} << 48;
constexpr uint64_t epoch_streams(int64_t epoch) { return static_cast<uint64_t>(epoch + 1) << 32; }

const char* kLosses = "binary_crossentropy, categorical_crossentropy, mse, mae";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The network's input must hold the images as they are; a leading channel
// of 1 may be added or left out ((25, 25) and (1, 25, 25) both fit).
void check_input_fits(const Sequential& net, const LabelledImages& data) {
  const auto squeeze = [](SampleShape s) {
    if (s.size() == 3 && s[0] == 1) s.erase(s.begin());
    return s;
  };
  if (squeeze(net.input_shape()) != squeeze(data.sample_shape))
    fail("the images in '", data.files[0], "' are ", shape_string(data.sample_shape),
         " but the network expects input_shape ", shape_string(net.input_shape()));
}


double loss_of(Context& ctx, const std::string& loss, const Tensor& out, const Tensor& labels, const Tensor& weights,
               Tensor* grad) {
  if (loss == "binary_crossentropy") return bce_with_logits(ctx, out, labels, weights, grad);
  if (loss == "categorical_crossentropy") return categorical_crossentropy_with_logits(ctx, out, labels, weights, grad);
  const Tensor target = labels.view(out.shape());
  if (loss == "mse") return mean_squared_error(ctx, out, target, weights, grad);
  return mean_absolute_error(ctx, out, target, weights, grad);
}

// A batch of images, labels and weights gathered from `order[begin, end)`
// onto the device; a non-finite pixel is an error naming the image.
struct Batch {
  Tensor x, labels, weights;
};

Batch gather(const LabelledImages& data, const std::vector<float>& weights, const std::vector<int64_t>& order,
             int64_t begin, int64_t end, const SampleShape& input, Device device, const std::string& where) {
  const int64_t n = end - begin, floats = data.image_floats;
  std::vector<int64_t> dims{n};
  dims.insert(dims.end(), input.begin(), input.end());
  Tensor x = Tensor::empty(Shape(dims)), labels = Tensor::empty({n}), w;
  if (!weights.empty()) w = Tensor::empty({n});
  for (int64_t b = 0; b < n; ++b) {
    const int64_t i = order[static_cast<size_t>(begin + b)];
    const float* image = data.images.data() + i * floats;
    float* dst = x.data() + b * floats;
    for (int64_t k = 0; k < floats; ++k) {
      if (!std::isfinite(image[k]))
        fail(where, ": ", data.describe(i), " has a non-finite pixel (", image[k], " at index ", k, ")");
      dst[k] = image[k];
    }
    labels.data()[b] = data.labels[static_cast<size_t>(i)];
    if (w.defined()) w.data()[b] = weights[static_cast<size_t>(i)];
  }
  if (device.is_cpu()) return {x, labels, w};
  return {x.to(device), labels.to(device), w.defined() ? w.to(device) : w};
}

std::string batch_where(int64_t epoch, int64_t batch) {
  return "epoch " + std::to_string(epoch) + ", batch " + std::to_string(batch);
}

void write_log(const std::string& path, const std::vector<EpochRecord>& history) {
  AtomicOutput output(path);
  {
    std::ofstream out(output.temp_path());
    out << "epoch,train_loss,val_loss,lr,seconds,images_per_s\n";
    char line[256];
    for (const EpochRecord& r : history) {
      std::snprintf(line, sizeof line, "%lld,%.9g,%.9g,%.9g,%.3f,%.1f\n", static_cast<long long>(r.epoch),
                    r.train_loss, r.val_loss, r.lr, r.seconds, r.images_per_s);
      out << line;
    }
    if (!out.flush()) fail("cannot write '", path, "' (disk full?)");
  }
  output.commit();
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
          {"loss", loss}};
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

Json EpochRecord::to_json() const {
  return {{"epoch", epoch}, {"train_loss", train_loss}, {"val_loss", val_loss}, {"lr", lr},
          {"seconds", seconds}, {"images_per_s", images_per_s}, {"improved", improved}};
}

EpochRecord EpochRecord::from_json(const Json& json) {
  EpochRecord r;
  r.epoch = json.value("epoch", int64_t{0});
  r.train_loss = json.value("train_loss", 0.0);
  r.val_loss = json.value("val_loss", 0.0);
  r.lr = json.value("lr", 0.0);
  r.seconds = json.value("seconds", 0.0);
  r.images_per_s = json.value("images_per_s", 0.0);
  r.improved = json.value("improved", false);
  return r;
}

// --- training ----------------------------------------------------------------------

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

TrainResult train(Context& ctx, Sequential& net, const LabelledImages& data, const TrainConfig& config,
                  const TrainOptions& options) {
  if (data.size() == 0) fail("no images to train on");
  auto optimiser = make_optimiser(config.optimiser, static_cast<float>(config.lr), "training config", "optimiser");
  TrainingState state;
  TrainResult result;
  if (!options.resume.empty()) {
    state = read_training_state(options.resume);
    const std::string was = state.optimiser.is_object() ? state.optimiser.value("type", std::string()) : "";
    const std::string now = optimiser->config()["type"];
    if (was != now)
      fail("'", options.resume, "' was trained with optimiser '", was, "' but the training config asks for '", now,
           "'; resume with the same optimiser type");
    load_checkpoint(options.resume, net, optimiser.get());
    for (const Json& r : state.history) result.history.push_back(EpochRecord::from_json(r));
  }
  state.optimiser = optimiser->config();
  state.train_config = config.to_json();
  check_input_fits(net, data);
  check_loss_fits(net.output_shape(), config.loss, "being trained", "training config");

  // The validation split: the same images for a given seed, resumed or not.
  const std::vector<int64_t> all = seeded_permutation(data.size(), config.seed, kSplitStream);
  const int64_t n_val = std::max<int64_t>(1, std::llround(config.validation_fraction * data.size()));
  if (n_val >= data.size())
    fail("only ", data.size(), " images: too few for a validation fraction of ", config.validation_fraction);
  const std::vector<int64_t> val_images(all.begin(), all.begin() + n_val);
  const std::vector<int64_t> train_images(all.begin() + n_val, all.end());
  const int64_t n_train = static_cast<int64_t>(train_images.size());
  const std::vector<float> weights =
      config.weights == "flat_pt" ? flat_pt_weights(data.pt, data.labels, config.pt_bins) : std::vector<float>{};

  if (!options.output_dir.empty())
    prepare_run_folder(options.output_dir, run_start(options.resume, options.overwrite), kTaggerRunFiles, {});
  const std::string dir = options.output_dir.empty() ? "." : options.output_dir;
  const std::string best_path = dir + "/best.h5", last_path = dir + "/last.h5", log_path = dir + "/log.csv";

  const auto keeps = [&] {
    return state.best_epoch > 0 ? "the best checkpoint so far (epoch " + std::to_string(state.best_epoch) +
                                      ") is kept in '" + best_path + "'"
                                : std::string("no checkpoint was written");
  };

  const SampleShape input = net.input_shape();
  Tensor grad;
  for (int64_t epoch = state.epoch; epoch < config.epochs; ++epoch) {
    if (config.patience > 0 && state.epochs_without_improvement >= config.patience) {
      result.stopped_early = true;
      break;
    }
    const auto start = std::chrono::steady_clock::now();
    const int64_t shown = epoch + 1;
    const double lr = config.schedule.lr_at(config.lr, epoch);
    optimiser->set_lr(static_cast<float>(lr));
    ctx.set_next_random_stream(epoch_streams(epoch));
    std::vector<int64_t> order = seeded_permutation(n_train, config.seed, kShuffleStream + static_cast<uint64_t>(epoch));
    for (int64_t& i : order) i = train_images[static_cast<size_t>(i)];

    net.set_training(true);
    double train_total = 0;
    int64_t batch = 0;
    for (int64_t begin = 0; begin < n_train; begin += config.batch_size, ++batch) {
      const int64_t end = std::min(n_train, begin + config.batch_size);
      const std::string where = batch_where(shown, batch + 1);
      const Batch b = gather(data, weights, order, begin, end, input, ctx.device(), where);
      const Tensor out = net.forward(ctx, b.x);
      ensure_tensor(grad, out.shape(), ctx.device());
      const double loss = loss_of(ctx, config.loss, out, b.labels, b.weights, &grad);
      if (!std::isfinite(loss))
        fail(where, ": the training loss is not finite (", loss, "): the run diverged (try a smaller lr, or clip); ",
             keeps());
      net.backward(ctx, grad);
      const std::vector<NamedTensor> grads = net.gradients();
      if (config.clip > 0) {
        const double norm = clip_grad_norm(ctx, grads, config.clip);
        if (!std::isfinite(norm))
          fail(where, ": the gradient norm is not finite (", norm, "): the run diverged; ", keeps());
      }
      optimiser->step(ctx, net.parameters(), grads);
      train_total += loss * (end - begin);
      if (options.on_batch) options.on_batch(shown, end, n_train, train_total / end);
    }
    const double train_seconds = seconds_since(start);

    net.set_training(false);
    double val_total = 0;
    batch = 0;
    for (int64_t begin = 0; begin < n_val; begin += config.batch_size, ++batch) {
      const int64_t end = std::min(n_val, begin + config.batch_size);
      const std::string where = batch_where(shown, batch + 1) + " of validation";
      const Batch b = gather(data, weights, val_images, begin, end, input, ctx.device(), where);
      const double loss = loss_of(ctx, config.loss, net.forward(ctx, b.x), b.labels, b.weights, nullptr);
      if (!std::isfinite(loss))
        fail(where, ": the validation loss is not finite (", loss, "): the run diverged; ", keeps());
      val_total += loss * (end - begin);
    }

    EpochRecord record;
    record.epoch = shown;
    record.train_loss = train_total / n_train;
    record.val_loss = val_total / n_val;
    record.lr = lr;
    record.images_per_s = n_train / std::max(train_seconds, 1e-9);
    state.epoch = shown;
    state.lr = static_cast<float>(lr);
    state.optimiser_steps = optimiser->steps();
    const bool improved = record.val_loss < state.best_val_loss;
    record.improved = improved;
    if (improved) {
      state.best_val_loss = record.val_loss;
      state.best_epoch = shown;
      state.epochs_without_improvement = 0;
    } else {
      ++state.epochs_without_improvement;
    }
    record.seconds = seconds_since(start);
    result.history.push_back(record);
    state.history.push_back(record.to_json());
    if (improved) save_checkpoint(best_path, net, optimiser.get(), state);
    save_checkpoint(last_path, net, optimiser.get(), state);
    write_log(log_path, result.history);
    if (options.on_epoch) options.on_epoch(record);
  }
  if (config.patience > 0 && state.epochs_without_improvement >= config.patience && state.epoch < config.epochs)
    result.stopped_early = true;
  result.best_epoch = state.best_epoch;
  result.best_val_loss = state.best_val_loss;
  result.best_checkpoint = best_path;
  return result;
}

}  // namespace jetimg
