// GAN ops (minibatch discrimination, attention combine, per-sample sums and
// sparsity): hand-computed values on the CPU, central-difference gradient
// checks, CUDA against the CPU.
#include <cmath>

#include "core/error.h"
#include "core/gan_ops.h"
#include "core/ops.h"
#include "tests/finite_difference.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

float e(double t) { return static_cast<float>(std::exp(t)); }

Tensor random_tensor(Context& ctx, const Shape& shape, float stddev = 1.0f) {
  Tensor t = Tensor::empty(shape);
  random_normal(ctx, t, 0, stddev);
  return t;
}

// Values `spacing` apart in a scrambled order, so that no two elements of
// a column m[:, f, v] are closer than `spacing`: a finite-difference step
// smaller than that never crosses the kink of |m[i] - m[j]|.
Tensor spaced_values(const Shape& shape, float spacing) {
  const int64_t n = shape.numel();
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[i] = spacing * static_cast<float>((i * 37) % n) - spacing * n / 2;
  return Tensor::from_vector(values, shape);
}

// --- minibatch discrimination by hand ---------------------------------------------------

// m: (3 samples, 2 features, 2 dims).
//   feature 0: (0, 1), (1, 1), (0, 3): distances d01 = 1, d02 = 2, d12 = 3
//   feature 1: (2, 0), (2, 0.5), (-1, 0): d01 = 0.5, d02 = 3, d12 = 3.5
const std::vector<float> kM{0, 1, 2, 0, 1, 1, 2, 0.5f, 0, 3, -1, 0};

TEST(MinibatchDiscrimination, ForwardByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor m = Tensor::from_vector(kM, {3, 2, 2});
  Tensor out = Tensor::empty({3, 2});
  minibatch_discrimination_forward(ctx, m, out);
  // Each sample is at distance 0 from itself: the 1 in every sum.
  const std::vector<float> expected{1 + e(-1) + e(-2), 1 + e(-0.5) + e(-3),    // sample 0
                                    e(-1) + 1 + e(-3), e(-0.5) + 1 + e(-3.5),  // sample 1
                                    e(-2) + e(-3) + 1, e(-3) + e(-3.5) + 1};   // sample 2
  EXPECT_TRUE(testing::all_close(out.to_vector(), expected, 1e-6, 1e-6));
}

TEST(MinibatchDiscrimination, BackwardByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor m = Tensor::from_vector(kM, {3, 2, 2});
  // dout: feature 0 (1, 2, 0.5), feature 1 (0.5, -1, 2), per sample.
  const Tensor dout = Tensor::from_vector({1, 0.5f, 2, -1, 0.5f, 2}, {3, 2});
  Tensor dm = Tensor::empty({3, 2, 2});
  minibatch_discrimination_backward(ctx, m, dout, dm);
  // dm[i,f,v] = -Σ_j (dout_i + dout_j) e^{-d_ij} sign(m_iv - m_jv), term by term:
  //   f0 v0 (0, 1, 0):  i0: j1 -(1+2)e^-1·(-1);  i1: j0 -(2+1)e^-1, j2 -(2+0.5)e^-3;  i2: j1 -(0.5+2)e^-3·(-1)
  //   f0 v1 (1, 1, 3):  i0: j2 -(1+0.5)e^-2·(-1);  i1: j2 -(2+0.5)e^-3·(-1);  i2: j0 -(0.5+1)e^-2, j1 -(0.5+2)e^-3
  //   f1 v0 (2, 2, -1): i0: j2 -(0.5+2)e^-3;  i1: j2 -(-1+2)e^-3.5;  i2: j0 +(2+0.5)e^-3, j1 +(2-1)e^-3.5
  //   f1 v1 (0, .5, 0): i0: j1 -(0.5-1)e^-.5·(-1);  i1: j0 -(-1+0.5)e^-.5, j2 -(-1+2)e^-3.5;  i2: j1 +(2-1)e^-3.5
  const std::vector<float> expected{
      3 * e(-1),              1.5f * e(-2),                 -2.5f * e(-3),             -0.5f * e(-0.5),
      -3 * e(-1) - 2.5f * e(-3), 2.5f * e(-3),              -e(-3.5),                  0.5f * e(-0.5) - e(-3.5),
      2.5f * e(-3),           -1.5f * e(-2) - 2.5f * e(-3), 2.5f * e(-3) + e(-3.5),    e(-3.5)};
  EXPECT_TRUE(testing::all_close(dm.to_vector(), expected, 1e-6, 1e-5));
  // Moving every sample by the same amount changes nothing: the gradient sums to zero over the batch.
  const std::vector<float> g = dm.to_vector();
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(g[k] + g[4 + k] + g[8 + k], 0.0, 1e-6) << k;
}

