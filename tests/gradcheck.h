// Central-difference gradient checks, in float.
//
// A layer (or any differentiable op) becomes a scalar function through a fixed
// random projection, L = Σ r ⊙ y; its analytic gradient with respect to an
// input or parameter θ is then what backward returns for dy = r. The check
// compares the directional derivative along a random direction v,
//   numeric  = (L(θ + h·v) - L(θ - h·v)) / 2h      (L accumulated in double)
//   analytic = <∂L/∂θ, v>
// by their relative difference. Errors: O(h²) from the truncation, O(ε·|L|/h)
// from float rounding; h = 1e-3 with v ~ N(0, 1) keeps both near 1e-5 for the
// small sizes the tests use. Kinks (ReLU at 0, maxout ties) give wrong
// numbers when a ±h step crosses one, so tests keep their inputs away from
// kinks (ReLU inputs outside ±0.05, maxout pieces separated by more than the
// step can move them) and say so.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "core/context.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "models/layer.h"
#include "models/model.h"
#include "models/sequential.h"
#include "tests/testing.h"

namespace jetimg::testing {

// Σ r ⊙ y in double, on CPU copies.
inline double project(const Tensor& y, const Tensor& r) {
  const std::vector<float> yv = y.to_vector(), rv = r.to_vector();
  double acc = 0.0;
  for (size_t i = 0; i < yv.size(); ++i) acc += static_cast<double>(yv[i]) * rv[i];
  return acc;
}

struct GradCheck {
  double analytic = 0, numeric = 0;
  double relative_error() const {
    return std::abs(analytic - numeric) / std::max({std::abs(analytic), std::abs(numeric), 1e-4});
  }
  std::string str() const {
    std::ostringstream s;
    s << "analytic " << analytic << ", numeric " << numeric << ", relative error " << relative_error();
    return s.str();
  }
};

// `loss` recomputes L from the current contents of `at` (a CPU tensor, which
// is perturbed in place and restored); `grad` is ∂L/∂at. The direction comes
// from `seed`.
inline GradCheck directional_check(const std::function<double()>& loss, Tensor& at, const Tensor& grad,
                                   uint64_t seed, float h = 1e-3f) {
  Context rng(Device::cpu(), seed);
  Tensor v = Tensor::empty(at.shape());
  random_normal(rng, v, 0.0f, 1.0f);
  const Tensor original = at.clone();
  Context cpu(Device::cpu(), 0);
  GradCheck result;
  result.analytic = project(grad, v);
  axpy(cpu, h, v, at);
  const double plus = loss();
  at.copy_from(original);
  axpy(cpu, -h, v, at);
  const double minus = loss();
  at.copy_from(original);
  result.numeric = (plus - minus) / (2.0 * h);
  return result;
}

// Checks a layer's backward against central differences of
// L = Σ r ⊙ layer(x) with respect to x and to each parameter, at the given x
// (a CPU tensor; the layer runs on the CPU). Returns one check per tensor,
// named "x" or by the parameter's name.
inline std::vector<std::pair<std::string, GradCheck>> check_layer_gradients(Layer& layer, Tensor x, uint64_t seed) {
  Context ctx(Device::cpu(), seed);
  Tensor y = layer.forward(ctx, x);
  Tensor r = Tensor::empty(y.shape());
  random_normal(ctx, r, 0.0f, 1.0f);
  const Tensor dx = layer.backward(ctx, r).clone();
  std::vector<Tensor> grads;
  for (const NamedTensor& g : layer.gradients()) grads.push_back(g.tensor->clone());
  const auto loss = [&] { return project(layer.forward(ctx, x), r); };
  std::vector<std::pair<std::string, GradCheck>> checks;
  checks.emplace_back("x", directional_check(loss, x, dx, seed + 1));
  const std::vector<NamedTensor> params = layer.parameters();
  for (size_t i = 0; i < params.size(); ++i)
    checks.emplace_back(params[i].name, directional_check(loss, *params[i].tensor, grads[i], seed + 2 + i));
  return checks;
}

// Every check of check_layer_gradients below `tolerance` (relative error).
inline void expect_gradients_match(Layer& layer, const Tensor& x, uint64_t seed, double tolerance = 2e-3) {
  for (const auto& [name, check] : check_layer_gradients(layer, x, seed))
    EXPECT_LT(check.relative_error(), tolerance) << layer.type() << " d/d" << name << ": " << check.str();
}

// For a whole network: every check within `tolerance` relative error, or —
// for gradients that are zero up to float rounding (a bias in front of batch
// normalisation), where the rounding of the loss dominates the central
// difference — within 2e-3 of the largest gradient checked in the network.
inline void expect_network_gradients_match(const std::vector<std::pair<std::string, GradCheck>>& checks,
                                           double tolerance) {
  double largest = 0;
  for (const auto& [name, c] : checks) largest = std::max({largest, std::abs(c.analytic), std::abs(c.numeric)});
  for (const auto& [name, c] : checks)
    EXPECT_TRUE(c.relative_error() < tolerance || std::abs(c.analytic - c.numeric) < 2e-3 * largest)
        << "d/d" << name << ": " << c.str() << " (largest gradient " << largest << ")";
}

// A model's backward against central differences of L = Σ r ⊙ (its output
// `output`) at `inputs` (CPU tensors, perturbed in place and restored), r
// random from `seed`: for the input `differentiable` (none if "") and every
// parameter, through expect_network_gradients_match. Step h as
// directional_check's.
inline void expect_model_gradients_match(Model& model, TensorMap inputs, const std::string& output,
                                         const std::string& differentiable, uint64_t seed, double tolerance,
                                         float h = 1e-3f) {
  Context ctx(Device::cpu(), seed);
  model.set_input_gradients(!differentiable.empty());
  const Tensor out = model.forward(ctx, inputs).at(output);
  Tensor r = Tensor::empty(out.shape());
  random_normal(ctx, r, 0.0f, 1.0f);
  const TensorMap& din = model.backward(ctx, {{output, r}});
  const Tensor dx = differentiable.empty() ? Tensor() : din.at(differentiable).clone();
  std::vector<Tensor> grads;
  for (const NamedTensor& g : model.gradients()) grads.push_back(g.tensor->clone());
  const auto loss = [&] { return project(model.forward(ctx, inputs).at(output), r); };
  std::vector<std::pair<std::string, GradCheck>> checks;
  if (!differentiable.empty())
    checks.emplace_back(differentiable, directional_check(loss, inputs.at(differentiable), dx, seed + 1, h));
  const std::vector<NamedTensor> params = model.parameters();
  for (size_t i = 0; i < params.size(); ++i)
    checks.emplace_back(params[i].name, directional_check(loss, *params[i].tensor, grads[i], seed + 2 + i, h));
  expect_network_gradients_match(checks, tolerance);
}

// The same model on the CPU (`ref`) and on another device (`got`, given ref's
// parameters here): the output `output` of a forward at `inputs` (CPU
// tensors), the gradient of input `differentiable` and every parameter's
// gradient for dy agree within atol + rtol·|ref| (the parameters' gradients
// within param_atol + rtol·|ref|; param_atol < 0: atol).
inline void expect_model_matches_cpu(Model& ref, Context& cpu, Model& got, Context& dev, const TensorMap& inputs,
                                     const std::string& output, const std::string& differentiable, const Tensor& dy,
                                     double atol, double rtol, double param_atol = -1) {
  const std::vector<NamedTensor> a = ref.parameters(), b = got.parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) b[i].tensor->copy_from(*a[i].tensor);
  ref.set_input_gradients(true), got.set_input_gradients(true);
  TensorMap on;
  for (const auto& [name, t] : inputs) on[name] = t.to(dev.device());
  EXPECT_TRUE(all_close(got.forward(dev, on).at(output), ref.forward(cpu, inputs).at(output), atol, rtol)) << output;
  EXPECT_TRUE(all_close(got.backward(dev, {{output, dy.to(dev.device())}}).at(differentiable),
                        ref.backward(cpu, {{output, dy}}).at(differentiable), atol, rtol))
      << differentiable;
  const std::vector<NamedTensor> ga = ref.gradients(), gb = got.gradients();
  for (size_t i = 0; i < ga.size(); ++i)
    EXPECT_TRUE(all_close(*gb[i].tensor, *ga[i].tensor, param_atol < 0 ? atol : param_atol, rtol)) << ga[i].name;
}

// A whole network as one layer, so the layer gradient check runs through the
// stack (dx and every parameter of every layer).
class NetworkAsLayer : public Layer {
 public:
  explicit NetworkAsLayer(Sequential& net) : net_(net) {}
  std::string type() const override { return "network"; }
  Tensor forward(Context& ctx, const Tensor& x) override { return net_.forward(ctx, x); }
  Tensor backward(Context& ctx, const Tensor& dy) override { return net_.backward(ctx, dy); }
  std::vector<NamedTensor> parameters() override { return net_.parameters(); }
  std::vector<NamedTensor> gradients() override { return net_.gradients(); }
  Json config() const override { return net_.layer_configs(); }

 private:
  Sequential& net_;
};

}  // namespace jetimg::testing
