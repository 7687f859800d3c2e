// GAN layers (minibatch discrimination, inpainting attention): forward by
// hand, central-difference checks of the layers and of networks holding
// them, configs read strictly and written back complete, checkpoints, and
// CUDA against the CPU from the same seed.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/gan_ops.h"
#include "core/ops.h"
#include "models/checkpoint.h"
#include "models/gan_layers.h"
#include "models/sequential.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

void set(Tensor* t, const std::vector<float>& values) { t->copy_from(Tensor::from_vector(values, t->shape())); }

float e(double t) { return static_cast<float>(std::exp(t)); }

Tensor random_tensor(Context& ctx, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  random_normal(ctx, t, 0, 1);
  return t;
}

std::vector<std::string> names_of(const std::vector<NamedTensor>& list) {
  std::vector<std::string> names;
  for (const NamedTensor& t : list) names.push_back(t.name);
  return names;
}

std::string error_of(const std::string& layer, const std::string& shape) {
  const std::string dir = testing::scratch_dir("gan_nets");
  const std::string path = testing::write_text_file(
      dir, "net.json", R"({"input_shape": )" + shape + R"(, "layers": [{"type": "flatten"}, )" + layer + "]}");
  return testing::error_message_of([&] {
    Context ctx(Device::cpu(), 1);
    load_sequential(ctx, path);
  });
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- MinibatchDiscrimination ----------------------------------------------------------------

TEST(MinibatchDiscriminationLayer, ForwardByHandThroughAnIdentityKernel) {
  Context ctx(Device::cpu(), 1);
  MinibatchDiscrimination layer(ctx, 4, 2, 2, {ActivationKind::Linear, 0});
  ASSERT_EQ(layer.parameters()[0].tensor->shape(), (Shape{4, 4}));
  ASSERT_EQ(layer.parameters()[1].tensor->shape(), (Shape{4}));
  set(layer.parameters()[0].tensor, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  // Rows are samples; columns f·V + v: feature 0 is (x0, x1), feature 1 is (x2, x3).
  const Tensor x = Tensor::from_vector({0, 1, 2, 0, 1, 1, 2, 0.5f, 0, 3, -1, 0}, {3, 4});
  const std::vector<float> expected{1 + e(-1) + e(-2), 1 + e(-0.5) + e(-3), e(-1) + 1 + e(-3),
                                    e(-0.5) + 1 + e(-3.5), e(-2) + e(-3) + 1, e(-3) + e(-3.5) + 1};
  EXPECT_TRUE(testing::all_close(layer.forward(ctx, x).to_vector(), expected, 1e-6, 1e-6));
  // The bias moves every sample alike, so no distance and no output changes.
  set(layer.parameters()[1].tensor, {5, -3, 2, 1});
  EXPECT_TRUE(testing::all_close(layer.forward(ctx, x).to_vector(), expected, 1e-6, 1e-6));
  const Tensor dy = Tensor::from_vector({1, 0.5f, 2, -1, 0.5f, 2}, {3, 2});
  const Tensor dx = layer.backward(ctx, dy);
  Context cpu(Device::cpu(), 0);
  Tensor dm = Tensor::empty({3, 2, 2});
  minibatch_discrimination_backward(cpu, x.view({3, 2, 2}), dy, dm);
  EXPECT_TRUE(testing::all_close(dx.to_vector(), dm.to_vector(), 1e-7, 1e-6));  // the identity kernel passes dm on
  for (float g : layer.gradients()[1].tensor->to_vector()) EXPECT_NEAR(g, 0.0f, 1e-6);

  MinibatchDiscrimination with_tanh(ctx, 4, 2, 2);
  set(with_tanh.parameters()[0].tensor, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  std::vector<float> squashed;
  for (float v : expected) squashed.push_back(std::tanh(v));
  EXPECT_TRUE(testing::all_close(with_tanh.forward(ctx, x).to_vector(), squashed, 1e-6, 1e-6));
  EXPECT_EQ(with_tanh.output_shape({4}), SampleShape{2});
  EXPECT_THROW(with_tanh.forward(ctx, Tensor::zeros({3, 5})), Error);
  EXPECT_THROW(with_tanh.backward(ctx, Tensor::zeros({3, 3})), Error);
}

// The smallest |m[i, v] - m[j, v]| over pairs of samples, m = x · weight:
// a gradient check is only sound when no step comes near a kink of |·|
// (the bias cancels in every difference, so it plays no part).
float smallest_gap(const Tensor& x, const Tensor& weight) {
  const int64_t n = x.dim(0), in = x.dim(1), columns = weight.dim(1);
  const std::vector<float> xv = x.to_vector(), w = weight.to_vector();
  std::vector<double> m(static_cast<size_t>(n * columns), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < in; ++k)
      for (int64_t c = 0; c < columns; ++c) m[i * columns + c] += double(xv[i * in + k]) * w[k * columns + c];
  double gap = 1e30;
  for (int64_t c = 0; c < columns; ++c)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j) gap = std::min(gap, std::abs(m[i * columns + c] - m[j * columns + c]));
  return static_cast<float>(gap);
}

// check_layer_gradients, with the minibatch layer's bias (named `bias`)
// checked absolutely: it cancels in every distance, so its gradient is zero
// and its numeric derivative rounding noise around zero.
void expect_gradients_match(Layer& layer, const Tensor& x, uint64_t seed, const std::string& bias) {
  for (const auto& [name, check] : testing::check_layer_gradients(layer, x, seed)) {
    if (name == bias) {
      EXPECT_LT(std::abs(check.analytic), 1e-6) << name << ": " << check.str();
      EXPECT_LT(std::abs(check.numeric), 1e-3) << name << ": " << check.str();  // about ε·|L|/h
    } else {
      EXPECT_LT(check.relative_error(), 2e-3) << layer.type() << " d/d" << name << ": " << check.str();
    }
  }
}

// Steps of 1e-3 along unit-normal directions move a difference m[i] - m[j]
// by well under 0.01 at these sizes, so each check takes the first seed
// whose input and weights keep every pair 0.02 apart.
constexpr float kSafeGap = 0.02f;

TEST(MinibatchDiscriminationLayer, GradientsMatchCentralDifferences) {
  struct Case {
    int64_t features, dims;
    ActivationParams activation;
    bool use_bias;
  };
  for (const Case k : {Case{3, 4, {ActivationKind::Tanh, 0}, true}, Case{2, 3, {ActivationKind::Linear, 0}, true},
                       Case{4, 2, {ActivationKind::Tanh, 0}, false}}) {
    bool checked = false;
    for (uint64_t seed = 100; seed < 200 && !checked; ++seed) {
      Context ctx(Device::cpu(), seed);
      const Tensor x = random_tensor(ctx, {5, 5});
      MinibatchDiscrimination layer(ctx, 5, k.features, k.dims, k.activation, Init::GlorotUniform, k.use_bias);
      if (smallest_gap(x, *layer.parameters()[0].tensor) < kSafeGap) continue;
      if (!k.use_bias) EXPECT_EQ(names_of(layer.parameters()), std::vector<std::string>{"weight"});
      expect_gradients_match(layer, x, seed, "bias");
      checked = true;
    }
    EXPECT_TRUE(checked) << "no seed gave a draw away from the kinks";
  }
}

const char* kDiscriminator = R"({"input_shape": [4, 5], "layers": [
    {"type": "flatten"},
    {"type": "minibatch_discrimination", "features": 3, "dims": 2},
    {"type": "dense", "units": 1}]})";