TEST(MinibatchDiscrimination, SingleSampleAndBadShapes) {
  Context ctx(Device::cpu(), 0);
  Tensor out = Tensor::empty({1, 2}), dm = Tensor::empty({1, 2, 3});
  const Tensor m = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  minibatch_discrimination_forward(ctx, m, out);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{1, 1}));  // alone in its batch
  minibatch_discrimination_backward(ctx, m, Tensor::from_vector({3, 4}, {1, 2}), dm);
  EXPECT_EQ(dm.to_vector(), std::vector<float>(6, 0.0f));
  Tensor wrong = Tensor::empty({2, 2});
  EXPECT_THROW(minibatch_discrimination_forward(ctx, m, wrong), Error);
  EXPECT_THROW(minibatch_discrimination_forward(ctx, Tensor::zeros({1, 6}), out), Error);
  EXPECT_NE(testing::error_message_of([&] { minibatch_discrimination_backward(ctx, m, wrong, dm); }).find("dout"),
            std::string::npos);
}

// --- attention combine by hand -----------------------------------------------------------

TEST(AttentionCombine, ForwardAndBackwardByHand) {
  Context ctx(Device::cpu(), 0);
  // One sample, 2 channels, 1×2 pixels. Pixel 0: logits (0, ln 3) -> weights
  // (1/4, 3/4); pixel 1: logits (1, 1) -> (1/2, 1/2).
  const Tensor x = Tensor::from_vector({4, 2, 8, -2}, {1, 2, 1, 2});
  const Tensor logits = Tensor::from_vector({0, 1, std::log(3.0f), 1}, {1, 2, 1, 2});
  Tensor y = Tensor::empty({1, 1, 1, 2});
  attention_combine_forward(ctx, x, logits, y);
  EXPECT_TRUE(testing::all_close(y.to_vector(), {0.25f * 4 + 0.75f * 8, 0.5f * 2 - 0.5f * 2}, 1e-6, 1e-6));
  // dx_c = dy·p_c; dlogits_c = dy·p_c·(x_c - y), with y = (7, 0) and dy = (2, 1).
  Tensor dx = Tensor::empty(x.shape()), dlogits = Tensor::empty(x.shape());
  attention_combine_backward(ctx, x, logits, Tensor::from_vector({2, 1}, {1, 1, 1, 2}), dx, dlogits);
  EXPECT_TRUE(testing::all_close(dx.to_vector(), {2 * 0.25f, 1 * 0.5f, 2 * 0.75f, 1 * 0.5f}, 1e-6, 1e-6));
  EXPECT_TRUE(testing::all_close(dlogits.to_vector(),
                                 {2 * 0.25f * (4 - 7), 1 * 0.5f * (2 - 0), 2 * 0.75f * (8 - 7), 1 * 0.5f * (-2 - 0)},
                                 1e-6, 1e-5));
}

TEST(AttentionCombine, HugeLogitsAndBadShapes) {
  Context ctx(Device::cpu(), 0);
  // CaloGAN's -10 and far beyond: the largest logit is subtracted first, so nothing overflows.
  const Tensor x = Tensor::from_vector({5, 7, 9}, {1, 3, 1, 1});
  Tensor y = Tensor::empty({1, 1, 1, 1});
  attention_combine_forward(ctx, x, Tensor::from_vector({1000, -1000, 1000}, {1, 3, 1, 1}), y);
  EXPECT_NEAR(y.to_vector()[0], 7.0f, 1e-5);
  attention_combine_forward(ctx, x, Tensor::from_vector({0, -10, -10}, {1, 3, 1, 1}), y);
  EXPECT_NEAR(y.to_vector()[0], (5 + e(-10) * 16) / (1 + 2 * e(-10)), 1e-5);
  Tensor wrong = Tensor::empty({1, 3, 1, 1});
  EXPECT_THROW(attention_combine_forward(ctx, x, x, wrong), Error);
  EXPECT_THROW(attention_combine_forward(ctx, x, Tensor::zeros({1, 2, 1, 1}), y), Error);
}

// --- per-sample reductions by hand -------------------------------------------------------------

TEST(PerSample, SumAndItsBackwardByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, -1, 0.5f, 4}, {2, 1, 3});
  Tensor out = Tensor::empty({2, 1});
  sum_per_sample(ctx, x, out);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{6, 3.5f}));
  Tensor dx = Tensor::empty(x.shape());
  sum_per_sample_backward(ctx, Tensor::from_vector({2, -1}, {2, 1}), dx);
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{2, 2, 2, -1, -1, -1}));
  Tensor wrong = Tensor::empty({2});
  EXPECT_THROW(sum_per_sample(ctx, x, wrong), Error);
  EXPECT_THROW(sum_per_sample_backward(ctx, Tensor::zeros({3, 1}), dx), Error);
}

