// Losses and optimiser steps: hand-computed values on the CPU, central
// differences for the loss gradients, CUDA against the CPU.
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

double sigmoid_d(double z) { return 1.0 / (1.0 + std::exp(-z)); }

TEST(Losses, BinaryCrossEntropyFromLogitsByHand) {
  Context ctx(Device::cpu(), 0);
  const std::vector<float> z{0, 2, -3, 0.5f}, t{1, 0, 1, 0.25f}, w{1, 2, 0.5f, 1};
  const Tensor logits = Tensor::from_vector(z, {4, 1}), labels = Tensor::from_vector(t, {4});
  const Tensor weights = Tensor::from_vector(w, {4});
  Tensor dlogits = Tensor::empty({4, 1});
  const double loss = bce_with_logits(ctx, logits, labels, weights, &dlogits);
  // The textbook form -t log σ - (1 - t) log(1 - σ), fine at these moderate logits.
  double expected = 0;
  std::vector<float> grad(4);
  for (int i = 0; i < 4; ++i) {
    const double s = sigmoid_d(z[i]);
    expected += w[i] * (-t[i] * std::log(s) - (1 - t[i]) * std::log(1 - s)) / 4;
    grad[i] = float(w[i] * (s - t[i]) / 4);
  }
  EXPECT_NEAR(loss, expected, 1e-6);
  EXPECT_TRUE(testing::all_close(dlogits.to_vector(), grad, 1e-7, 1e-6));
  // Without weights: every weight one.
  const double unweighted = bce_with_logits(ctx, logits, labels, Tensor(), nullptr);
  double expected_unweighted = 0;
  for (int i = 0; i < 4; ++i)
    expected_unweighted += (-t[i] * std::log(sigmoid_d(z[i])) - (1 - t[i]) * std::log(1 - sigmoid_d(z[i]))) / 4;
  EXPECT_NEAR(unweighted, expected_unweighted, 1e-6);
}

TEST(Losses, BinaryCrossEntropyIsStableAtLargeLogits) {
  Context ctx(Device::cpu(), 0);
  const Tensor logits = Tensor::from_vector({100, -100, 100, -100}, {4});
  const Tensor labels = Tensor::from_vector({1, 0, 0, 1}, {4});
  Tensor dlogits = Tensor::empty({4});
  const double loss = bce_with_logits(ctx, logits, labels, Tensor(), &dlogits);
  EXPECT_NEAR(loss, (0 + 0 + 100 + 100) / 4.0, 1e-5);  // a naive log(σ) would give inf
  EXPECT_TRUE(testing::all_close(dlogits.to_vector(), {0, 0, 0.25f, -0.25f}, 1e-7, 1e-6));
  EXPECT_THROW(bce_with_logits(ctx, logits, Tensor::empty({3}), Tensor(), nullptr), Error);
  EXPECT_THROW(bce_with_logits(ctx, Tensor::empty({4, 2}), labels, Tensor(), nullptr), Error);
}

TEST(Losses, MeanSquaredAndAbsoluteErrorByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor pred = Tensor::from_vector({1, 2, 3, 4}, {2, 2}), target = Tensor::from_vector({0, 2, 5, 4}, {2, 2});
  Tensor dpred = Tensor::empty({2, 2});
  // Unweighted: the mean over all four elements.
  EXPECT_NEAR(mean_squared_error(ctx, pred, target, Tensor(), &dpred), (1 + 0 + 4 + 0) / 4.0, 1e-7);
  EXPECT_EQ(dpred.to_vector(), (std::vector<float>{0.5f, 0, -1, 0}));
  // Sample weights (3, 0.5): (1/2)·(3·(1 + 0)/2 + 0.5·(4 + 0)/2) = 1.25.
  const Tensor w = Tensor::from_vector({3, 0.5f}, {2});
  EXPECT_NEAR(mean_squared_error(ctx, pred, target, w, &dpred), 1.25, 1e-7);
  EXPECT_TRUE(testing::all_close(dpred.to_vector(), {1.5f, 0, -0.5f, 0}, 1e-7, 1e-6));
  // MAE: (1/2)·(3·(1 + 0)/2 + 0.5·(2 + 0)/2) = 1; derivative w·sign/(N·D), 0 where p = t.
  EXPECT_NEAR(mean_absolute_error(ctx, pred, target, w, &dpred), 1.0, 1e-7);
  EXPECT_TRUE(testing::all_close(dpred.to_vector(), {0.75f, 0, -0.125f, 0}, 1e-7, 1e-6));
  EXPECT_THROW(mean_squared_error(ctx, pred, target, Tensor::empty({3}), nullptr), Error);
}

