// Layers: hand-computed forward and backward on the CPU, central-difference
// gradient checks for inputs and parameters, initialisers, and CUDA against
// the CPU from the same seed.
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "models/batchnorm.h"
#include "models/dense.h"
#include "models/init.h"
#include "models/simple_layers.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

void set(Tensor* t, const std::vector<float>& values) { t->copy_from(Tensor::from_vector(values, t->shape())); }

TEST(DenseLayer, ForwardAndBackwardByHand) {
  Context ctx(Device::cpu(), 1);
  Dense dense(ctx, 3, 2);
  // weight (in, units) = [[1, 2], [3, 4], [5, 6]], bias = [0.5, -1]
  set(dense.parameters()[0].tensor, {1, 2, 3, 4, 5, 6});
  set(dense.parameters()[1].tensor, {0.5f, -1});
  const Tensor x = Tensor::from_vector({1, 0, -1, 2, 1, 0}, {2, 3});
  const Tensor y = dense.forward(ctx, x);
  // row 0: (1 - 5, 2 - 6) + b = (-3.5, -5); row 1: (2 + 3, 4 + 4) + b = (5.5, 7)
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-3.5f, -5, 5.5f, 7}));
  const Tensor dx = dense.backward(ctx, Tensor::from_vector({1, 0, 0, 2}, {2, 2}));
  // dx = dy · Wᵀ: row 0 = W[:, 0] = (1, 3, 5); row 1 = 2·W[:, 1] = (4, 8, 12)
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{1, 3, 5, 4, 8, 12}));
  // dW = xᵀ · dy: [[1, 4], [0, 2], [-1, 0]]; db = (1, 2)
  EXPECT_EQ(dense.gradients()[0].tensor->to_vector(), (std::vector<float>{1, 4, 0, 2, -1, 0}));
  EXPECT_EQ(dense.gradients()[1].tensor->to_vector(), (std::vector<float>{1, 2}));
  EXPECT_EQ(dense.output_shape({3}), SampleShape{2});
  EXPECT_THROW(dense.forward(ctx, Tensor::empty({2, 4})), Error);
}

TEST(DenseLayer, FusedActivationByHand) {
  Context ctx(Device::cpu(), 1);
  Dense dense(ctx, 2, 2, Init::Zeros, {ActivationKind::ReLU, 0});
  set(dense.parameters()[0].tensor, {1, -1, 1, 1});  // units: x0 + x1 and -x0 + x1
  set(dense.parameters()[1].tensor, {0, 0.5f});
  const Tensor x = Tensor::from_vector({1, 2, 3, -4}, {2, 2});
  // row 0: relu(3, 1.5) = (3, 1.5); row 1: relu(-1, -6.5) = (0, 0)
  EXPECT_EQ(dense.forward(ctx, x).to_vector(), (std::vector<float>{3, 1.5f, 0, 0}));
  const Tensor dx = dense.backward(ctx, Tensor::from_vector({1, 1, 1, 1}, {2, 2}));
  // Only row 0 passes the ReLU: dx row 0 = W·(1, 1) = (0, 2); row 1 = 0.
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 2, 0, 0}));
  EXPECT_EQ(dense.gradients()[1].tensor->to_vector(), (std::vector<float>{1, 1}));
  EXPECT_EQ(dense.config()["activation"], "relu");
}

TEST(MaxoutDenseLayer, ForwardAndBackwardByHand) {
  Context ctx(Device::cpu(), 1);
  MaxoutDense maxout(ctx, 2, 1, 2);
  // piece 0: x0 + 2·x1 + 0; piece 1: -x0 + 1
  set(maxout.parameters()[0].tensor, {1, -1, 2, 0});
  set(maxout.parameters()[1].tensor, {0, 1});
  const Tensor x = Tensor::from_vector({1, 1, -2, 0.5f}, {2, 2});
  // row 0: pieces (3, 0) -> 3 from piece 0; row 1: pieces (-1, 3) -> 3 from piece 1
  EXPECT_EQ(maxout.forward(ctx, x).to_vector(), (std::vector<float>{3, 3}));
  const Tensor dx = maxout.backward(ctx, Tensor::from_vector({2, 5}, {2, 1}));
  // row 0 through piece 0: 2·(1, 2); row 1 through piece 1: 5·(-1, 0)
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{2, 4, -5, 0}));
  // dW[i, k]: piece 0 sees row 0 (2·x0), piece 1 sees row 1 (5·x1)
  EXPECT_EQ(maxout.gradients()[0].tensor->to_vector(), (std::vector<float>{2, -10, 2, 2.5f}));
  EXPECT_EQ(maxout.gradients()[1].tensor->to_vector(), (std::vector<float>{2, 5}));
}

