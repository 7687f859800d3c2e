// Optimisers over a list of named parameters: updates by hand, state kept per
// parameter, a clear error when the parameter list changes; learning-rate
// schedules and clipping by global norm.
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

TEST(Optimiser, ConfigsBuildOptimisersAndStateIsNamedPerParameter) {
  Context ctx(Device::cpu(), 0);
  auto adamw = make_optimiser(Json::parse(R"({"type": "adamw"})"), 0.1f, "train.json", "optimiser");
  EXPECT_EQ(adamw->config(),
            Json::parse(R"({"type": "adamw", "beta1": 0.9, "beta2": 0.999, "eps": 1e-7, "weight_decay": 0.01})"));
  Tensor p = Tensor::from_vector({2}, {1}), g = Tensor::from_vector({1}, {1});
  adamw->step(ctx, {{"w", &p}}, {{"w", &g}});
  EXPECT_NEAR(p.to_vector()[0], 2 * (1 - 0.1 * 0.01) - 0.1, 1e-6);  // decay, then a step of lr
  std::vector<std::string> names;
  for (const NamedTensor& t : adamw->state({{"w", &p}})) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"w.m", "w.v"}));
  EXPECT_EQ(make_optimiser(Json::parse(R"({"type": "sgd"})"), 0.1f, "f", "o")->config(),
            Json::parse(R"({"type": "sgd", "momentum": 0})"));
  const auto error = [](const char* json) {
    return testing::error_message_of([&] { make_optimiser(Json::parse(json), 0.1f, "train.json", "optimiser"); });
  };
  EXPECT_NE(error(R"({"type": "rmsprop"})").find("train.json: 'optimiser.type' is 'rmsprop', not an optimiser"),
            std::string::npos);
  EXPECT_NE(error(R"({"type": "sgd", "beta1": 0.9})").find("unknown key 'optimiser.beta1'"), std::string::npos);
  EXPECT_NE(error(R"({"type": "adam", "beta2": 1})").find("'optimiser.beta2' must be in [0, 1)"), std::string::npos);
}

TEST(LrSchedule, ExponentialAndStepByHand) {
  const LrSchedule constant;
  EXPECT_EQ(constant.lr_at(0.1, 7), 0.1);
  const LrSchedule exponential = LrSchedule::from_json(
      Json::parse(R"({"type": "exponential", "decay_rate": 0.5, "decay_epochs": 2})"), "t.json", "schedule");
  EXPECT_DOUBLE_EQ(exponential.lr_at(0.1, 0), 0.1);
  EXPECT_DOUBLE_EQ(exponential.lr_at(0.1, 1), 0.1 * std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(exponential.lr_at(0.1, 4), 0.025);
  const LrSchedule step =
      LrSchedule::from_json(Json::parse(R"({"type": "step", "gamma": 0.1, "step_size": 3})"), "t.json", "schedule");
  EXPECT_DOUBLE_EQ(step.lr_at(1.0, 2), 1.0);
  EXPECT_DOUBLE_EQ(step.lr_at(1.0, 3), 0.1);
  EXPECT_DOUBLE_EQ(step.lr_at(1.0, 7), 0.01);
  EXPECT_EQ(LrSchedule::from_json(step.config(), "t.json", "schedule").config(), step.config());
  EXPECT_NE(testing::error_message_of([] {
              LrSchedule::from_json(Json::parse(R"({"type": "step", "decay_rate": 0.5})"), "t.json", "schedule");
            }).find("t.json: unknown key 'schedule.decay_rate'"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([] {
              LrSchedule::from_json(Json::parse(R"({"type": "cosine"})"), "t.json", "schedule");
            }).find("'schedule.type' is 'cosine'"),
            std::string::npos);
}

TEST(GradientClipping, ScalesAllGradientsToTheGlobalNorm) {
  Context ctx(Device::cpu(), 0);
  Tensor a = Tensor::from_vector({3, 0}, {2}), b = Tensor::from_vector({4}, {1});
  // Global norm 5; clipped to 1 every gradient shrinks by the same factor 1/5.
  EXPECT_DOUBLE_EQ(clip_grad_norm(ctx, {{"a", &a}, {"b", &b}}, 1.0), 5.0);
  EXPECT_TRUE(testing::all_close(a.to_vector(), {0.6f, 0}, 1e-6, 1e-6));
  EXPECT_TRUE(testing::all_close(b.to_vector(), {0.8f}, 1e-6, 1e-6));
  // Below the limit nothing changes.
  EXPECT_NEAR(clip_grad_norm(ctx, {{"a", &a}, {"b", &b}}, 10.0), 1.0, 1e-6);
  EXPECT_TRUE(testing::all_close(b.to_vector(), {0.8f}, 1e-6, 1e-6));
  Tensor bad = Tensor::from_vector({std::nanf("")}, {1});
  EXPECT_TRUE(std::isnan(clip_grad_norm(ctx, {{"bad", &bad}}, 1.0)));
}

}  // namespace
}  // namespace jetimg
