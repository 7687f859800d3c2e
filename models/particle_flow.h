// Particle and energy flow networks (Komiske, Metodiev, Thaler, "Energy flow
// networks: deep sets for particle jets", 2019): a per-particle network Φ
// applied to every particle of a jet, a sum over the jet's particles, and a
// network F on the sum:
//
//   PFN: F(Σ_i Φ(p_i))          over the real particles i (the mask)
//   EFN: F(Σ_i z_i Φ(Δη_i, Δφ_i)) z_i = pT_i / Σ_j pT_j: infrared and collinear safe
//
//   {"type": "pfn", "features": 7, "pooling": "sum",
//    "phi": [{"type": "dense", "units": 100, "activation": "relu"}, ...],
//    "f":   [{"type": "dense", "units": 100, "activation": "relu"}, ..., {"type": "dense", "units": 1}]}
//
// "phi" and "f" are layer lists as a sequential network's (models/sequential.h);
// Φ sees one particle's features (F) and runs on all N·M particles of a batch
// at once, so its layers must keep a particle a vector (dense, activations,
// dropout, batch normalisation over particles). "features" is 7 (kinematic)
// or 13 (with particle identities), as core/particle_math.h numbers them;
// "pooling" is "sum" (the papers'), "mean" or "max" (PFN only). An EFN reads
// the coordinates (2) and the pT fractions instead of the features.
//
// Inputs: PFN "features" (M, F) and "mask" (M); EFN "coords" (M, 2),
// "pt_frac" (M) and "mask" (M), with M any number of particles (written -1
// in the input specs). Output "score": F's output. Parameters "phi.<i>.<name>"
// and "f.<i>.<name>", as the two sequential networks name theirs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/particle_math.h"
#include "models/model.h"
#include "models/sequential.h"

namespace jetimg {

class ParticleFlowNetwork : public Model {
 public:
  // `energy_flow`: an EFN (type "efn"), else a PFN (type "pfn").
  ParticleFlowNetwork(Context& ctx, const Json& config, const std::string& file, bool energy_flow);

  std::string type() const override { return energy_flow_ ? "efn" : "pfn"; }
  Json config() const override;
  std::vector<TensorSpec> inputs() const override;
  std::vector<TensorSpec> outputs() const override { return {{"score", f_->output_shape()}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  void set_input_gradients(bool needed) override { phi_->set_input_gradient(needed); }
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }

  Sequential& phi() { return *phi_; }
  Sequential& f() { return *f_; }
  PoolMode pooling() const { return pooling_; }

 private:
  bool energy_flow_;
  int64_t features_;
  PoolMode pooling_ = PoolMode::Sum;
  std::unique_ptr<Sequential> phi_, f_;
  ModelParts parts_;
  Tensor mask_, weights_, winner_, pooled_, dparticles_;
  int64_t n_ = 0, m_ = 0;
  TensorMap outputs_, dinputs_;
};

// "sum", "mean", "max".
const char* pool_mode_name(PoolMode mode);

}  // namespace jetimg
