// Batch normalisation and the fused bias + activation epilogue: hand-computed
// values on the CPU, central-difference gradient checks, CUDA against the CPU.
#include <cmath>

#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "models/batchnorm.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

struct BatchNormState {
  Tensor gamma, beta, running_mean, running_var, save_mean, save_invstd;
  explicit BatchNormState(const std::vector<float>& g, const std::vector<float>& b, Device device = Device::cpu()) {
    const int64_t c = static_cast<int64_t>(g.size());
    gamma = Tensor::from_vector(g, {c}).to(device);
    beta = Tensor::from_vector(b, {c}).to(device);
    running_mean = Tensor::zeros({c}, device);
    running_var = Tensor::from_vector(std::vector<float>(g.size(), 1.0f), {c}).to(device);
    save_mean = Tensor::empty({c}, device);
    save_invstd = Tensor::empty({c}, device);
  }
};

TEST(BatchNorm, DenseFeaturesByHand) {
  Context ctx(Device::cpu(), 0);
  // Two features over four samples: (1, 2, 3, 4) and (0, 0, 0, 4).
  const Tensor x = Tensor::from_vector({1, 0, 2, 0, 3, 0, 4, 4}, {4, 2});
  BatchNormState s({2, 1}, {0, 1});
  Tensor y = Tensor::empty(x.shape());
  const float eps = 1e-5f;
  batchnorm_forward_train(ctx, x, s.gamma, s.beta, 0.1f, eps, s.running_mean, s.running_var, y, s.save_mean,
                          s.save_invstd);
  // Feature 0: mean 2.5, biased variance 1.25; feature 1: mean 1, variance 3.
  const double i0 = 1 / std::sqrt(1.25 + eps), i1 = 1 / std::sqrt(3 + eps);
  const std::vector<float> expected{float(2 * -1.5 * i0), float(1 - i1), float(2 * -0.5 * i0), float(1 - i1),
                                    float(2 * 0.5 * i0),  float(1 - i1), float(2 * 1.5 * i0),  float(1 + 3 * i1)};
  EXPECT_TRUE(testing::all_close(y.to_vector(), expected, 1e-6, 1e-5));
  EXPECT_TRUE(testing::all_close(s.save_mean.to_vector(), {2.5f, 1}, 0, 0));
  // Running statistics: 0.9·old + 0.1·batch, with the unbiased variance (·4/3).
  EXPECT_TRUE(testing::all_close(s.running_mean.to_vector(), {0.25f, 0.1f}, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(s.running_var.to_vector(), {float(0.9 + 0.1 * 1.25 * 4 / 3), 0.9f + 0.4f}, 1e-7,
                                 1e-6));

  // Inference uses the running statistics: (x - 0.25)/sqrt(1.0667 + eps)·2 and (x - 0.1)/sqrt(1.3 + eps) + 1.
  batchnorm_forward_inference(ctx, x, s.gamma, s.beta, eps, s.running_mean, s.running_var, y);
  const double r0 = 1 / std::sqrt(0.9 + 0.1 * 1.25 * 4 / 3 + eps), r1 = 1 / std::sqrt(1.3 + eps);
  EXPECT_NEAR(y.to_vector()[0], 2 * (1 - 0.25) * r0, 1e-5);
  EXPECT_NEAR(y.to_vector()[7], (4 - 0.1) * r1 + 1, 1e-5);

  // Backward: dbeta = Σ dy, dgamma = Σ dy·x̂ per feature.
  const Tensor dy = Tensor::from_vector({1, 0, 1, 0, 1, 0, 1, 1}, {4, 2});
  Tensor dx = Tensor::empty(x.shape()), dgamma = Tensor::empty({2}), dbeta = Tensor::empty({2});
  batchnorm_backward(ctx, x, dy, s.gamma, s.save_mean, s.save_invstd, dx, dgamma, dbeta);
  EXPECT_TRUE(testing::all_close(dbeta.to_vector(), {4, 1}, 0, 0));
  EXPECT_TRUE(testing::all_close(dgamma.to_vector(), {0, float(3 * i1)}, 1e-6, 1e-5));
  // A constant dy on feature 0 changes nothing after normalisation: dx = 0 there.
  for (int n = 0; n < 4; ++n) EXPECT_NEAR(dx.to_vector()[2 * n], 0, 1e-6);
}

TEST(BatchNorm, ImagesNormalisePerChannelOverBatchAndPixels) {
  Context ctx(Device::cpu(), 0);
  // x: (N=2, C=2, H=1, W=2). Channel 0 holds 1, 3 (sample 0) and 5, 7 (sample 1).
  const Tensor x = Tensor::from_vector({1, 3, 10, 10, 5, 7, 20, 20}, {2, 2, 1, 2});
  BatchNormState s({1, 1}, {0, 0});
  Tensor y = Tensor::empty(x.shape());
  batchnorm_forward_train(ctx, x, s.gamma, s.beta, 0.5f, 1e-5f, s.running_mean, s.running_var, y, s.save_mean,
                          s.save_invstd);
  EXPECT_TRUE(testing::all_close(s.save_mean.to_vector(), {4, 15}, 0, 0));
  const double i0 = 1 / std::sqrt(5 + 1e-5), i1 = 1 / std::sqrt(25 + 1e-5);
  EXPECT_TRUE(testing::all_close(y.to_vector(),
                                 {float(-3 * i0), float(-i0), float(-5 * i1), float(-5 * i1), float(i0), float(3 * i0),
                                  float(5 * i1), float(5 * i1)},
                                 1e-6, 1e-5));
  EXPECT_THROW(batchnorm_forward_train(ctx, x, Tensor::zeros({3}), s.beta, 0.1f, 1e-5f, s.running_mean,
                                       s.running_var, y, s.save_mean, s.save_invstd),
               Error);
}

TEST(BatchNorm, GradientsMatchCentralDifferences) {
  for (const Shape shape : {Shape{6, 3}, Shape{3, 2, 2, 3}}) {
    Context ctx(Device::cpu(), 31);
    Tensor x = Tensor::empty(shape), r = Tensor::empty(shape);
    random_normal(ctx, x, 1, 2);
    random_normal(ctx, r, 0, 1);
    BatchNormState s({1.5f, -0.5f, 2}, {0.1f, 0.2f, 0.3f});
    if (shape[1] == 2) s = BatchNormState({1.5f, -0.5f}, {0.1f, 0.2f});
    Tensor y = Tensor::empty(shape), dx = Tensor::empty(shape);
    Tensor dgamma = Tensor::empty(s.gamma.shape()), dbeta = Tensor::empty(s.gamma.shape());
    const auto loss = [&] {
      batchnorm_forward_train(ctx, x, s.gamma, s.beta, 0.1f, 1e-5f, s.running_mean, s.running_var, y, s.save_mean,
                              s.save_invstd);
      return testing::project(y, r);
    };
    loss();
    batchnorm_backward(ctx, x, r, s.gamma, s.save_mean, s.save_invstd, dx, dgamma, dbeta);
    const testing::GradCheck cx = testing::directional_check(loss, x, dx, 32);
    const testing::GradCheck cg = testing::directional_check(loss, s.gamma, dgamma, 33);
    const testing::GradCheck cb = testing::directional_check(loss, s.beta, dbeta, 34);
    EXPECT_LT(cx.relative_error(), 2e-3) << shape.str() << " dx: " << cx.str();
    EXPECT_LT(cg.relative_error(), 2e-3) << shape.str() << " dgamma: " << cg.str();
    EXPECT_LT(cb.relative_error(), 2e-3) << shape.str() << " dbeta: " << cb.str();
  }
}

TEST(BiasActivation, FusedEqualsBiasThenActivation) {
  Context ctx(Device::cpu(), 0);
  Tensor z = Tensor::from_vector({-1, 0.5f, 2, -3}, {2, 2}), y = Tensor::empty({2, 2});
  bias_activation_forward(ctx, {ActivationKind::ReLU, 0}, z, Tensor::from_vector({0.5f, -1}, {2}), y);
  EXPECT_EQ(z.to_vector(), (std::vector<float>{-0.5f, -0.5f, 2.5f, -4}));  // z + bias, kept for backward
  EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 0, 2.5f, 0}));
  Tensor z2 = Tensor::from_vector({1, 2}, {1, 2}), y2 = Tensor::empty({1, 2});
  bias_activation_forward(ctx, {ActivationKind::Linear, 0}, z2, Tensor::from_vector({1, 1}, {2}), y2);
  EXPECT_EQ(y2.to_vector(), (std::vector<float>{2, 3}));
  EXPECT_THROW(bias_activation_forward(ctx, {ActivationKind::ReLU, 0}, z, Tensor::zeros({3}), y), Error);
}