TEST(MinibatchDiscriminationLayer, BuildsFromJsonAndWritesItsConfigBackComplete) {
  Context ctx(Device::cpu(), 3);
  Sequential net = sequential_from_json(ctx, Json::parse(kDiscriminator), "net.json");
  EXPECT_EQ(net.output_shape(), SampleShape{1});
  const Json config = net.layer_configs();
  EXPECT_EQ(config[1], Json::parse(R"({"type": "minibatch_discrimination", "features": 3, "dims": 2,
      "activation": "tanh", "init": "glorot_uniform", "use_bias": true})"));
  Sequential again(ctx, config, net.input_shape());
  EXPECT_EQ(again.layer_configs(), config);
  EXPECT_EQ(names_of(net.parameters()), (std::vector<std::string>{"1.weight", "1.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(net.parameters()[0].tensor->shape(), (Shape{20, 6}));
  // Defaults: CaloGAN's 10 features of 10 dims.
  Sequential defaults(ctx, Json::parse(R"([{"type": "minibatch_discrimination", "activation": "linear",
      "use_bias": false}])"), {7});
  EXPECT_EQ(defaults.output_shape(), SampleShape{10});
  EXPECT_EQ(defaults.layer_configs()[0]["dims"], 10);
  EXPECT_EQ(names_of(defaults.parameters()), std::vector<std::string>{"0.weight"});
  EXPECT_EQ(defaults.parameters()[0].tensor->shape(), (Shape{7, 100}));
}

TEST(MinibatchDiscriminationLayer, NetworkGradientsAndCheckpointRoundTrip) {
  bool checked = false;
  for (uint64_t seed = 400; seed < 500 && !checked; ++seed) {
    Context ctx(Device::cpu(), seed);
    Sequential net = sequential_from_json(ctx, Json::parse(kDiscriminator), "net.json");
    const Tensor x = random_tensor(ctx, {4, 4, 5});
    if (smallest_gap(x.view({4, 20}), *net.parameters()[0].tensor) < kSafeGap) continue;
    testing::NetworkAsLayer layer(net);
    expect_gradients_match(layer, x, seed, "1.bias");
    checked = true;
  }
  EXPECT_TRUE(checked) << "no seed gave a draw away from the kinks";

  Context ctx(Device::cpu(), 4);
  Sequential net = sequential_from_json(ctx, Json::parse(kDiscriminator), "net.json");

  const std::string path = testing::scratch_dir("gan_ckpt") + "/discriminator.h5";
  for (const NamedTensor& p : net.parameters()) random_normal(ctx, *p.tensor, 0, 0.3f);
  net.set_training(false);
  const Tensor x = random_tensor(ctx, {6, 4, 5});
  const Tensor before = net.forward(ctx, x).clone();
  save_checkpoint(path, "model", {{"model", &net, nullptr}}, TrainState{});
  std::unique_ptr<Model> model = CheckpointFile(path).load_model(ctx, "model");
  Sequential& loaded = dynamic_cast<Sequential&>(*model);
  EXPECT_EQ(loaded.layer_configs(), net.layer_configs());
  EXPECT_TRUE(testing::all_close(loaded.forward(ctx, x), before, 0, 0));
}

TEST(MinibatchDiscriminationLayer, BadConfigsNameTheFileAndTheKey) {
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "features": 0})", "[4]"),
                       "net.json: 'layers[1].features' must be in [1, 65536], got 0"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "dims": -2})", "[4]"),
                       "'layers[1].dims' must be in [1, 65536]"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "features": 100000000})", "[4]"),
                       "'layers[1].features' must be in [1, 65536], got 100000000"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "kernels": 5})", "[4]"),
                       "net.json: unknown key 'layers[1].kernels'"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "activation": "swish"})", "[4]"),
                       "'layers[1].activation': unknown activation 'swish'"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "use_bias": "yes"})", "[4]"),
                       "'layers[1].use_bias'"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch_discrimination", "slope": 0.1})", "[4]"),
                       "unknown key 'layers[1].slope'"));
  EXPECT_TRUE(contains(error_of(R"({"type": "reshape", "shape": [2, 2]}, {"type": "minibatch_discrimination"})", "[4]"),
                       "'layers[2]' (minibatch_discrimination) needs flat inputs"));
  EXPECT_TRUE(contains(error_of(R"({"type": "minibatch"})", "[4]"), "minibatch_discrimination, inpainting_attention"));
}