TEST(Losses, CategoricalCrossEntropyFromLogitsByHand) {
  Context ctx(Device::cpu(), 0);
  const std::vector<float> z{1, 2, 3, 0, 0, 0};
  const Tensor logits = Tensor::from_vector(z, {2, 3});
  const Tensor labels = Tensor::from_vector({2, 0}, {2}), weights = Tensor::from_vector({1, 2}, {2});
  Tensor dlogits = Tensor::empty({2, 3});
  const double loss = categorical_crossentropy_with_logits(ctx, logits, labels, weights, &dlogits);
  // Row 0: -log softmax(z)_2; row 1: -log(1/3), weighted 2; mean over 2 rows.
  const double e = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const double row0 = -std::log(std::exp(3.0) / e), row1 = std::log(3.0);
  EXPECT_NEAR(loss, (row0 + 2 * row1) / 2, 1e-6);
  const std::vector<float> grad{float(std::exp(1.0) / e / 2), float(std::exp(2.0) / e / 2),
                                float((std::exp(3.0) / e - 1) / 2), float(2 * (1 / 3.0 - 1) / 2), float(2 / 3.0 / 2),
                                float(2 / 3.0 / 2)};
  EXPECT_TRUE(testing::all_close(dlogits.to_vector(), grad, 1e-7, 1e-5));
  // One-hot targets give the same as class indices; huge logits stay finite.
  const Tensor one_hot = Tensor::from_vector({0, 0, 1, 1, 0, 0}, {2, 3});
  EXPECT_NEAR(categorical_crossentropy_with_logits(ctx, logits, one_hot, weights, nullptr), loss, 1e-6);
  const Tensor huge = Tensor::from_vector({1000, -1000, 0, 500, 500, 500}, {2, 3});
  EXPECT_NEAR(categorical_crossentropy_with_logits(ctx, huge, Tensor::from_vector({1, 0}, {2}), Tensor(), nullptr),
              (2000 + std::log(3.0)) / 2, 1e-3);
  EXPECT_THROW(categorical_crossentropy_with_logits(ctx, logits, Tensor::empty({2, 2}), Tensor(), nullptr), Error);
}

TEST(Losses, SquaredNormByHand) {
  Context ctx(Device::cpu(), 0);
  EXPECT_EQ(squared_norm(ctx, Tensor::from_vector({3, -4, 12}, {3})), 169.0);
  Tensor big = Tensor::empty({10001});
  fill(ctx, big, 0.5f);
  EXPECT_EQ(squared_norm(ctx, big), 10001 * 0.25);
}