TEST(PerSample, FractionAboveByHand) {
  Context ctx(Device::cpu(), 0);
  const Tensor x = Tensor::from_vector({1, 2, 3, -1, 0.5f, 4, 0, 0, 0}, {3, 3});
  Tensor out = Tensor::empty({3, 1});
  fraction_above(ctx, x, 0.5f, out);  // strictly above: 0.5 itself does not count
  EXPECT_TRUE(testing::all_close(out.to_vector(), {1.0f, 1.0f / 3, 0.0f}, 0, 1e-7));
  fraction_above(ctx, x, -5.0f, out);
  EXPECT_EQ(out.to_vector(), (std::vector<float>{1, 1, 1}));
  EXPECT_THROW(fraction_above(ctx, x, NAN, out), Error);
}

// --- gradient checks -------------------------------------------------------------------------

TEST(GanOpsGradient, MinibatchDiscriminationMatchesCentralDifferences) {
  Context ctx(Device::cpu(), 11);
  const Shape shape{6, 3, 4};
  // Spaced 0.02 apart (range ±0.7): far more than the steps below move two
  // samples towards each other, and close enough that no pair is negligible.
  Tensor m = spaced_values(shape, 0.02f);
  const Tensor r = random_tensor(ctx, {6, 3});
  Tensor out = Tensor::empty({6, 3}), dm = Tensor::empty(shape);
  const auto forward = [&] {
    minibatch_discrimination_forward(ctx, m, out);
    return out;
  };
  minibatch_discrimination_backward(ctx, m, r, dm);
  const testing::GradCheck check =
      testing::directional_check([&] { return testing::project(forward(), r); }, m, dm, 12);
  EXPECT_LT(check.relative_error(), 2e-3) << check.str();
  // Element by element too, each step (5e-3) well inside the spacing.
  EXPECT_TRUE(testing::gradient_matches(forward, m, r, dm, 5e-3f, 1e-3, 1e-2));
}

TEST(GanOpsGradient, AttentionCombineMatchesCentralDifferences) {
  Context ctx(Device::cpu(), 13);
  const Shape shape{2, 3, 4, 5};
  Tensor x = random_tensor(ctx, shape), logits = random_tensor(ctx, shape, 2.0f);
  const Tensor r = random_tensor(ctx, {2, 1, 4, 5});
  Tensor y = Tensor::empty(r.shape()), dx = Tensor::empty(shape), dlogits = Tensor::empty(shape);
  const auto loss = [&] {
    attention_combine_forward(ctx, x, logits, y);
    return testing::project(y, r);
  };
  attention_combine_backward(ctx, x, logits, r, dx, dlogits);
  const testing::GradCheck check_x = testing::directional_check(loss, x, dx, 14);
  EXPECT_LT(check_x.relative_error(), 2e-3) << "x: " << check_x.str();
  const testing::GradCheck check_logits = testing::directional_check(loss, logits, dlogits, 15);
  EXPECT_LT(check_logits.relative_error(), 2e-3) << "logits: " << check_logits.str();
}

TEST(GanOpsGradient, SumPerSampleMatchesCentralDifferences) {
  Context ctx(Device::cpu(), 16);
  Tensor x = random_tensor(ctx, {4, 3, 5});
  const Tensor r = random_tensor(ctx, {4, 1});
  Tensor out = Tensor::empty({4, 1}), dx = Tensor::empty(x.shape());
  const auto loss = [&] {
    sum_per_sample(ctx, x, out);
    return testing::project(out, r);
  };
  sum_per_sample_backward(ctx, r, dx);
  const testing::GradCheck check = testing::directional_check(loss, x, dx, 17);
  EXPECT_LT(check.relative_error(), 2e-3) << check.str();
}

// --- CUDA against the CPU -----------------------------------------------------------------------