TEST(DenseLayer, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 2);
  Dense dense(ctx, 7, 5);
  random_normal(ctx, *dense.parameters()[1].tensor, 0, 1);  // a non-zero bias
  Tensor x = Tensor::empty({4, 7});
  random_normal(ctx, x, 0, 1);
  testing::expect_gradients_match(dense, x, 20);
}

TEST(DenseLayer, FusedActivationGradientsMatchCentralDifferences) {
  for (ActivationKind kind :
       {ActivationKind::Sigmoid, ActivationKind::Tanh, ActivationKind::LeakyReLU, ActivationKind::GELU}) {
    Context ctx(Device::cpu(), 21);
    Dense dense(ctx, 5, 4, Init::GlorotNormal, {kind, 0.2f});
    // Pre-activations of a leaky ReLU stay clear of its kink: with these
    // biases (±1) and small inputs, |z| > 0.3 for every unit.
    set(dense.parameters()[1].tensor, {1, -1, 1, -1});
    Tensor x = Tensor::empty({3, 5});
    random_uniform(ctx, x, -0.1f, 0.1f);
    testing::expect_gradients_match(dense, x, 22);
  }
}

TEST(MaxoutDenseLayer, GradientsMatchCentralDifferencesAwayFromTies) {
  Context ctx(Device::cpu(), 3);
  MaxoutDense maxout(ctx, 6, 4, 3);
  Tensor x = Tensor::empty({5, 6});
  random_normal(ctx, x, 0, 1);
  // Biases 1 apart per piece keep the pieces of every unit far from ties, so
  // the ±1e-3 steps of the check cannot change a winner; the random weights
  // still let different pieces win for different rows.
  std::vector<float> bias(12);
  for (int k = 0; k < 3; ++k)
    for (int u = 0; u < 4; ++u) bias[static_cast<size_t>(k * 4 + u)] = float((k + u) % 3);
  set(maxout.parameters()[1].tensor, bias);
  testing::expect_gradients_match(maxout, x, 30);
}

TEST(ActivationLayers, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 4);
  Tensor x = Tensor::empty({3, 8});
  random_uniform(ctx, x, 0.1f, 2.0f);  // ReLU's kink at 0 is avoided by sign flips below
  std::vector<float> v = x.to_vector();
  for (size_t i = 0; i < v.size(); i += 2) v[i] = -v[i];
  x = Tensor::from_vector(v, x.shape());
  for (ActivationKind kind :
       {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid, ActivationKind::Tanh,
        ActivationKind::GELU}) {
    ActivationLayer layer({kind, 0.3f});
    testing::expect_gradients_match(layer, x, 40);
  }
  SoftmaxLayer softmax;
  testing::expect_gradients_match(softmax, x, 41);
}

TEST(DropoutLayer, TrainingMasksAndInferenceIsIdentity) {
  Context ctx(Device::cpu(), 5);
  Dropout dropout(0.5f);
  Tensor x = Tensor::empty({40, 50});
  fill(ctx, x, 1.0f);
  const std::vector<float> y = dropout.forward(ctx, x).to_vector();
  int64_t zeros = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.0f || v == 2.0f) << v;
    zeros += v == 0.0f;
  }
  EXPECT_NEAR(zeros / 2000.0, 0.5, 0.05);
  // Backward passes dy through the same mask.
  const std::vector<float> dx = dropout.backward(ctx, x).to_vector();
  EXPECT_EQ(dx, y);
  dropout.set_training(false);
  EXPECT_EQ(dropout.forward(ctx, x).to_vector(), x.to_vector());
  EXPECT_EQ(dropout.backward(ctx, x).to_vector(), x.to_vector());
  EXPECT_THROW(Dropout(1.0f), Error);
}

TEST(FlattenLayer, KeepsRowMajorOrder) {
  Context ctx(Device::cpu(), 6);
  Flatten flatten;
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  const Tensor y = flatten.forward(ctx, x);
  EXPECT_EQ(y.shape(), (Shape{2, 4}));
  EXPECT_EQ(y.to_vector(), x.to_vector());
  EXPECT_EQ(flatten.backward(ctx, y).shape(), x.shape());
  EXPECT_EQ(flatten.output_shape({3, 5, 7}), SampleShape{105});
}

