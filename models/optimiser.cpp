#include "models/optimiser.h"

#include "core/error.h"
#include "core/train_ops.h"

namespace jetimg {
namespace {

// Makes one zeroed state tensor per parameter on the first call; checks the
// parameters still match afterwards.
void ensure_state(std::vector<Tensor>& state, const std::vector<NamedTensor>& parameters,
                  const std::vector<NamedTensor>& gradients, const char* optimiser) {
  if (parameters.size() != gradients.size())
    fail(optimiser, ": ", parameters.size(), " parameters but ", gradients.size(), " gradients");
  if (state.empty())
    for (const NamedTensor& p : parameters) state.push_back(Tensor::zeros(p.tensor->shape(), p.tensor->device()));
  if (state.size() != parameters.size())
    fail(optimiser, ": made for ", state.size(), " parameters, now given ", parameters.size());
  for (size_t i = 0; i < parameters.size(); ++i)
    if (state[i].shape() != parameters[i].tensor->shape())
      fail(optimiser, ": parameter '", parameters[i].name, "' changed shape to ", parameters[i].tensor->shape().str());
}

}  // namespace

void Sgd::step(Context& ctx, const std::vector<NamedTensor>& parameters, const std::vector<NamedTensor>& gradients) {
  ensure_state(velocity_, parameters, gradients, "sgd");
  for (size_t i = 0; i < parameters.size(); ++i)
    sgd_momentum_step(ctx, *parameters[i].tensor, *gradients[i].tensor, velocity_[i], lr_, momentum_);
}

void Adam::step(Context& ctx, const std::vector<NamedTensor>& parameters, const std::vector<NamedTensor>& gradients) {
  ensure_state(m_, parameters, gradients, "adam");
  ensure_state(v_, parameters, gradients, "adam");
  ++step_;
  for (size_t i = 0; i < parameters.size(); ++i)
    adam_step(ctx, *parameters[i].tensor, *gradients[i].tensor, m_[i], v_[i], lr_, beta1_, beta2_, eps_, 0.0f, step_);
}

}  // namespace jetimg
