// TopoDNN (Pearkes, Fedorko, Lister, Gay, "Jet constituents for deep neural
// network based top quark tagging", 2017): a dense network on the leading
// constituents' (pT, η, φ), here relative to the jet: pT/pT_jet, Δη, Δφ.
//
//   {"type": "topodnn", "constituents": 30,
//    "layers": [{"type": "dense", "units": 300, "activation": "relu"}, ..., {"type": "dense", "units": 1}]}
//
// Input "leading" (constituents, 3), zero for a jet with fewer; a jet with
// more is truncated to its leading ones, by definition. "layers" is a
// sequential layer list on the flattened (3·constituents) vector; its
// parameters are "net.<i>.<name>".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/sequential.h"

namespace jetimg {

class TopoDnn : public Model {
 public:
  TopoDnn(Context& ctx, const Json& config, const std::string& file);

  std::string type() const override { return "topodnn"; }
  Json config() const override {
    return {{"type", "topodnn"}, {"constituents", constituents_}, {"layers", net_->layer_configs()}};
  }
  std::vector<TensorSpec> inputs() const override { return {{"leading", {constituents_, 3}}}; }
  std::vector<TensorSpec> outputs() const override { return {{"score", net_->output_shape()}}; }
  const TensorMap& forward(Context& ctx, const TensorMap& inputs) override;
  const TensorMap& backward(Context& ctx, const TensorMap& doutputs) override;
  void set_input_gradients(bool needed) override { net_->set_input_gradient(needed); }
  std::vector<NamedTensor> parameters() override { return parts_.parameters(); }
  std::vector<NamedTensor> gradients() override { return parts_.gradients(); }
  std::vector<NamedTensor> buffers() override { return parts_.buffers(); }
  void set_training(bool training) override { parts_.set_training(training); }
  Sequential& net() { return *net_; }

 private:
  int64_t constituents_ = 30;
  std::unique_ptr<Sequential> net_;
  ModelParts parts_;
  TensorMap result_, dinputs_;
};

}  // namespace jetimg