TEST(BatchNormLayer, TrainingUsesBatchStatisticsAndInferenceRunningOnes) {
  Context ctx(Device::cpu(), 9);
  BatchNorm bn(ctx, {2}, 0.5f, 1e-5f);
  EXPECT_EQ(bn.parameters()[0].tensor->to_vector(), (std::vector<float>{1, 1}));
  EXPECT_EQ(bn.buffers()[1].tensor->to_vector(), (std::vector<float>{1, 1}));
  const Tensor x = Tensor::from_vector({0, 10, 2, 10, 4, 10}, {3, 2});
  const std::vector<float> y = bn.forward(ctx, x).to_vector();
  // Feature 0: mean 2, variance 8/3 -> (-1, 0, 1)·sqrt(3/2); feature 1 is constant -> 0.
  const double s = 2 / std::sqrt(8.0 / 3 + 1e-5);
  EXPECT_TRUE(testing::all_close(y, {float(-s), 0, 0, 0, float(s), 0}, 1e-6, 1e-5));
  // Running statistics: 0.5·(0, 1) + 0.5·(mean, unbiased variance) = (1, 5) and (0.5·1 + 0.5·4, 0.5·1 + 0) .
  EXPECT_TRUE(testing::all_close(bn.buffers()[0].tensor->to_vector(), {1, 5}, 1e-6, 1e-6));
  EXPECT_TRUE(testing::all_close(bn.buffers()[1].tensor->to_vector(), {2.5f, 0.5f}, 1e-6, 1e-6));
  bn.set_training(false);
  const std::vector<float> inference = bn.forward(ctx, x).to_vector();
  EXPECT_NEAR(inference[0], (0 - 1) / std::sqrt(2.5 + 1e-5), 1e-5);
  EXPECT_NEAR(inference[1], (10 - 5) / std::sqrt(0.5 + 1e-5), 1e-4);
  EXPECT_THROW(bn.backward(ctx, x), Error);  // no batch statistics to differentiate
  EXPECT_THROW(BatchNorm(ctx, {4, 4}), Error);
}

TEST(BatchNormLayer, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 10);
  for (const SampleShape& sample : {SampleShape{4}, SampleShape{3, 2, 2}}) {
    BatchNorm bn(ctx, sample);
    random_normal(ctx, *bn.parameters()[0].tensor, 1, 0.5f);
    random_normal(ctx, *bn.parameters()[1].tensor, 0, 1);
    std::vector<int64_t> dims{5};
    dims.insert(dims.end(), sample.begin(), sample.end());
    Tensor x = Tensor::empty(Shape(dims));
    random_normal(ctx, x, 2, 3);
    testing::expect_gradients_match(bn, x, 50);
  }
}

TEST(ReshapeLayer, ResolvesMinusOneAndRestoresTheInputShape) {
  Context ctx(Device::cpu(), 6);
  Reshape reshape({1, -1, 5});
  EXPECT_EQ(reshape.output_shape({25}), (SampleShape{1, 5, 5}));
  const Tensor x = Tensor::from_vector(std::vector<float>(50, 1.0f), {2, 25});
  EXPECT_EQ(reshape.forward(ctx, x).shape(), (Shape{2, 1, 5, 5}));
  EXPECT_EQ(reshape.backward(ctx, Tensor::zeros({2, 1, 5, 5})).shape(), x.shape());
  EXPECT_THROW(reshape.output_shape({24}), Error);
  EXPECT_THROW(Reshape({-1, -1}).output_shape({4}), Error);
}

TEST(Initialisers, BoundsAndSpreadFollowTheFans) {
  Context ctx(Device::cpu(), 7);
  const int64_t fan_in = 400, fan_out = 200;
  Tensor w = Tensor::empty({fan_in, fan_out});
  const auto moments = [&] {
    const std::vector<float> v = w.to_vector();
    double mean = 0, square = 0, largest = 0;
    for (float x : v) mean += x, square += double(x) * x, largest = std::max(largest, double(std::abs(x)));
    mean /= v.size();
    return std::array<double, 3>{mean, std::sqrt(square / v.size() - mean * mean), largest};
  };
  initialise(ctx, w, Init::HeUniform, fan_in, fan_out);
  double limit = std::sqrt(6.0 / fan_in);
  auto m = moments();
  EXPECT_LE(m[2], limit);
  EXPECT_NEAR(m[1], limit / std::sqrt(3.0), 0.01 * limit);
  EXPECT_NEAR(m[0], 0, 0.01 * limit);

  initialise(ctx, w, Init::GlorotUniform, fan_in, fan_out);
  limit = std::sqrt(6.0 / (fan_in + fan_out));
  m = moments();
  EXPECT_LE(m[2], limit);
  EXPECT_GT(m[2], 0.99 * limit);
  EXPECT_NEAR(m[1], limit / std::sqrt(3.0), 0.01 * limit);

  initialise(ctx, w, Init::GlorotNormal, fan_in, fan_out);
  const double stddev = std::sqrt(2.0 / (fan_in + fan_out));
  m = moments();
  EXPECT_NEAR(m[1], stddev, 0.01 * stddev);
  EXPECT_NEAR(m[0], 0, 0.01 * stddev);

  initialise(ctx, w, Init::Zeros, fan_in, fan_out);
  EXPECT_EQ(moments()[2], 0.0);

  EXPECT_EQ(parse_init("he_uniform", "here"), Init::HeUniform);
  EXPECT_NE(testing::error_message_of([] { parse_init("xavier", "net.json: 'layers[1].init'"); })
                .find("net.json: 'layers[1].init': unknown initialiser 'xavier'"),
            std::string::npos);
}

