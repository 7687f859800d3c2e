// Network ops (activations, softmax, bias, maxout, dropout): hand-computed
// values on the CPU, central-difference gradient checks, CUDA against the CPU.
#include <cmath>

#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

std::vector<float> forward(ActivationParams p, const std::vector<float>& x) {
  Context ctx(Device::cpu(), 0);
  const Tensor in = Tensor::from_vector(x, {static_cast<int64_t>(x.size())});
  Tensor out = Tensor::empty(in.shape());
  activation_forward(ctx, p, in, out);
  return out.to_vector();
}

std::vector<float> backward(ActivationParams p, const std::vector<float>& x, const std::vector<float>& dy) {
  Context ctx(Device::cpu(), 0);
  const Shape shape{static_cast<int64_t>(x.size())};
  const Tensor in = Tensor::from_vector(x, shape), grad_out = Tensor::from_vector(dy, shape);
  Tensor out = Tensor::empty(shape), grad_in = Tensor::empty(shape);
  activation_forward(ctx, p, in, out);
  activation_backward(ctx, p, in, out, grad_out, grad_in);
  return grad_in.to_vector();
}

TEST(Activations, ReluAndLeakyReluByHand) {
  const std::vector<float> x{-2, -0.5f, 0, 1.5f}, dy{1, 2, 3, 4};
  const ActivationParams relu{ActivationKind::ReLU, 0}, leaky{ActivationKind::LeakyReLU, 0.1f};
  EXPECT_EQ(forward(relu, x), (std::vector<float>{0, 0, 0, 1.5f}));
  EXPECT_EQ(backward(relu, x, dy), (std::vector<float>{0, 0, 0, 4}));  // left slope at the kink
  EXPECT_TRUE(testing::all_close(forward(leaky, x), {-0.2f, -0.05f, 0, 1.5f}, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(backward(leaky, x, dy), {0.1f, 0.2f, 0.3f, 4}, 1e-7, 1e-6));
}

TEST(Activations, SigmoidAndTanhByHand) {
  const std::vector<float> x{-2, 0, 2, 50, -50}, dy{1, 1, 1, 1, 1};
  std::vector<float> sig, dsig, th, dth;
  for (float v : x) {
    const double s = 1.0 / (1.0 + std::exp(-double(v))), t = std::tanh(double(v));
    sig.push_back(float(s));
    dsig.push_back(float(s * (1 - s)));
    th.push_back(float(t));
    dth.push_back(float(1 - t * t));
  }
  const ActivationParams sigmoid_p{ActivationKind::Sigmoid, 0}, tanh_p{ActivationKind::Tanh, 0};
  EXPECT_TRUE(testing::all_close(forward(sigmoid_p, x), sig, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(backward(sigmoid_p, x, dy), dsig, 1e-7, 1e-5));
  EXPECT_TRUE(testing::all_close(forward(tanh_p, x), th, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(backward(tanh_p, x, dy), dth, 1e-6, 1e-5));
}

TEST(Activations, GeluAgainstErfInDouble) {
  Context ctx(Device::cpu(), 0);
  const std::vector<float> v{-4, -1, -0.3f, 0, 0.5f, 1, 2, 6};
  const Tensor x = Tensor::from_vector(v, {8}), dy = Tensor::from_vector(std::vector<float>(8, 1.0f), {8});
  Tensor y = Tensor::empty({8}), dx = Tensor::empty({8});
  const ActivationParams p{ActivationKind::GELU, 0};
  activation_forward(ctx, p, x, y);
  activation_backward(ctx, p, x, y, dy, dx);
  std::vector<float> value, slope;
  for (float f : v) {
    const double a = f, cdf = 0.5 * (1 + std::erf(a / std::sqrt(2.0)));
    value.push_back(float(a * cdf));
    slope.push_back(float(cdf + a * std::exp(-0.5 * a * a) / std::sqrt(2 * 3.14159265358979323846)));
  }
  EXPECT_TRUE(testing::all_close(y.to_vector(), value, 1e-7, 1e-6));
  EXPECT_TRUE(testing::all_close(dx.to_vector(), slope, 1e-6, 1e-5));
  EXPECT_NEAR(y.to_vector()[5], 0.8413447f, 1e-6);  // GELU(1) = Φ(1)
}

TEST(Softmax, ForwardBackwardByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, 1000, 1000, 1000}, {2, 3});
  Tensor y = Tensor::empty({2, 3});
  softmax_forward(ctx, x, y);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const std::vector<float> y_ref{float(std::exp(1.0) / z), float(std::exp(2.0) / z), float(std::exp(3.0) / z),
                                 1 / 3.f, 1 / 3.f, 1 / 3.f};
  EXPECT_TRUE(testing::all_close(y.to_vector(), y_ref, 1e-7, 1e-6));

  const Tensor dy = Tensor::from_vector({1, 0, -1, 0.5f, 0.5f, 2}, {2, 3});
  Tensor dx = Tensor::empty({2, 3});
  softmax_backward(ctx, y, dy, dx);
  std::vector<float> dx_ref(6);
  const std::vector<float> dyv = dy.to_vector();
  for (int r = 0; r < 2; ++r) {  // dx_i = Σ_j (δ_ij y_i - y_i y_j) dy_j
    for (int i = 0; i < 3; ++i) {
      double acc = 0;
      for (int j = 0; j < 3; ++j) acc += ((i == j) * y_ref[3 * r + i] - y_ref[3 * r + i] * y_ref[3 * r + j]) * dyv[3 * r + j];
      dx_ref[3 * r + i] = float(acc);
    }
  }
  EXPECT_TRUE(testing::all_close(dx.to_vector(), dx_ref, 1e-6, 1e-5));
}

TEST(Bias, AddAndBackwardByHand) {
  Context ctx(Device::cpu(), 0);
  Tensor y = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  bias_add(ctx, y, Tensor::from_vector({10, 20, 30}, {3}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  Tensor dbias = Tensor::empty({3});
  bias_backward(ctx, y, dbias);
  EXPECT_EQ(dbias.to_vector(), (std::vector<float>{25, 47, 69}));
  Tensor wrong = Tensor::empty({2});
  EXPECT_THROW(bias_add(ctx, y, wrong), Error);
}

TEST(Maxout, ForwardRoutesToWinnerAndTiesGoToLowestPiece) {
  Context ctx(Device::cpu(), 0);
  // One row, 3 pieces of 2 units: pieces (1, 5), (3, 5), (2, 0).
  const Tensor z = Tensor::from_vector({1, 5, 3, 5, 2, 0}, {1, 6});
  Tensor y = Tensor::empty({1, 2}), winner = Tensor::empty({1, 2});
  maxout_forward(ctx, z, 3, y, winner);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{3, 5}));
  EXPECT_EQ(winner.to_vector(), (std::vector<float>{1, 0}));  // unit 1: tie between pieces 0 and 1
  Tensor dz = Tensor::empty({1, 6});
  maxout_backward(ctx, Tensor::from_vector({10, 20}, {1, 2}), winner, 3, dz);
  EXPECT_EQ(dz.to_vector(), (std::vector<float>{0, 20, 10, 0, 0, 0}));
  EXPECT_THROW(maxout_forward(ctx, z, 4, y, winner), Error);
}

TEST(Dropout, KeepsTheRightFractionAndScales) {
  Context ctx(Device::cpu(), 17);
  const int64_t n = 100000;
  Tensor x = Tensor::empty({n}), mask = Tensor::empty({n}), y = Tensor::empty({n});
  fill(ctx, x, 3.0f);
  dropout_forward(ctx, x, 0.25f, mask, y);
  int64_t kept = 0;
  const std::vector<float> m = mask.to_vector(), yv = y.to_vector();
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_TRUE(m[i] == 0.0f || std::abs(m[i] - 4.0f / 3.0f) < 1e-6f) << m[i];
    ASSERT_EQ(yv[i], 3.0f * m[i]);
    kept += m[i] != 0.0f;
  }
  EXPECT_NEAR(kept / double(n), 0.75, 5 * std::sqrt(0.75 * 0.25 / n));
  Tensor dx = Tensor::empty({n});
  multiply(ctx, y, mask, dx);  // backward of dropout: dy ⊙ mask
  EXPECT_EQ(dx.to_vector()[0], yv[0] * m[0]);
  EXPECT_THROW(dropout_forward(ctx, x, 1.0f, mask, y), Error);
  dropout_forward(ctx, x, 0.0f, mask, y);
  EXPECT_EQ(y.to_vector(), x.to_vector());
}

