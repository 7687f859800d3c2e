#include "models/optimiser.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/train_ops.h"

namespace jetimg {

// --- Optimiser -------------------------------------------------------------------

void Optimiser::ensure_state(const std::vector<NamedTensor>& parameters) {
  const size_t slots = slot_names().size();
  if (slots_.empty()) {
    slots_.resize(slots);
    for (auto& slot : slots_)
      for (const NamedTensor& p : parameters) slot.push_back(Tensor::zeros(p.tensor->shape(), p.tensor->device()));
  }
  if (slots_[0].size() != parameters.size())
    fail("optimiser: made for ", slots_[0].size(), " parameters, now given ", parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i)
    if (slots_[0][i].shape() != parameters[i].tensor->shape())
      fail("optimiser: parameter '", parameters[i].name, "' has shape ", parameters[i].tensor->shape().str(),
           " but its state ", slots_[0][i].shape().str());
}

void Optimiser::step(Context& ctx, const std::vector<NamedTensor>& parameters,
                     const std::vector<NamedTensor>& gradients) {
  if (parameters.size() != gradients.size())
    fail("optimiser: ", parameters.size(), " parameters but ", gradients.size(), " gradients");
  ensure_state(parameters);
  ++steps_;
  std::vector<Tensor*> state(slots_.size());
  for (size_t i = 0; i < parameters.size(); ++i) {
    for (size_t k = 0; k < slots_.size(); ++k) state[k] = &slots_[k][i];
    update(ctx, *parameters[i].tensor, *gradients[i].tensor, state);
  }
}

std::vector<NamedTensor> Optimiser::state(const std::vector<NamedTensor>& parameters) {
  ensure_state(parameters);
  const std::vector<std::string> names = slot_names();
  std::vector<NamedTensor> all;
  for (size_t i = 0; i < parameters.size(); ++i)
    for (size_t k = 0; k < slots_.size(); ++k) all.push_back({parameters[i].name + "." + names[k], &slots_[k][i]});
  return all;
}

// --- SGD and Adam ----------------------------------------------------------------

Sgd::Sgd(float lr, float momentum) : Optimiser(lr), momentum_(momentum) {
  if (!(momentum >= 0 && momentum < 1)) fail("sgd: 'momentum' must be in [0, 1), got ", momentum);
}

Json Sgd::config() const { return {{"type", "sgd"}, {"momentum", config_number(momentum_)}}; }

void Sgd::update(Context& ctx, Tensor& param, const Tensor& grad, const std::vector<Tensor*>& slots) {
  sgd_momentum_step(ctx, param, grad, *slots[0], lr(), momentum_);
}

Adam::Adam(float lr, float beta1, float beta2, float eps, float weight_decay)
    : Optimiser(lr), beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay) {
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weight_decay >= 0))
    fail("adam: need beta1 and beta2 in [0, 1), eps > 0 and weight_decay >= 0; got beta1 ", beta1, ", beta2 ", beta2,
         ", eps ", eps, ", weight_decay ", weight_decay);
}

Json Adam::config() const {
  Json c = {{"type", weight_decay_ > 0 ? "adamw" : "adam"},
            {"beta1", config_number(beta1_)},
            {"beta2", config_number(beta2_)},
            {"eps", config_number(eps_)}};
  if (weight_decay_ > 0) c["weight_decay"] = config_number(weight_decay_);
  return c;
}

void Adam::update(Context& ctx, Tensor& param, const Tensor& grad, const std::vector<Tensor*>& slots) {
  adam_step(ctx, param, grad, *slots[0], *slots[1], lr(), beta1_, beta2_, eps_, weight_decay_, steps());
}