// --- InpaintingAttention -------------------------------------------------------------------------

TEST(InpaintingAttentionLayer, StartsByAllButIgnoringTheCarriedOverImage) {
  Context ctx(Device::cpu(), 5);
  InpaintingAttention layer(ctx, {2, 3, 4}, 3, {}, Init::Zeros);
  ASSERT_EQ(layer.parameters()[0].tensor->shape(), (Shape{12, 18, 2}));  // (H·W, 3·3·C, C)
  ASSERT_EQ(layer.parameters()[1].tensor->shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(layer.parameters()[1].tensor->to_vector()[0], 0.0f);
  EXPECT_EQ(layer.parameters()[1].tensor->to_vector()[23], -10.0f);
  // Zero weights: the logits are the bias (0, -10) at every pixel.
  const Tensor x = random_tensor(ctx, {2, 2, 3, 4});
  const std::vector<float> xv = x.to_vector(), y = layer.forward(ctx, x).to_vector();
  ASSERT_EQ(y.size(), 24u);
  for (int n = 0; n < 2; ++n)
    for (int p = 0; p < 12; ++p) {
      const float own = xv[n * 24 + p], carried = xv[n * 24 + 12 + p];
      EXPECT_NEAR(y[n * 12 + p], (own + e(-10) * carried) / (1 + e(-10)), 1e-6) << n << " " << p;
    }
  EXPECT_EQ(layer.output_shape({2, 3, 4}), (SampleShape{1, 3, 4}));
  EXPECT_THROW(layer.forward(ctx, Tensor::zeros({1, 2, 4, 4})), Error);
}

TEST(InpaintingAttentionLayer, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 6);
  InpaintingAttention two(ctx, {2, 4, 5});
  random_normal(ctx, *two.parameters()[1].tensor, 0, 1);  // not the -10 that would flatten the softmax
  testing::expect_gradients_match(two, random_tensor(ctx, {3, 2, 4, 5}), 61);
  InpaintingAttention three(ctx, {3, 5, 4}, 5, {0.5f});
  testing::expect_gradients_match(three, random_tensor(ctx, {2, 3, 5, 4}), 62);
}