// The same seed gives the same initial weights on every device, so a layer's
// forward and backward on CUDA can be compared with the CPU's directly.
template <typename D>
class LayersDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(LayersDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(LayersDevice, FusedDenseAndBatchNormMatchCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 98), ctx(dev, 98);
  Dense dense_cpu(cpu, 12, 9, Init::GlorotUniform, {ActivationKind::Tanh, 0});
  Dense dense(ctx, 12, 9, Init::GlorotUniform, {ActivationKind::Tanh, 0});
  BatchNorm bn_cpu(cpu, {9}), bn(ctx, {9});
  Tensor x_cpu = Tensor::empty({21, 12}), dy_cpu = Tensor::empty({21, 9});
  random_normal(cpu, x_cpu, 0, 1);
  random_normal(cpu, dy_cpu, 0, 1);
  const Tensor y_cpu = bn_cpu.forward(cpu, dense_cpu.forward(cpu, x_cpu));
  const Tensor y = bn.forward(ctx, dense.forward(ctx, x_cpu.to(dev)));
  EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-5, 1e-4));
  const Tensor dx_cpu = dense_cpu.backward(cpu, bn_cpu.backward(cpu, dy_cpu));
  const Tensor dx = dense.backward(ctx, bn.backward(ctx, dy_cpu.to(dev)));
  EXPECT_TRUE(testing::all_close(dx.to(Device::cpu()), dx_cpu, 1e-5, 1e-4));
  EXPECT_TRUE(testing::all_close(bn.buffers()[1].tensor->to(Device::cpu()), *bn_cpu.buffers()[1].tensor, 1e-6, 1e-5));
}

TYPED_TEST(LayersDevice, DenseAndMaxoutMatchCpu) {
  const Device dev = this->device();
  Context cpu(Device::cpu(), 99), ctx(dev, 99);
  Dense dense_cpu(cpu, 30, 20, Init::HeUniform), dense(ctx, 30, 20, Init::HeUniform);
  MaxoutDense maxout_cpu(cpu, 20, 8, 5, Init::GlorotNormal), maxout(ctx, 20, 8, 5, Init::GlorotNormal);
  EXPECT_TRUE(testing::all_close(dense.parameters()[0].tensor->to(Device::cpu()), *dense_cpu.parameters()[0].tensor,
                                 0, 0));
  EXPECT_TRUE(testing::all_close(maxout.parameters()[0].tensor->to(Device::cpu()),
                                 *maxout_cpu.parameters()[0].tensor, 1e-7, 1e-6));
  Tensor x_cpu = Tensor::empty({17, 30}), dy_cpu = Tensor::empty({17, 8});
  random_normal(cpu, x_cpu, 0, 1);
  random_normal(cpu, dy_cpu, 0, 1);
  const Tensor x = x_cpu.to(dev), dy = dy_cpu.to(dev);
  const Tensor y_cpu = maxout_cpu.forward(cpu, dense_cpu.forward(cpu, x_cpu));
  const Tensor y = maxout.forward(ctx, dense.forward(ctx, x));
  EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-5, 1e-4));
  const Tensor dx_cpu = dense_cpu.backward(cpu, maxout_cpu.backward(cpu, dy_cpu));
  const Tensor dx = dense.backward(ctx, maxout.backward(ctx, dy));
  EXPECT_TRUE(testing::all_close(dx.to(Device::cpu()), dx_cpu, 1e-5, 1e-4));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(testing::all_close(dense.gradients()[i].tensor->to(Device::cpu()), *dense_cpu.gradients()[i].tensor,
                                   1e-5, 1e-4));
    EXPECT_TRUE(testing::all_close(maxout.gradients()[i].tensor->to(Device::cpu()),
                                   *maxout_cpu.gradients()[i].tensor, 1e-5, 1e-4));
  }
}

}  // namespace
}  // namespace jetimg
