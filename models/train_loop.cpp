#include "models/train_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "core/ops.h"
#include "io/atomic_output.h"
#include "io/outputs.h"

namespace jetimg {
namespace {

// The context's random streams of epoch e start at (e + 1) · 2^32: dropout
// masks, noise and label flips of an epoch do not depend on what came before.
constexpr uint64_t epoch_streams(int64_t epoch) { return static_cast<uint64_t>(epoch + 1) << 32; }

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void add(EpochValues& values, const std::string& name, double value) {
  for (auto& [n, v] : values)
    if (n == name) {
      v = value;
      return;
    }
  values.emplace_back(name, value);
}

// "train_loss" -> "train loss", for messages.
std::string spaced(std::string name) {
  for (char& c : name)
    if (c == '_') c = ' ';
  return name;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

void write_log(const std::string& path, const std::vector<std::string>& columns, const Json& history) {
  AtomicOutput output(path);
  {
    std::ofstream out(output.temp_path());
    out << "epoch";
    for (const std::string& c : columns) out << ',' << c;
    out << '\n';
    for (const Json& record : history) {
      out << record.value("epoch", int64_t{0});
      for (const std::string& c : columns) {
        const Json v = record.value(c, Json());
        out << ',' << (v.is_number() ? number(v.get<double>()) : std::string());
      }
      out << '\n';
    }
    if (!out.flush()) fail("cannot write '", path, "' (disk full?)");
  }
  output.commit();
}

}  // namespace

LossSlot StepValues::slot(const std::string& name, float alpha) const {
  if (names_)
    for (size_t k = 0; k < names_->size(); ++k)
      if ((*names_)[k] == name) return LossSlot{buffer_, row_ * static_cast<int64_t>(names_->size()) + static_cast<int64_t>(k), alpha};
  fail("a training step asked for the device value '", name, "', which its task does not declare");
}

double value_of(const EpochValues& values, const std::string& name) {
  for (const auto& [n, v] : values)
    if (n == name) return v;
  fail("training: no value '", name, "' was measured this epoch");
}

LoopResult run_training(Context& ctx, TrainTask& task, const LoopConfig& config, const LoopOptions& options) {
  check_training_math_mode(ctx.math_mode());
  // Checkpoints record the math mode the run trained in.
  Json provenance = options.provenance.is_object() ? options.provenance : Json::object();
  provenance["math"] = math_mode_name(ctx.math_mode());
  if (!options.output_dir.empty())
    prepare_run_folder(options.output_dir, run_start(options.resume, options.overwrite), options.run_files, {});
  const std::vector<CheckpointEntry> entries = task.models();
  LoopResult result;
  TrainState& state = result.state;
  if (!options.resume.empty()) {
    const CheckpointFile checkpoint(options.resume);
    if (checkpoint.kind() != task.kind())
      fail("cannot resume from '", options.resume, "': it is a ", checkpoint.kind(), " checkpoint, and this run trains a ",
           task.kind());
    std::string missing;
    bool optimisers = true;
    for (const CheckpointEntry& e : entries) {
      if (!checkpoint.has(e.role)) missing += (missing.empty() ? "" : " or ") + e.role;
      if (e.optimiser && !checkpoint.has_optimiser(e.role)) optimisers = false;
    }
    if (!optimisers) missing += (missing.empty() ? "" : " or ") + std::string("optimiser state");
    if (!missing.empty())
      fail("cannot resume from '", options.resume, "': it holds no ", missing,
           " (written for inference only, or a generator-only file?); resume from a run's last.h5");
    for (const CheckpointEntry& e : entries) {
      checkpoint.load_into(e.role, *e.model);
      if (e.optimiser) checkpoint.load_optimiser(e.role, *e.optimiser, e.model->parameters());
    }
    state = checkpoint.training();
    if (!state.monitor.empty() && state.monitor != config.monitor) state.best_epoch = 0;  // another measure
  }
  state.seed = config.seed;
  state.monitor = config.monitor;
  state.settings = task.settings();

  const std::string dir = options.output_dir;
  const std::string last_path = dir.empty() ? "" : dir + "/last.h5", best_path = dir.empty() ? "" : dir + "/best.h5";
  result.last_checkpoint = last_path;
  result.best_checkpoint = config.monitor.empty() ? "" : best_path;
  std::string last_good = options.resume;
  const auto keeps = [&] {
    std::string text = last_good.empty() ? std::string("no checkpoint was written")
                                         : "the last good checkpoint is '" + last_good + "'";
    if (!config.monitor.empty() && state.best_epoch > 0 && !dir.empty())
      text += "; the best checkpoint so far (epoch " + std::to_string(state.best_epoch) + ") is kept in '" + best_path + "'";
    return text;
  };

  for (int64_t epoch = state.epoch; epoch < config.epochs; ++epoch) {
    if (config.patience > 0 && state.epochs_without_improvement >= config.patience) {
      result.stopped_early = true;
      break;
    }
    const auto start = std::chrono::steady_clock::now();
    const int64_t shown = epoch + 1;
    ctx.set_next_random_stream(epoch_streams(epoch));
    for (const CheckpointEntry& e : entries) e.model->set_training(true);
    const int64_t steps = task.begin_epoch(ctx, epoch);
    // Step values: the host's kept per step, the device's in `slots` (one
    // row per step), all read and checked every read_every steps.
    const std::vector<std::string> device_names = task.device_values();
    const int64_t width = static_cast<int64_t>(device_names.size());
    const int64_t interval = std::max<int64_t>(1, options.read_every);
    Tensor slots;
    if (width > 0) slots = Tensor::empty({interval, width}, ctx.device());
    std::vector<std::pair<EpochValues, double>> pending;  // host values and weight of each unread step
    EpochValues sums, weights, means;
    const auto read = [&](int64_t last) {
      const std::vector<float> device = width > 0 ? slots.to_vector() : std::vector<float>();
      const int64_t first = last - static_cast<int64_t>(pending.size()) + 1;
      for (size_t i = 0; i < pending.size(); ++i) {
        EpochValues step_values = pending[i].first;
        for (int64_t k = 0; k < width; ++k)
          step_values.emplace_back(device_names[static_cast<size_t>(k)],
                                   device[i * static_cast<size_t>(width) + static_cast<size_t>(k)]);
        const double w = pending[i].second;
        const int64_t step_no = first + static_cast<int64_t>(i) + 1;
        for (const auto& [name, v] : step_values) {
          if (!std::isfinite(v))
            fail("epoch ", shown, ", step ", step_no, ": the ", spaced(name), " is not finite (", v,
                 "): the run diverged (try a smaller learning rate, or clip); ", keeps());
          double total = w * v, weight = w;
          for (const auto& [n, t] : sums)
            if (n == name) total += t;
          for (const auto& [n, t] : weights)
            if (n == name) weight += t;
          add(sums, name, total);
          add(weights, name, weight);
          add(means, name, weight > 0 ? total / weight : 0.0);
        }
        if (options.on_step) options.on_step(shown, step_no, steps, means);
      }
      pending.clear();
    };
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t row = static_cast<int64_t>(pending.size());
      if (row == 0 && width > 0) fill(ctx, slots, 0.0f);
      StepValues values(&slots, row, &device_names);
      task.step(ctx, epoch, s, values);
      pending.emplace_back(values.host_values(), values.weight());
      if (static_cast<int64_t>(pending.size()) == interval || s + 1 == steps) read(s);
    }
    for (const CheckpointEntry& e : entries) e.model->set_training(false);
    EpochValues values = means;
    task.end_epoch(ctx, epoch, values);
    // A weight that turned NaN can hide behind a ReLU; nothing after it must be saved.
    for (const CheckpointEntry& e : entries)
      for (const std::vector<NamedTensor>& list : {e.model->parameters(), e.model->buffers()})
        for (const NamedTensor& t : list)
          for (float v : t.tensor->to_vector())
            if (!std::isfinite(v))
              fail("epoch ", shown, ": the ", e.role, "'s '", t.name, "' holds ", v,
                   " after training: the run diverged (try a smaller learning rate); ", keeps());
    add(values, "seconds", seconds_since(start));
    Json record = {{"epoch", shown}};
    for (const auto& [name, v] : values) record[name] = std::isfinite(v) ? Json(v) : Json();
    bool improved = false;
    if (!config.monitor.empty()) {
      const double measured = value_of(values, config.monitor);
      if (!std::isfinite(measured))
        fail("epoch ", shown, ": the ", config.monitor, " is not finite (", measured, "): the run diverged; ", keeps());
      improved = measured < state.best;
      if (improved) {
        state.best = measured;
        state.best_epoch = shown;
        state.epochs_without_improvement = 0;
      } else {
        ++state.epochs_without_improvement;
      }
      record["improved"] = improved;
    }
    state.epoch = shown;
    state.history.push_back(record);
    ++result.epochs_run;
    if (!dir.empty()) {
      if (improved) save_checkpoint(best_path, task.kind(), entries, state, provenance);
      save_checkpoint(last_path, task.kind(), entries, state, provenance);
      last_good = last_path;
      std::vector<std::string> columns = task.columns();
      write_log(dir + "/log.csv", columns, state.history);
    }
    task.after_checkpoints(shown, dir, state);
    if (options.on_epoch) options.on_epoch(shown, values, improved);
  }
  if (config.patience > 0 && state.epochs_without_improvement >= config.patience && state.epoch < config.epochs)
    result.stopped_early = true;
  return result;
}

}  // namespace jetimg