TEST(Losses, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 12);
  const int64_t n = 9;
  Tensor z = Tensor::empty({n, 1}), t = Tensor::empty({n}), w = Tensor::empty({n}), dz = Tensor::empty({n, 1});
  random_normal(ctx, z, 0, 3);
  random_uniform(ctx, t, 0, 1);
  random_uniform(ctx, w, 0.5f, 2);
  const auto bce = [&] { return bce_with_logits(ctx, z, t, w, nullptr); };
  bce_with_logits(ctx, z, t, w, &dz);
  const testing::GradCheck c1 = testing::directional_check(bce, z, dz, 13);
  EXPECT_LT(c1.relative_error(), 2e-3) << c1.str();

  Tensor p = Tensor::empty({n, 2}), target = Tensor::empty({n, 2}), dp = Tensor::empty({n, 2});
  random_normal(ctx, p, 0, 1);
  random_normal(ctx, target, 0, 1);
  const auto mse = [&] { return mean_squared_error(ctx, p, target, w, nullptr); };
  mean_squared_error(ctx, p, target, w, &dp);
  const testing::GradCheck c2 = testing::directional_check(mse, p, dp, 14);
  EXPECT_LT(c2.relative_error(), 2e-3) << c2.str();
  // MAE's kink at p = t: targets stay at least 0.1 from the predictions.
  std::vector<float> tv = p.to_vector();
  for (size_t i = 0; i < tv.size(); ++i) tv[i] += (i % 2 ? 0.3f : -0.2f);
  const Tensor apart = Tensor::from_vector(tv, p.shape());
  const auto mae = [&] { return mean_absolute_error(ctx, p, apart, w, nullptr); };
  mean_absolute_error(ctx, p, apart, w, &dp);
  const testing::GradCheck c3 = testing::directional_check(mae, p, dp, 15);
  EXPECT_LT(c3.relative_error(), 2e-3) << c3.str();

  Tensor zc = Tensor::empty({n, 4}), dzc = Tensor::empty({n, 4});
  random_normal(ctx, zc, 0, 2);
  std::vector<float> cv(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) cv[static_cast<size_t>(i)] = float(i % 4);
  const Tensor classes = Tensor::from_vector(cv, {n});
  const auto cce = [&] { return categorical_crossentropy_with_logits(ctx, zc, classes, w, nullptr); };
  categorical_crossentropy_with_logits(ctx, zc, classes, w, &dzc);
  const testing::GradCheck c4 = testing::directional_check(cce, zc, dzc, 16);
  EXPECT_LT(c4.relative_error(), 2e-3) << c4.str();
}

