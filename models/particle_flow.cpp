#include "models/particle_flow.h"

#include "core/error.h"
#include "core/particle_ops.h"

namespace jetimg {
const char* pool_mode_name(PoolMode mode) {
  return mode == PoolMode::Sum ? "sum" : mode == PoolMode::Mean ? "mean" : "max";
}

ParticleFlowNetwork::ParticleFlowNetwork(Context& ctx, const Json& config, const std::string& file, bool energy_flow)
    : energy_flow_(energy_flow), features_(energy_flow ? 2 : kKinematicFeatures) {
  ConfigSection s(config, file, "");
  std::string type = this->type(), pooling = "sum";
  s.optional("type", type);
  if (!energy_flow) s.optional("features", features_);
  s.optional("pooling", pooling);
  s.accept("phi");
  s.accept("f");
  s.finish();
  if (!energy_flow && features_ != kKinematicFeatures && features_ != kIdentityFeatures)
    fail(file, ": 'features' is ", features_, ", expected ", kKinematicFeatures, " (Δη, Δφ, ln pT, ln E, ln pT/pT_jet, "
         "ln E/E_jet, ΔR) or ", kIdentityFeatures, " (those, the charge and five particle classes)");
  if (pooling == "sum") pooling_ = PoolMode::Sum;
  else if (pooling == "mean") pooling_ = PoolMode::Mean;
  else if (pooling == "max") pooling_ = PoolMode::Max;
  else fail(file, ": 'pooling' is '", pooling, "', expected sum, mean or max");
  if (energy_flow && pooling_ != PoolMode::Sum)
    fail(file, ": an EFN sums its particles weighted by their pT fractions; 'pooling' must be sum, got '", pooling, "'");
  for (const char* key : {"phi", "f"})
    if (!config.contains(key))
      fail(file, ": '", key, "' is missing (a list of layers: the ", key[0] == 'p' ? "per-particle network Φ" : "network F on the sum", ")");
  phi_ = std::make_unique<Sequential>(ctx, config["phi"], SampleShape{features_}, file + ": 'phi'");
  if (phi_->output_shape().size() != 1)
    fail(file, ": 'phi' must give each particle a vector, but its output is ", shape_string(phi_->output_shape()));
  f_ = std::make_unique<Sequential>(ctx, config["f"], phi_->output_shape(), file + ": 'f'");
  parts_.add("phi.", *phi_);
  parts_.add("f.", *f_);
}

Json ParticleFlowNetwork::config() const {
  Json c = {{"type", type()}, {"pooling", pool_mode_name(pooling_)}, {"phi", phi_->layer_configs()},
            {"f", f_->layer_configs()}};
  if (!energy_flow_) c["features"] = features_;
  return c;
}

std::vector<TensorSpec> ParticleFlowNetwork::inputs() const {
  if (energy_flow_) return {{"coords", {-1, 2}}, {"pt_frac", {-1}}, {"mask", {-1}}};
  return {{"features", {-1, features_}}, {"mask", {-1}}};
}

const TensorMap& ParticleFlowNetwork::forward(Context& ctx, const TensorMap& inputs) {
  const std::string name = type();
  const Tensor& x = model_input(inputs, energy_flow_ ? "coords" : "features", name);
  mask_ = model_input(inputs, "mask", name);
  weights_ = energy_flow_ ? model_input(inputs, "pt_frac", name) : Tensor();
  if (x.ndim() != 3 || x.dim(2) != features_ || x.dim(1) < 1)
    fail(name, ": expected ", energy_flow_ ? "coords" : "features", " (N, M, ", features_, ") with M >= 1, got ",
         x.shape().str());
  n_ = x.dim(0), m_ = x.dim(1);
  const Tensor per_particle = phi_->forward(ctx, x.view({n_ * m_, features_}));
  const int64_t latent = per_particle.dim(1);
  particle_pool_forward(ctx, pooling_, per_particle.view({n_, m_, latent}), mask_, weights_, pooled_, winner_);
  outputs_["score"] = f_->forward(ctx, pooled_);
  return outputs_;
}

const TensorMap& ParticleFlowNetwork::backward(Context& ctx, const TensorMap& doutputs) {
  const Tensor dpooled = f_->backward(ctx, output_gradient(doutputs, "score", type()));
  particle_pool_backward(ctx, pooling_, dpooled, mask_, weights_, winner_, dparticles_);
  const Tensor dx = phi_->backward(ctx, dparticles_.view({n_ * m_, dpooled.dim(1)}));
  dinputs_.clear();
  if (dx.defined()) dinputs_[energy_flow_ ? "coords" : "features"] = dx.view({n_, m_, features_});
  return dinputs_;
}

}  // namespace jetimg