// Runs the three batch-norm ops on x of `shape` (all ones, dy all ones) on
// `device`; returns dgamma then dbeta, on the host.
std::vector<float> run_batchnorm(Device device, const Shape& shape) {
  Context ctx(device, 3);
  const int64_t c = shape[1];
  const Tensor x = Tensor::from_vector(std::vector<float>(static_cast<size_t>(shape.numel()), 1.0f), shape).to(device);
  const Tensor dy = x.clone();
  BatchNormState s(std::vector<float>(static_cast<size_t>(c), 1.0f), std::vector<float>(static_cast<size_t>(c), 0.0f),
                   device);
  Tensor y = Tensor::empty(shape, device), dx = Tensor::empty(shape, device);
  Tensor dgamma = Tensor::from_vector(std::vector<float>(static_cast<size_t>(c), 7.0f), {c}).to(device);
  Tensor dbeta = dgamma.clone();
  if (shape.numel() > 0 || c == 0) {
    batchnorm_forward_train(ctx, x, s.gamma, s.beta, 0.1f, 1e-5f, s.running_mean, s.running_var, y, s.save_mean,
                            s.save_invstd);
  } else {  // samples with no positions: a mean of nothing; set the saved statistics by hand
    s.save_mean = Tensor::zeros({c}, device);
    s.save_invstd = Tensor::zeros({c}, device);
  }
  batchnorm_forward_inference(ctx, x, s.gamma, s.beta, 1e-5f, s.running_mean, s.running_var, y);
  batchnorm_backward(ctx, x, dy, s.gamma, s.save_mean, s.save_invstd, dx, dgamma, dbeta);
  std::vector<float> out = dgamma.to_vector();
  const std::vector<float> db = dbeta.to_vector();
  out.insert(out.end(), db.begin(), db.end());
  return out;
}