// --- gradient checks -------------------------------------------------------------

// Random x away from the kink at 0 (|x| >= 0.1, so a step of 1e-3 along a
// unit-normal direction cannot cross it with any real chance).
Tensor away_from_zero(Context& ctx, const Shape& shape) {
  Tensor x = Tensor::empty(shape);
  random_uniform(ctx, x, 0.1f, 2.0f);
  Tensor sign = Tensor::empty(shape);
  random_uniform(ctx, sign, -1.0f, 1.0f);
  std::vector<float> v = x.to_vector();
  const std::vector<float> s = sign.to_vector();
  for (size_t i = 0; i < v.size(); ++i) v[i] = s[i] < 0 ? -v[i] : v[i];
  return Tensor::from_vector(v, shape);
}

TEST(NnOpsGradient, ActivationsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 5);
  const Shape shape{6, 7};
  Tensor x = away_from_zero(ctx, shape), r = Tensor::empty(shape);
  random_normal(ctx, r, 0, 1);
  for (ActivationKind kind :
       {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid, ActivationKind::Tanh,
        ActivationKind::GELU}) {
    const ActivationParams p{kind, 0.2f};
    Tensor y = Tensor::empty(shape), dx = Tensor::empty(shape);
    const auto loss = [&] {
      activation_forward(ctx, p, x, y);
      return testing::project(y, r);
    };
    loss();
    activation_backward(ctx, p, x, y, r, dx);
    const testing::GradCheck check = testing::directional_check(loss, x, dx, 100 + int(kind));
    EXPECT_LT(check.relative_error(), 2e-3) << int(kind) << ": " << check.str();
  }
}