template <typename D>
class GanOpsDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(GanOpsDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(GanOpsDevice, MinibatchDiscriminationMatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 21), ctx(dev, 21);
  struct Case {
    int64_t n, f, v;
  };
  // A partial tile of samples; CaloGAN's 10×10 at a large batch; rows long
  // enough that the backward runs fewer warps, and longer than the default
  // shared memory allows.
  for (const Case k : {Case{70, 3, 5}, Case{1030, 10, 10}, Case{45, 2, 100}, Case{40, 2, 300}}) {
    if (dev.is_cpu() && k.n > 100) continue;  // the CPU against itself: the small cases say all there is
    const Shape shape{k.n, k.f, k.v};
    // Spread so that distances (about 1.13·stddev·V) are near 2 at every V:
    // most pairs then count, rather than the sums being 1 and the gradients 0.
    const Tensor m = random_tensor(cpu, shape, 2.0f / static_cast<float>(k.v)), dout = random_tensor(cpu, {k.n, k.f});
    Tensor out = Tensor::empty({k.n, k.f}), dm = Tensor::empty(shape);
    minibatch_discrimination_forward(cpu, m, out);
    minibatch_discrimination_backward(cpu, m, dout, dm);
    Tensor out_d = Tensor::empty({k.n, k.f}, dev), dm_d = Tensor::empty(shape, dev);
    const Tensor m_d = m.to(dev), dout_d = dout.to(dev);
    minibatch_discrimination_forward(ctx, m_d, out_d);
    minibatch_discrimination_backward(ctx, m_d, dout_d, dm_d);
    const std::string name = std::to_string(k.n) + "x" + std::to_string(k.f) + "x" + std::to_string(k.v);
    EXPECT_TRUE(testing::all_close(out_d.to(Device::cpu()), out, 1e-4, 1e-4)) << name;
    EXPECT_TRUE(testing::all_close(dm_d.to(Device::cpu()), dm, 1e-4, 1e-3)) << name;
    // No atomics: a second run gives the same bits.
    const std::vector<float> first = dm_d.to_vector();
    minibatch_discrimination_backward(ctx, m_d, dout_d, dm_d);
    EXPECT_EQ(dm_d.to_vector(), first) << name;
  }
}

TYPED_TEST(GanOpsDevice, AttentionCombineMatchesCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 22), ctx(dev, 22);
  for (const Shape shape : {Shape{7, 2, 12, 12}, Shape{5, 3, 3, 96}}) {
    const Tensor x = random_tensor(cpu, shape), logits = random_tensor(cpu, shape, 3.0f);
    Shape out_shape{shape[0], 1, shape[2], shape[3]};
    const Tensor dy = random_tensor(cpu, out_shape);
    Tensor y = Tensor::empty(out_shape), dx = Tensor::empty(shape), dlogits = Tensor::empty(shape);
    attention_combine_forward(cpu, x, logits, y);
    attention_combine_backward(cpu, x, logits, dy, dx, dlogits);
    Tensor y_d = Tensor::empty(out_shape, dev), dx_d = Tensor::empty(shape, dev), dlogits_d = Tensor::empty(shape, dev);
    attention_combine_forward(ctx, x.to(dev), logits.to(dev), y_d);
    attention_combine_backward(ctx, x.to(dev), logits.to(dev), dy.to(dev), dx_d, dlogits_d);
    EXPECT_TRUE(testing::all_close(y_d.to(Device::cpu()), y, 1e-5, 1e-4)) << shape.str();
    EXPECT_TRUE(testing::all_close(dx_d.to(Device::cpu()), dx, 1e-5, 1e-4)) << shape.str();
    EXPECT_TRUE(testing::all_close(dlogits_d.to(Device::cpu()), dlogits, 1e-5, 1e-4)) << shape.str();
  }
}

TYPED_TEST(GanOpsDevice, PerSampleReductionsMatchCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 23), ctx(dev, 23);
  // The three CaloGAN layers' sizes, and one sample larger than a block.
  for (const Shape shape : {Shape{33, 3, 96}, Shape{17, 12, 12}, Shape{9, 12, 6}, Shape{3, 1, 50, 60}}) {
    const Tensor x = random_tensor(cpu, shape);
    const Tensor dout = random_tensor(cpu, {shape[0], 1});
    Tensor sums = Tensor::empty({shape[0], 1}), fractions = Tensor::empty({shape[0], 1}), dx = Tensor::empty(shape);
    sum_per_sample(cpu, x, sums);
    fraction_above(cpu, x, 0.3f, fractions);
    sum_per_sample_backward(cpu, dout, dx);
    Tensor sums_d = Tensor::empty({shape[0], 1}, dev), fractions_d = Tensor::empty({shape[0], 1}, dev),
           dx_d = Tensor::empty(shape, dev);
    const Tensor x_d = x.to(dev);
    sum_per_sample(ctx, x_d, sums_d);
    fraction_above(ctx, x_d, 0.3f, fractions_d);
    sum_per_sample_backward(ctx, dout.to(dev), dx_d);
    EXPECT_TRUE(testing::all_close(sums_d.to(Device::cpu()), sums, 1e-5, 1e-5)) << shape.str();
    EXPECT_TRUE(testing::all_close(fractions_d.to(Device::cpu()), fractions, 0, 0)) << shape.str();
    EXPECT_TRUE(testing::all_close(dx_d.to(Device::cpu()), dx, 0, 0)) << shape.str();
  }
}

}  // namespace
}  // namespace jetimg