// No channels is no work (the layout's n·c was divided by before any guard);
// no samples is refused by name.
TEST(BatchNorm, NoChannelsIsNoWorkAndNoSamplesIsRefused) {
  EXPECT_TRUE(run_batchnorm(Device::cpu(), Shape{4, 0}).empty());
  EXPECT_TRUE(run_batchnorm(Device::cpu(), Shape{4, 0, 3, 3}).empty());
  // Samples without positions: the gradient sums over nothing are zero.
  EXPECT_EQ(run_batchnorm(Device::cpu(), Shape{2, 3, 0}), std::vector<float>(6, 0.0f));
  Context ctx(Device::cpu(), 0);
  BatchNormState s({1, 1}, {0, 0});
  const Tensor x = Tensor::empty({0, 2});
  Tensor y = Tensor::empty({0, 2});
  const std::string message = testing::error_message_of([&] {
    batchnorm_forward_train(ctx, x, s.gamma, s.beta, 0.1f, 1e-5f, s.running_mean, s.running_var, y, s.save_mean,
                            s.save_invstd);
  });
  EXPECT_NE(message.find("N > 0"), std::string::npos) << message;
}

template <typename D>
class BatchNormDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(BatchNormDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(BatchNormDevice, MatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 41), ctx(dev, 41);
  for (const Shape shape : {Shape{300, 5}, Shape{7, 5, 9, 11}}) {
    Tensor x_cpu = Tensor::empty(shape), dy_cpu = Tensor::empty(shape);
    random_normal(cpu, x_cpu, 2, 3);
    random_normal(cpu, dy_cpu, 0, 1);
    const std::vector<float> g{1, 2, 0.5f, -1, 3}, b{0, 1, 2, 3, 4};
    BatchNormState s_cpu(g, b), s(g, b, dev);
    Tensor y_cpu = Tensor::empty(shape), y = Tensor::empty(shape, dev);
    batchnorm_forward_train(cpu, x_cpu, s_cpu.gamma, s_cpu.beta, 0.1f, 1e-5f, s_cpu.running_mean, s_cpu.running_var,
                            y_cpu, s_cpu.save_mean, s_cpu.save_invstd);
    const Tensor x = x_cpu.to(dev);
    batchnorm_forward_train(ctx, x, s.gamma, s.beta, 0.1f, 1e-5f, s.running_mean, s.running_var, y, s.save_mean,
                            s.save_invstd);
    EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-5, 1e-5));
    EXPECT_TRUE(testing::all_close(s.running_mean.to(Device::cpu()), s_cpu.running_mean, 1e-6, 1e-5));
    EXPECT_TRUE(testing::all_close(s.running_var.to(Device::cpu()), s_cpu.running_var, 1e-6, 1e-5));
    Tensor dx_cpu = Tensor::empty(shape), dx = Tensor::empty(shape, dev);
    Tensor dg_cpu = Tensor::empty({5}), db_cpu = Tensor::empty({5}), dg = Tensor::empty({5}, dev),
           db = Tensor::empty({5}, dev);
    batchnorm_backward(cpu, x_cpu, dy_cpu, s_cpu.gamma, s_cpu.save_mean, s_cpu.save_invstd, dx_cpu, dg_cpu, db_cpu);
    batchnorm_backward(ctx, x, dy_cpu.to(dev), s.gamma, s.save_mean, s.save_invstd, dx, dg, db);
    EXPECT_TRUE(testing::all_close(dx.to(Device::cpu()), dx_cpu, 1e-5, 1e-4));
    EXPECT_TRUE(testing::all_close(dg.to(Device::cpu()), dg_cpu, 1e-4, 1e-5));
    EXPECT_TRUE(testing::all_close(db.to(Device::cpu()), db_cpu, 1e-4, 1e-5));
    batchnorm_forward_inference(cpu, x_cpu, s_cpu.gamma, s_cpu.beta, 1e-5f, s_cpu.running_mean, s_cpu.running_var,
                                y_cpu);
    batchnorm_forward_inference(ctx, x, s.gamma, s.beta, 1e-5f, s.running_mean, s.running_var, y);
    EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-5, 1e-5));
  }
  // The fused dense epilogue.
  Tensor z_cpu = Tensor::empty({33, 17}), bias = Tensor::empty({17});
  random_normal(cpu, z_cpu, 0, 1);
  random_normal(cpu, bias, 0, 1);
  Tensor z = z_cpu.to(dev), y_cpu = Tensor::empty(z_cpu.shape()), y = Tensor::empty(z_cpu.shape(), dev);
  for (ActivationKind kind : {ActivationKind::ReLU, ActivationKind::Sigmoid, ActivationKind::Linear}) {
    Tensor zc = z_cpu.clone(), zd = z.clone();
    bias_activation_forward(cpu, {kind, 0}, zc, bias, y_cpu);
    bias_activation_forward(ctx, {kind, 0}, zd, bias.to(dev), y);
    EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-6, 1e-5));
    EXPECT_TRUE(testing::all_close(zd.to(Device::cpu()), zc, 0, 0));
  }
}

