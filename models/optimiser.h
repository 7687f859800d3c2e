// Optimisers: own their per-parameter state and update parameters in place
// from their gradients (core/train_ops.h does the element math). The state is
// made on the first step, matched to parameters by position, so a network's
// parameter list must not change between steps.
#pragma once

#include <memory>
#include <vector>

#include "models/layer.h"

namespace jetimg {

class Optimiser {
 public:
  virtual ~Optimiser() = default;
  virtual void step(Context& ctx, const std::vector<NamedTensor>& parameters,
                    const std::vector<NamedTensor>& gradients) = 0;
  virtual Json config() const = 0;
};

// v ← μ·v + g; p ← p - lr·v (PyTorch's SGD; momentum 0 is plain SGD).
class Sgd : public Optimiser {
 public:
  explicit Sgd(float lr, float momentum = 0.0f) : lr_(lr), momentum_(momentum) {}
  void step(Context& ctx, const std::vector<NamedTensor>& parameters,
            const std::vector<NamedTensor>& gradients) override;
  Json config() const override { return {{"type", "sgd"}, {"lr", lr_}, {"momentum", momentum_}}; }

 private:
  float lr_, momentum_;
  std::vector<Tensor> velocity_;
};

// Adam with bias correction (Kingma & Ba; Keras' and PyTorch's defaults).
class Adam : public Optimiser {
 public:
  explicit Adam(float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-7f)
      : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps) {}
  void step(Context& ctx, const std::vector<NamedTensor>& parameters,
            const std::vector<NamedTensor>& gradients) override;
  Json config() const override {
    return {{"type", "adam"}, {"lr", lr_}, {"beta1", beta1_}, {"beta2", beta2_}, {"eps", eps_}};
  }
  int64_t steps() const { return step_; }

 private:
  float lr_, beta1_, beta2_, eps_;
  int64_t step_ = 0;
  std::vector<Tensor> m_, v_;
};

}  // namespace jetimg
