// Optimisers over a list of named parameters: updates by hand, state kept per
// parameter, and a clear error when the parameter list changes.
#include <cmath>

#include "core/error.h"
#include "models/optimiser.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

TEST(Optimiser, SgdMomentumUpdatesEveryParameterByHand) {
  Context ctx(Device::cpu(), 0);
  Tensor a = Tensor::from_vector({1, 2}, {2}), b = Tensor::from_vector({-1}, {1});
  Tensor ga = Tensor::from_vector({0.5f, -0.5f}, {2}), gb = Tensor::from_vector({2}, {1});
  Sgd sgd(0.1f, 0.5f);
  const std::vector<NamedTensor> params{{"a", &a}, {"b", &b}}, grads{{"a", &ga}, {"b", &gb}};
  sgd.step(ctx, params, grads);  // v = g; p -= 0.1·g
  EXPECT_TRUE(testing::all_close(a.to_vector(), {0.95f, 2.05f}, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(b.to_vector(), {-1.2f}, 1e-7, 1e-6));
  sgd.step(ctx, params, grads);  // v = 1.5·g; p -= 0.15·g
  EXPECT_TRUE(testing::all_close(a.to_vector(), {0.875f, 2.125f}, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(b.to_vector(), {-1.5f}, 1e-7, 1e-6));
  // The state was made for two parameters.
  EXPECT_THROW(sgd.step(ctx, {{"a", &a}}, {{"a", &ga}}), Error);
}

TEST(Optimiser, AdamFirstStepMovesEachParameterByLr) {
  // After one bias-corrected step, m̂ = g and v̂ = g², so every parameter moves
  // by lr·g/(|g| + eps) ≈ lr against the sign of its gradient.
  Context ctx(Device::cpu(), 0);
  Tensor p = Tensor::from_vector({1, 1, 1}, {3}), g = Tensor::from_vector({3, -0.01f, 100}, {3});
  Adam adam(0.01f, 0.9f, 0.999f, 1e-8f);
  adam.step(ctx, {{"p", &p}}, {{"p", &g}});
  EXPECT_TRUE(testing::all_close(p.to_vector(), {0.99f, 1.01f, 0.99f}, 1e-6, 1e-5));
  EXPECT_EQ(adam.steps(), 1);
}

}  // namespace
}  // namespace jetimg