TYPED_TEST(BatchNormDevice, NoChannelsAndNoPositionsMatchCpu) {
  for (const Shape shape : {Shape{4, 0}, Shape{4, 0, 3, 3}, Shape{2, 3, 0}})
    EXPECT_EQ(run_batchnorm(this->device(), shape), run_batchnorm(Device::cpu(), shape)) << shape.str();
}

}  // namespace
}  // namespace jetimg

// --- layer normalisation -------------------------------------------------------------------

namespace jetimg {
namespace {

TEST(LayerNorm, EachRowNormalisedThenScaledAndShifted) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, -5, 5, 5, -5}, {2, 4});
  LayerNorm layer(ctx, 4);
  layer.parameters()[0].tensor->copy_from(Tensor::from_vector({1, 2, 0.5f, 1}, {4}));
  layer.parameters()[1].tensor->copy_from(Tensor::from_vector({0, 0, 0, 10}, {4}));
  const std::vector<float> y = layer.forward(ctx, x).to_vector();
  // Row 0: mean 2.5, variance 1.25; row 1: mean 0, variance 25.
  const double s0 = 1 / std::sqrt(1.25 + 1e-5), s1 = 1 / std::sqrt(25 + 1e-5);
  const std::vector<float> expected{float(-1.5 * s0), float(2 * -0.5 * s0), float(0.5 * 0.5 * s0), float(1.5 * s0 + 10),
                                    float(-5 * s1), float(2 * 5 * s1), float(0.5 * 5 * s1), float(-5 * s1 + 10)};
  EXPECT_TRUE(testing::all_close(y, expected, 1e-6, 1e-6));
}