TEST(NnOpsGradient, SoftmaxMatchesCentralDifferences) {
  Context ctx(Device::cpu(), 6);
  const Shape shape{5, 4};
  Tensor x = Tensor::empty(shape), r = Tensor::empty(shape), y = Tensor::empty(shape), dx = Tensor::empty(shape);
  random_normal(ctx, x, 0, 2);
  random_normal(ctx, r, 0, 1);
  const auto loss = [&] {
    softmax_forward(ctx, x, y);
    return testing::project(y, r);
  };
  loss();
  softmax_backward(ctx, y, r, dx);
  const testing::GradCheck check = testing::directional_check(loss, x, dx, 7);
  EXPECT_LT(check.relative_error(), 2e-3) << check.str();
}

TEST(NnOpsGradient, MaxoutMatchesCentralDifferencesAwayFromTies) {
  Context ctx(Device::cpu(), 8);
  // 3 pieces of 4 units; the pieces of each unit are spread 0.5 apart in a
  // random order, so a step of 1e-3 cannot change the winner.
  const int64_t rows = 5, pieces = 3, units = 4;
  std::vector<float> z(static_cast<size_t>(rows * pieces * units));
  Tensor noise = Tensor::empty({rows * pieces * units});
  random_uniform(ctx, noise, -0.1f, 0.1f);
  const std::vector<float> jitter = noise.to_vector();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t u = 0; u < units; ++u)
      for (int64_t k = 0; k < pieces; ++k) {
        const int64_t rank = (k + r + u) % pieces;  // which piece is largest varies
        const size_t i = static_cast<size_t>((r * pieces + k) * units + u);
        z[i] = 0.5f * rank + jitter[i];
      }
  Tensor zt = Tensor::from_vector(z, {rows, pieces * units}), rproj = Tensor::empty({rows, units});
  random_normal(ctx, rproj, 0, 1);
  Tensor y = Tensor::empty({rows, units}), winner = Tensor::empty({rows, units}), dz = Tensor::empty(zt.shape());
  const auto loss = [&] {
    maxout_forward(ctx, zt, pieces, y, winner);
    return testing::project(y, rproj);
  };
  loss();
  maxout_backward(ctx, rproj, winner, pieces, dz);
  const testing::GradCheck check = testing::directional_check(loss, zt, dz, 9);
  EXPECT_LT(check.relative_error(), 2e-3) << check.str();
}