TEST(InpaintingAttentionLayer, ConfigsRoundTripAndBadOnesNameTheKey) {
  Context ctx(Device::cpu(), 7);
  Sequential net(ctx, Json::parse(R"([{"type": "inpainting_attention"}, {"type": "flatten"},
      {"type": "dense", "units": 1}])"), {2, 4, 5});
  EXPECT_EQ(net.layer_configs()[0], Json::parse(R"({"type": "inpainting_attention", "kernel_size": 3,
      "bias_init": [0, -10], "init": "glorot_uniform"})"));
  Sequential again(ctx, net.layer_configs(), {2, 4, 5});
  EXPECT_EQ(again.layer_configs(), net.layer_configs());
  EXPECT_EQ(names_of(net.parameters()), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  // Checked away from the starting -10, whose near-one-hot softmax leaves
  // gradients too small for a float central difference.
  random_normal(ctx, *net.parameters()[1].tensor, 0, 1);
  testing::NetworkAsLayer layer(net);
  for (const auto& [name, check] : testing::check_layer_gradients(layer, random_tensor(ctx, {2, 2, 4, 5}), 71))
    EXPECT_LT(check.relative_error(), 2e-3) << name << ": " << check.str();

  Sequential custom(ctx, Json::parse(R"([{"type": "inpainting_attention", "bias_init": -1, "kernel_size": 1}])"),
                    {3, 2, 2});
  EXPECT_EQ(custom.layer_configs()[0]["bias_init"], Json::parse("[-1, -1, -1]"));

  const auto bad = [](const std::string& layer, const std::string& shape) {
    const std::string path = testing::write_text_file(testing::scratch_dir("gan_nets"), "att.json",
                                                      R"({"input_shape": )" + shape + R"(, "layers": [)" + layer + "]}");
    return testing::error_message_of([&] {
      Context c(Device::cpu(), 1);
      load_sequential(c, path);
    });
  };
  EXPECT_TRUE(contains(bad(R"({"type": "inpainting_attention"})", "[1, 4, 4]"),
                       "att.json: 'layers[0]' (inpainting_attention): inpainting_attention: needs images (C, H, W) "
                       "with C >= 2"));
  EXPECT_TRUE(contains(bad(R"({"type": "inpainting_attention", "kernel_size": 2})", "[2, 4, 4]"),
                       "'layers[0].kernel_size' must be odd"));
  EXPECT_TRUE(contains(bad(R"({"type": "inpainting_attention", "bias_init": [1, 2, 3]})", "[2, 4, 4]"),
                       "bias_init has 3 values, but the input has 2 channels"));
  EXPECT_TRUE(contains(bad(R"({"type": "inpainting_attention", "bias_init": "low"})", "[2, 4, 4]"),
                       "'layers[0].bias_init' must be a number or a list of numbers"));
  EXPECT_TRUE(contains(bad(R"({"type": "inpainting_attention", "padding": 1})", "[2, 4, 4]"),
                       "unknown key 'layers[0].padding'"));
}

// --- CUDA against the CPU -------------------------------------------------------------------------

template <typename D>
class GanLayersDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(GanLayersDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(GanLayersDevice, NetworksMatchCpu) {
  const Device dev = this->device();
  const char* networks[] = {kDiscriminator, R"({"input_shape": [2, 12, 12], "layers": [
      {"type": "inpainting_attention"}, {"type": "flatten"},
      {"type": "minibatch_discrimination", "features": 4, "dims": 3}]})"};
  for (const char* text : networks) {
    Context cpu(Device::cpu(), 81), ctx(dev, 81);
    const Json json = Json::parse(text);
    Sequential net_cpu = sequential_from_json(cpu, json, "net.json"), net = sequential_from_json(ctx, json, "net.json");
    SampleShape input = net_cpu.input_shape();
    std::vector<int64_t> dims{40};
    dims.insert(dims.end(), input.begin(), input.end());
    const Tensor x = random_tensor(cpu, Shape(dims));
    const Tensor y_cpu = net_cpu.forward(cpu, x), y = net.forward(ctx, x.to(dev));
    EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-4, 1e-3)) << text;
    const Tensor dy = random_tensor(cpu, y_cpu.shape());
    const Tensor dx_cpu = net_cpu.backward(cpu, dy), dx = net.backward(ctx, dy.to(dev));
    EXPECT_TRUE(testing::all_close(dx.to(Device::cpu()), dx_cpu, 1e-4, 1e-3)) << text;
    const auto grads_cpu = net_cpu.gradients(), grads = net.gradients();
    for (size_t i = 0; i < grads.size(); ++i)
      EXPECT_TRUE(testing::all_close(grads[i].tensor->to(Device::cpu()), *grads_cpu[i].tensor, 1e-4, 1e-3))
          << text << " " << grads[i].name;
  }
}

}  // namespace
}  // namespace jetimg