std::unique_ptr<Optimiser> make_optimiser(const Json& config, float lr, const std::string& file,
                                          const std::string& path) {
  ConfigSection s(config, file, path);
  std::string type = "adam";
  s.optional("type", type);
  const auto where = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (type == "sgd") {
    float momentum = 0.0f;
    s.optional("momentum", momentum);
    s.finish();
    if (!(momentum >= 0 && momentum < 1)) fail(file, ": '", where("momentum"), "' must be in [0, 1), got ", momentum);
    return std::make_unique<Sgd>(lr, momentum);
  }
  if (type == "adam" || type == "adamw") {
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-7f, weight_decay = type == "adamw" ? 0.01f : 0.0f;
    s.optional("beta1", beta1);
    s.optional("beta2", beta2);
    s.optional("eps", eps);
    if (type == "adamw") s.optional("weight_decay", weight_decay);
    s.finish();
    if (!(beta1 >= 0 && beta1 < 1)) fail(file, ": '", where("beta1"), "' must be in [0, 1), got ", beta1);
    if (!(beta2 >= 0 && beta2 < 1)) fail(file, ": '", where("beta2"), "' must be in [0, 1), got ", beta2);
    if (!(eps > 0)) fail(file, ": '", where("eps"), "' must be > 0, got ", eps);
    if (!(weight_decay > 0) && type == "adamw")
      fail(file, ": '", where("weight_decay"), "' must be > 0 for adamw (use adam without decay), got ", weight_decay);
    return std::make_unique<Adam>(lr, beta1, beta2, eps, weight_decay);
  }
  fail(file, ": '", where("type"), "' is '", type, "', not an optimiser (known: sgd, adam, adamw)");
}

// --- schedules and clipping ------------------------------------------------------

double LrSchedule::lr_at(double base_lr, int64_t epoch) const {
  if (type == "exponential") return base_lr * std::pow(decay_rate, static_cast<double>(epoch) / decay_epochs);
  if (type == "step") return base_lr * std::pow(gamma, static_cast<double>(epoch / step_size));
  return base_lr;
}

Json LrSchedule::config() const {
  if (type == "exponential") return {{"type", type}, {"decay_rate", decay_rate}, {"decay_epochs", decay_epochs}};
  if (type == "step") return {{"type", type}, {"gamma", gamma}, {"step_size", step_size}};
  return {{"type", type}};
}

LrSchedule LrSchedule::from_json(const Json& config, const std::string& file, const std::string& path) {
  ConfigSection s(config, file, path);
  LrSchedule schedule;
  s.optional("type", schedule.type);
  const auto where = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (schedule.type == "exponential") {
    s.optional("decay_rate", schedule.decay_rate);
    s.optional("decay_epochs", schedule.decay_epochs);
    if (!(schedule.decay_rate > 0 && schedule.decay_rate <= 1))
      fail(file, ": '", where("decay_rate"), "' must be in (0, 1], got ", schedule.decay_rate);
    if (schedule.decay_epochs < 1) fail(file, ": '", where("decay_epochs"), "' must be at least 1");
  } else if (schedule.type == "step") {
    s.optional("gamma", schedule.gamma);
    s.optional("step_size", schedule.step_size);
    if (!(schedule.gamma > 0 && schedule.gamma <= 1))
      fail(file, ": '", where("gamma"), "' must be in (0, 1], got ", schedule.gamma);
    if (schedule.step_size < 1) fail(file, ": '", where("step_size"), "' must be at least 1");
  } else if (schedule.type != "constant") {
    fail(file, ": '", where("type"), "' is '", schedule.type, "', not a schedule (known: constant, exponential, step)");
  }
  s.finish();
  return schedule;
}

double clip_grad_norm(Context& ctx, const std::vector<NamedTensor>& gradients, double max_norm) {
  std::vector<Tensor*> tensors;
  for (const NamedTensor& g : gradients) tensors.push_back(g.tensor);
  Tensor norm = Tensor::zeros({1}, ctx.device());
  clip_by_global_norm(ctx, tensors, max_norm, LossSlot{&norm, 0, 1.0f});
  return norm.to_vector()[0];
}

}  // namespace jetimg