template <typename D>
class NnOpsDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(NnOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(NnOpsDevice, MatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 21), ctx(dev, 21);
  Tensor x_cpu = Tensor::empty({31, 40}), dy_cpu = Tensor::empty({31, 40});
  random_normal(cpu, x_cpu, 0, 2);
  random_normal(cpu, dy_cpu, 0, 1);
  const Tensor x = x_cpu.to(dev), dy = dy_cpu.to(dev);
  for (ActivationKind kind :
       {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid, ActivationKind::Tanh,
        ActivationKind::GELU}) {
    const ActivationParams p{kind, 0.2f};
    Tensor y_cpu = Tensor::empty(x.shape()), dx_cpu = Tensor::empty(x.shape());
    Tensor y = Tensor::empty(x.shape(), dev), dx = Tensor::empty(x.shape(), dev);
    activation_forward(cpu, p, x_cpu, y_cpu);
    activation_backward(cpu, p, x_cpu, y_cpu, dy_cpu, dx_cpu);
    activation_forward(ctx, p, x, y);
    activation_backward(ctx, p, x, y, dy, dx);
    EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-6, 1e-5)) << int(kind);
    EXPECT_TRUE(testing::all_close(dx.to(Device::cpu()), dx_cpu, 1e-6, 1e-5)) << int(kind);
  }
  Tensor s_cpu = Tensor::empty(x.shape()), ds_cpu = Tensor::empty(x.shape());
  Tensor s = Tensor::empty(x.shape(), dev), ds = Tensor::empty(x.shape(), dev);
  softmax_forward(cpu, x_cpu, s_cpu);
  softmax_backward(cpu, s_cpu, dy_cpu, ds_cpu);
  softmax_forward(ctx, x, s);
  softmax_backward(ctx, s, dy, ds);
  EXPECT_TRUE(testing::all_close(s.to(Device::cpu()), s_cpu, 1e-7, 1e-5));
  EXPECT_TRUE(testing::all_close(ds.to(Device::cpu()), ds_cpu, 1e-7, 1e-5));

  Tensor b_cpu = Tensor::empty({40});
  random_normal(cpu, b_cpu, 0, 1);
  Tensor yb_cpu = x_cpu.clone(), yb = x.clone();
  bias_add(cpu, yb_cpu, b_cpu);
  bias_add(ctx, yb, b_cpu.to(dev));
  EXPECT_TRUE(testing::all_close(yb.to(Device::cpu()), yb_cpu, 0, 0));

  // Maxout with 4 pieces of 10 units.
  Tensor m_cpu = Tensor::empty({31, 10}), w_cpu = Tensor::empty({31, 10}), dz_cpu = Tensor::empty({31, 40});
  Tensor m = Tensor::empty({31, 10}, dev), w = Tensor::empty({31, 10}, dev), dz = Tensor::empty({31, 40}, dev);
  maxout_forward(cpu, x_cpu, 4, m_cpu, w_cpu);
  maxout_forward(ctx, x, 4, m, w);
  EXPECT_TRUE(testing::all_close(m.to(Device::cpu()), m_cpu, 0, 0));
  EXPECT_TRUE(testing::all_close(w.to(Device::cpu()), w_cpu, 0, 0));
  maxout_backward(cpu, m_cpu, w_cpu, 4, dz_cpu);
  maxout_backward(ctx, m, w, 4, dz);
  EXPECT_TRUE(testing::all_close(dz.to(Device::cpu()), dz_cpu, 0, 0));

  // The same seed and stream give the same dropout mask (fresh contexts: the
  // CPU one above has used two random streams already).
  Context cpu_drop(Device::cpu(), 77), drop(dev, 77);
  Tensor mask_cpu = Tensor::empty(x.shape()), d_cpu = Tensor::empty(x.shape());
  Tensor mask = Tensor::empty(x.shape(), dev), d = Tensor::empty(x.shape(), dev);
  dropout_forward(cpu_drop, x_cpu, 0.3f, mask_cpu, d_cpu);
  dropout_forward(drop, x, 0.3f, mask, d);
  EXPECT_TRUE(testing::all_close(mask.to(Device::cpu()), mask_cpu, 0, 0));
  EXPECT_TRUE(testing::all_close(d.to(Device::cpu()), d_cpu, 0, 0));
}

}  // namespace
}  // namespace jetimg
