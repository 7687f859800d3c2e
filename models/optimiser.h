// Optimisers: own their per-parameter state and update parameters in place
// from their gradients (core/train_ops.h does the element math). The state is
// made on the first step (or the first call to state(), so a checkpoint can
// be loaded into a fresh optimiser), matched to parameters by position, so a
// network's parameter list must not change between steps.
//
// Also here: learning-rate schedules over epochs and clipping by global norm.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/layer.h"

namespace jetimg {

class Optimiser {
 public:
  explicit Optimiser(float lr) : lr_(lr) {}
  virtual ~Optimiser() = default;
  // One update of every parameter from its gradient.
  void step(Context& ctx, const std::vector<NamedTensor>& parameters, const std::vector<NamedTensor>& gradients);
  // {"type": ..., hyper-parameters} complete with defaults; the learning rate
  // is not part of it (the schedule owns it).
  virtual Json config() const = 0;

  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  // Updates made so far (Adam's bias correction depends on it).
  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }
  // The per-parameter state, named "<parameter>.<slot>" (slots: "velocity"
  // for SGD, "m" and "v" for Adam), made as zeros if there is none yet.
  std::vector<NamedTensor> state(const std::vector<NamedTensor>& parameters);

 protected:
  virtual std::vector<std::string> slot_names() const = 0;
  // One parameter's update; `slots` holds its state in slot_names() order.
  virtual void update(Context& ctx, Tensor& param, const Tensor& grad, const std::vector<Tensor*>& slots) = 0;

 private:
  void ensure_state(const std::vector<NamedTensor>& parameters);
  float lr_;
  int64_t steps_ = 0;
  std::vector<std::vector<Tensor>> slots_;  // [slot][parameter]
};

// v ← μ·v + g; p ← p - lr·v (PyTorch's SGD; momentum 0 is plain SGD).
class Sgd : public Optimiser {
 public:
  explicit Sgd(float lr, float momentum = 0.0f);
  Json config() const override;

 protected:
  std::vector<std::string> slot_names() const override { return {"velocity"}; }
  void update(Context& ctx, Tensor& param, const Tensor& grad, const std::vector<Tensor*>& slots) override;

 private:
  float momentum_;
};

// Adam with bias correction (Kingma & Ba; Keras' defaults). weight_decay > 0
// makes it AdamW (decoupled decay, as PyTorch's AdamW; type "adamw").
class Adam : public Optimiser {
 public:
  explicit Adam(float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-7f,
                float weight_decay = 0.0f);
  Json config() const override;

 protected:
  std::vector<std::string> slot_names() const override { return {"m", "v"}; }
  void update(Context& ctx, Tensor& param, const Tensor& grad, const std::vector<Tensor*>& slots) override;

 private:
  float beta1_, beta2_, eps_, weight_decay_;
};

// From a config {"type": "sgd" | "adam" | "adamw", ...}; `file` and `path`
// name it in errors. Keys (defaults in brackets):
//   sgd    momentum [0]
//   adam   beta1 [0.9], beta2 [0.999], eps [1e-7]
//   adamw  beta1 [0.9], beta2 [0.999], eps [1e-7], weight_decay [0.01]
std::unique_ptr<Optimiser> make_optimiser(const Json& config, float lr, const std::string& file,
                                          const std::string& path);

// The learning rate for each epoch (counted from 0):
//   constant     lr
//   exponential  lr · decay_rate^(epoch / decay_epochs)   (smooth, per epoch)
//   step         lr · gamma^floor(epoch / step_size)
struct LrSchedule {
  std::string type = "constant";
  double decay_rate = 0.96;
  int64_t decay_epochs = 1;
  double gamma = 0.1;
  int64_t step_size = 10;

  double lr_at(double base_lr, int64_t epoch) const;
  Json config() const;
  static LrSchedule from_json(const Json& config, const std::string& file, const std::string& path);
};

// Scales all gradients together so that their global L2 norm is at most
// max_norm (PyTorch's clip_grad_norm_); returns the norm before clipping
// (non-finite if a gradient is).
double clip_grad_norm(Context& ctx, const std::vector<NamedTensor>& gradients, double max_norm);

}  // namespace jetimg