TEST(LayerNorm, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 3);
  LayerNorm layer(ctx, 6);
  random_normal(ctx, *layer.parameters()[0].tensor, 1.0f, 0.3f);
  random_normal(ctx, *layer.parameters()[1].tensor, 0.0f, 0.3f);
  Tensor x = Tensor::empty({5, 6});
  random_normal(ctx, x, 0.5f, 2.0f);
  testing::expect_gradients_match(layer, x, 31);
}

TYPED_TEST(BatchNormDevice, LayerNormMatchesCpu) {
  const Device device = this->device();
  Context cpu(Device::cpu(), 4), dev(device, 4), rng(Device::cpu(), 5);
  const int64_t rows = 301, c = 67;
  Tensor x = Tensor::empty({rows, c}), dy = Tensor::empty({rows, c}), g = Tensor::empty({c}), b = Tensor::empty({c});
  random_normal(rng, x, 1.0f, 3.0f);
  random_normal(rng, dy, 0.0f, 1.0f);
  random_normal(rng, g, 1.0f, 0.2f);
  random_normal(rng, b, 0.0f, 0.2f);
  Tensor y_ref = Tensor::empty({rows, c}), m_ref = Tensor::empty({rows}), s_ref = Tensor::empty({rows});
  Tensor dx_ref = Tensor::empty({rows, c}), dg_ref = Tensor::empty({c}), db_ref = Tensor::empty({c});
  layer_norm_forward(cpu, x, g, b, 1e-5f, y_ref, m_ref, s_ref);
  layer_norm_backward(cpu, x, dy, g, m_ref, s_ref, dx_ref, dg_ref, db_ref);
  const Tensor xd = x.to(device), dyd = dy.to(device), gd = g.to(device), bd = b.to(device);
  Tensor y = Tensor::empty({rows, c}, device), m = Tensor::empty({rows}, device), s = Tensor::empty({rows}, device);
  Tensor dx = Tensor::empty({rows, c}, device), dg = Tensor::empty({c}, device), db = Tensor::empty({c}, device);
  layer_norm_forward(dev, xd, gd, bd, 1e-5f, y, m, s);
  layer_norm_backward(dev, xd, dyd, gd, m, s, dx, dg, db);
  EXPECT_TRUE(testing::all_close(y, y_ref, 1e-5, 1e-5));
  EXPECT_TRUE(testing::all_close(dx, dx_ref, 1e-5, 1e-4));
  EXPECT_TRUE(testing::all_close(dg, dg_ref, 1e-4, 1e-4));
  EXPECT_TRUE(testing::all_close(db, db_ref, 1e-4, 1e-4));
}

}  // namespace
}  // namespace jetimg