TEST(Optimisers, SgdMomentumByHand) {
  Context ctx(Device::cpu(), 0);
  Tensor p = Tensor::from_vector({1, -1}, {2}), v = Tensor::zeros({2});
  const Tensor g = Tensor::from_vector({0.5f, -2}, {2});
  sgd_momentum_step(ctx, p, g, v, 0.1f, 0.9f);  // v = g, p -= 0.1 g
  EXPECT_TRUE(testing::all_close(p.to_vector(), {0.95f, -0.8f}, 1e-7, 1e-6));
  sgd_momentum_step(ctx, p, g, v, 0.1f, 0.9f);  // v = 1.9 g, p -= 0.19 g
  EXPECT_TRUE(testing::all_close(v.to_vector(), {0.95f, -3.8f}, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(p.to_vector(), {0.855f, -0.42f}, 1e-6, 1e-6));
}

TEST(Optimisers, AdamByHand) {
  Context ctx(Device::cpu(), 0);
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  Tensor p = Tensor::from_vector({1}, {1}), m = Tensor::zeros({1}), v = Tensor::zeros({1});
  double pd = 1, md = 0, vd = 0;
  const std::vector<float> grads{0.5f, -0.25f, 1.0f};
  for (int t = 1; t <= 3; ++t) {
    const double g = grads[t - 1];
    md = b1 * md + (1 - b1) * g;
    vd = b2 * vd + (1 - b2) * g * g;
    pd -= lr * (md / (1 - std::pow(b1, t))) / (std::sqrt(vd / (1 - std::pow(b2, t))) + eps);
    adam_step(ctx, p, Tensor::from_vector({grads[t - 1]}, {1}), m, v, float(lr), float(b1), float(b2), float(eps), 0,
              t);
    EXPECT_NEAR(p.to_vector()[0], pd, 1e-6) << "step " << t;
  }
  EXPECT_THROW(adam_step(ctx, p, p, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 0, 0), Error);
}

TEST(Optimisers, AdamWDecaysWeightsBeforeTheAdamStep) {
  // PyTorch's AdamW: p ← p·(1 - lr·λ), then the Adam step, which after one
  // step moves p by lr·g/(|g| + eps).
  Context ctx(Device::cpu(), 0);
  Tensor p = Tensor::from_vector({2, -4}, {2}), m = Tensor::zeros({2}), v = Tensor::zeros({2});
  adam_step(ctx, p, Tensor::from_vector({1, 1}, {2}), m, v, 0.1f, 0.9f, 0.999f, 1e-8f, 0.5f, 1);
  EXPECT_TRUE(testing::all_close(p.to_vector(), {2 * 0.95f - 0.1f, -4 * 0.95f - 0.1f}, 1e-6, 1e-5));
}

template <typename D>
class TrainOpsDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(TrainOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(TrainOpsDevice, MatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 4), ctx(dev, 4);
  const int64_t n = 1000;
  Tensor z = Tensor::empty({n, 1}), t = Tensor::empty({n}), w = Tensor::empty({n});
  random_normal(cpu, z, 0, 5);
  random_uniform(cpu, t, 0, 1);
  random_uniform(cpu, w, 0, 2);
  Tensor dz_cpu = Tensor::empty({n, 1}), dz = Tensor::empty({n, 1}, dev);
  const double loss_cpu = bce_with_logits(cpu, z, t, w, &dz_cpu);
  const double loss = bce_with_logits(ctx, z.to(dev), t.to(dev), w.to(dev), &dz);
  EXPECT_NEAR(loss, loss_cpu, 1e-5 * std::abs(loss_cpu));
  EXPECT_TRUE(testing::all_close(dz.to(Device::cpu()), dz_cpu, 1e-8, 1e-5));

  Tensor dp_cpu = Tensor::empty({n}), dp = Tensor::empty({n}, dev);
  const double mse_cpu = mean_squared_error(cpu, t, z.view({n}), w, &dp_cpu);
  EXPECT_NEAR(mean_squared_error(ctx, t.to(dev), z.view({n}).to(dev), w.to(dev), &dp), mse_cpu, 1e-6 * mse_cpu);
  EXPECT_TRUE(testing::all_close(dp.to(Device::cpu()), dp_cpu, 1e-8, 1e-6));
  const double mae_cpu = mean_absolute_error(cpu, t, z.view({n}), w, &dp_cpu);
  EXPECT_NEAR(mean_absolute_error(ctx, t.to(dev), z.view({n}).to(dev), w.to(dev), &dp), mae_cpu, 1e-6 * mae_cpu);
  EXPECT_TRUE(testing::all_close(dp.to(Device::cpu()), dp_cpu, 1e-8, 1e-6));

  const Tensor zc = z.view({n / 4, 4});
  std::vector<float> iv(static_cast<size_t>(n / 4));
  for (size_t i = 0; i < iv.size(); ++i) iv[i] = float(i % 4);
  const Tensor idx = Tensor::from_vector(iv, {n / 4});
  Tensor dzc_cpu = Tensor::empty(zc.shape()), dzc = Tensor::empty(zc.shape(), dev);
  const Tensor wc = w.slice(0, n / 4);
  const double cce_cpu = categorical_crossentropy_with_logits(cpu, zc, idx, wc, &dzc_cpu);
  EXPECT_NEAR(categorical_crossentropy_with_logits(ctx, zc.to(dev), idx.to(dev), wc.to(dev), &dzc), cce_cpu,
              1e-6 * cce_cpu);
  EXPECT_TRUE(testing::all_close(dzc.to(Device::cpu()), dzc_cpu, 1e-8, 1e-5));
  EXPECT_NEAR(squared_norm(ctx, z.to(dev)), squared_norm(cpu, z), 1e-9 * squared_norm(cpu, z));

  Tensor p_cpu = z.view({n}).clone(), vel_cpu = Tensor::zeros({n});
  Tensor p = p_cpu.to(dev), vel = Tensor::zeros({n}, dev);
  Tensor m_cpu = Tensor::zeros({n}), v_cpu = Tensor::zeros({n}), m = Tensor::zeros({n}, dev), v = Tensor::zeros({n}, dev);
  for (int step = 1; step <= 3; ++step) {
    sgd_momentum_step(cpu, p_cpu, t, vel_cpu, 0.05f, 0.9f);
    sgd_momentum_step(ctx, p, t.to(dev), vel, 0.05f, 0.9f);
    adam_step(cpu, p_cpu, w, m_cpu, v_cpu, 0.01f, 0.9f, 0.999f, 1e-7f, 0.01f, step);
    adam_step(ctx, p, w.to(dev), m, v, 0.01f, 0.9f, 0.999f, 1e-7f, 0.01f, step);
  }
  EXPECT_TRUE(testing::all_close(p.to(Device::cpu()), p_cpu, 1e-6, 1e-5));
  EXPECT_TRUE(testing::all_close(m.to(Device::cpu()), m_cpu, 1e-7, 1e-5));
  EXPECT_TRUE(testing::all_close(v.to(Device::cpu()), v_cpu, 1e-7, 1e-5));
}

}  // namespace
}  // namespace jetimg
