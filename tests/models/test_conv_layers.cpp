// Image layers: forward and backward by hand, central-difference checks of
// every layer and of a whole image network, configs read strictly and
// written back complete, the shipped CNN configs, and CUDA against the CPU
// from the same seed.
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "models/checkpoint.h"
#include "models/conv_layers.h"
#include "models/sequential.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

void set(Tensor* t, const std::vector<float>& values) { t->copy_from(Tensor::from_vector(values, t->shape())); }

Tensor random_images(Context& ctx, const Shape& shape) {
  Tensor x = Tensor::empty(shape);
  random_normal(ctx, x, 0, 1);
  return x;
}

std::string error_of(const std::string& json) {
  const std::string dir = testing::scratch_dir("nets");
  const std::string path = testing::write_text_file(dir, "net.json", json);
  return testing::error_message_of([&] {
    Context ctx(Device::cpu(), 1);
    load_sequential(ctx, path);
  });
}

int64_t parameter_count(Sequential& net) {
  int64_t total = 0;
  for (const NamedTensor& p : net.parameters()) total += p.tensor->numel();
  return total;
}

void expect_finite_nonzero_gradients(Sequential& net) {
  for (const NamedTensor& g : net.gradients()) {
    double norm = 0;
    for (float e : g.tensor->to_vector()) {
      ASSERT_TRUE(std::isfinite(e)) << g.name;
      norm += double(e) * e;
    }
    EXPECT_GT(norm, 0.0) << g.name;
  }
}

std::string shipped(const std::string& name) { return std::string(JETIMG_SOURCE_DIR) + "/configs/nets/" + name; }

// --- by hand ---------------------------------------------------------------------------

TEST(Conv2DLayer, ForwardAndBackwardByHand) {
  Context ctx(Device::cpu(), 1);
  Conv2D conv(ctx, {1, 3, 3}, 1, 2, 2, Conv2dParams{}, {ActivationKind::ReLU, 0});
  ASSERT_EQ(conv.parameters()[0].tensor->shape(), (Shape{1, 1, 2, 2}));
  set(conv.parameters()[0].tensor, {1, 2, 3, 4});
  set(conv.parameters()[1].tensor, {-50});
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  // Before the ReLU: (37, 47, 67, 77) - 50 = (-13, -3, 17, 27).
  EXPECT_EQ(conv.forward(ctx, x).to_vector(), (std::vector<float>{0, 0, 17, 27}));
  const Tensor dx = conv.backward(ctx, Tensor::from_vector({1, 1, 1, 1}, {1, 1, 2, 2}));
  // Only the two lower windows pass the ReLU.
  EXPECT_EQ(dx.to_vector(), (std::vector<float>{0, 0, 0, 1, 3, 2, 3, 7, 4}));
  EXPECT_EQ(conv.gradients()[0].tensor->to_vector(), (std::vector<float>{4 + 5, 5 + 6, 7 + 8, 8 + 9}));
  EXPECT_EQ(conv.gradients()[1].tensor->to_vector(), std::vector<float>{2});
  EXPECT_EQ(conv.output_shape({1, 3, 3}), (SampleShape{1, 2, 2}));
  EXPECT_THROW(conv.forward(ctx, Tensor::zeros({1, 2, 3, 3})), Error);
  EXPECT_THROW(conv.backward(ctx, Tensor::zeros({1, 1, 3, 3})), Error);
}

TEST(LocallyConnected2DLayer, ForwardByHandAndShapes) {
  Context ctx(Device::cpu(), 1);
  LocallyConnected2D lc(ctx, {1, 3, 3}, 1, {2, 2, 1, 1});
  ASSERT_EQ(lc.parameters()[0].tensor->shape(), (Shape{4, 4, 1}));
  ASSERT_EQ(lc.parameters()[1].tensor->shape(), (Shape{2, 2, 1}));
  set(lc.parameters()[0].tensor, {1, 0, 0, 1, 2, 0, 0, 1, 3, 0, 0, 1, 4, 0, 0, 1});
  set(lc.parameters()[1].tensor, {0, 0, 0, 1});
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  EXPECT_EQ(lc.forward(ctx, x).to_vector(), (std::vector<float>{6, 10, 20, 30}));
  // The weights belong to one image size.
  EXPECT_THROW(lc.forward(ctx, Tensor::zeros({1, 1, 4, 4})), Error);
}

TEST(PoolingLayers, ForwardByHand) {
  Context ctx(Device::cpu(), 1);
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Pool2D max_pool(Pool2D::Kind::Max, {2, 2, 1, 1}), avg_pool(Pool2D::Kind::Average, {2, 2, 0, 0});
  EXPECT_EQ(max_pool.forward(ctx, x).to_vector(), (std::vector<float>{5, 6, 8, 9}));
  EXPECT_EQ(avg_pool.forward(ctx, x).to_vector(), std::vector<float>{3});
  EXPECT_EQ(avg_pool.config(), Json::parse(R"({"type": "avg_pool2d", "pool_size": [2, 2], "strides": [2, 2]})"));
  UpSampling2D up({2, 1});
  EXPECT_EQ(up.forward(ctx, Tensor::from_vector({1, 2}, {1, 1, 1, 2})).to_vector(), (std::vector<float>{1, 2, 1, 2}));
  ZeroPadding2D pad({0, 1, 1, 0});
  EXPECT_EQ(pad.forward(ctx, Tensor::from_vector({7}, {1, 1, 1, 1})).to_vector(), (std::vector<float>{0, 7, 0, 0}));
  EXPECT_EQ(pad.output_shape({2, 3, 4}), (SampleShape{2, 4, 5}));
}

// --- central differences -----------------------------------------------------------------

TEST(ImageLayers, GradientsMatchCentralDifferences) {
  Context ctx(Device::cpu(), 3);
  const Tensor x = random_images(ctx, {2, 3, 7, 6});
  Conv2D conv(ctx, {3, 7, 6}, 4, 4, 3, {2, 1, Padding::Same}, {ActivationKind::Tanh, 0});
  random_normal(ctx, *conv.parameters()[1].tensor, 0, 1);
  testing::expect_gradients_match(conv, x, 31);
  LocallyConnected2D lc(ctx, {3, 7, 6}, 2, {3, 2, 2, 2}, {ActivationKind::Sigmoid, 0});
  random_normal(ctx, *lc.parameters()[1].tensor, 0, 1);
  testing::expect_gradients_match(lc, x, 32);
  Pool2D avg_pool(Pool2D::Kind::Average, {3, 2, 2, 1});
  testing::expect_gradients_match(avg_pool, x, 33);
  UpSampling2D up({2, 3});
  testing::expect_gradients_match(up, x, 34);
  ZeroPadding2D pad({2, 0, 1, 3});
  testing::expect_gradients_match(pad, x, 35);
  // Max pooling away from ties: values 0.05 apart, far more than the check's step moves them.
  std::vector<float> spaced(x.numel());
  for (size_t i = 0; i < spaced.size(); ++i) spaced[i] = 0.05f * static_cast<float>((i * 37) % spaced.size());
  Pool2D max_pool(Pool2D::Kind::Max, {2, 2, 1, 2});
  testing::expect_gradients_match(max_pool, Tensor::from_vector(spaced, x.shape()), 36);
}


const char* kEveryImageLayer = R"([
    {"type": "zero_padding2d", "padding": [[1, 0], [0, 1]]},
    {"type": "conv2d", "filters": 3, "kernel_size": [3, 2], "strides": [1, 2], "padding": "same",
     "activation": "tanh"},
    {"type": "avg_pool2d", "pool_size": [2, 1]},
    {"type": "up_sampling2d", "size": 2},
    {"type": "locally_connected2d", "filters": 2, "kernel_size": 3, "strides": 2, "activation": "sigmoid"},
    {"type": "max_pool2d"},
    {"type": "flatten"},
    {"type": "dense", "units": 1}])";

TEST(ImageNetwork, BuildsFromJsonAndWritesItsConfigBackComplete) {
  Context ctx(Device::cpu(), 4);
  Sequential net(ctx, Json::parse(kEveryImageLayer), {2, 9, 8});
  // (2, 9, 8) -> pad (2, 10, 9) -> conv (3, 10, 5) -> avg (3, 5, 5) -> up (3, 10, 10)
  // -> lc (2, 4, 4) -> max (2, 2, 2) -> flatten (8) -> dense (1)
  EXPECT_EQ(net.output_shape(), SampleShape{1});
  const Json config = net.layer_configs();
  EXPECT_EQ(config[1], Json::parse(R"({"type": "conv2d", "filters": 3, "kernel_size": [3, 2], "strides": [1, 2],
      "padding": "same", "activation": "tanh", "init": "glorot_uniform"})"));
  EXPECT_EQ(config[0]["padding"], Json::parse("[[1, 0], [0, 1]]"));
  EXPECT_EQ(config[5], Json::parse(R"({"type": "max_pool2d", "pool_size": [2, 2], "strides": [2, 2]})"));
  EXPECT_EQ(config[4]["kernel_size"], Json::parse("[3, 3]"));
  Sequential again(ctx, config, {2, 9, 8});
  EXPECT_EQ(again.layer_configs(), config);
  std::vector<std::string> names;
  for (const NamedTensor& p : net.parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"1.weight", "1.bias", "4.weight", "4.bias", "7.weight", "7.bias"}));
  EXPECT_EQ(net.parameters()[2].tensor->shape(), (Shape{16, 27, 2}));
}

TEST(ImageNetwork, GradientsThroughTheStackMatchCentralDifferences) {
  Context ctx(Device::cpu(), 5);
  Sequential net(ctx, Json::parse(kEveryImageLayer), {2, 9, 8});
  testing::NetworkAsLayer layer(net);
  for (const auto& [name, check] : testing::check_layer_gradients(layer, random_images(ctx, {3, 2, 9, 8}), 55))
    EXPECT_LT(check.relative_error(), 2e-3) << name << ": " << check.str();
}

TEST(ImageNetwork, BadConfigsNameTheFileAndTheKey) {
  const auto net = [](const std::string& layer, const std::string& shape = "[1, 5, 5]") {
    return error_of(R"({"input_shape": )" + shape + R"(, "layers": [)" + layer + "]}");
  };
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4})").find("net.json: required key 'layers[0].kernel_size' is missing"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "kernel_size": 3})").find("'layers[0].filters' is missing"), std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "full"})")
                .find("net.json: 'layers[0].padding' must be \"valid\" or \"same\""),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": 3, "dilation": 2})")
                .find("net.json: unknown key 'layers[0].dilation'"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": 3, "slope": 0.1})").find("unknown key 'layers[0].slope'"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": [3, 0]})")
                .find("net.json: 'layers[0].kernel_size' must be an integer or a list of two integers"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": [3, 3, 3]})").find("'layers[0].kernel_size' must be"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 0, "kernel_size": 3})").find("'layers[0].filters' must be in [1, "),
            std::string::npos);
  // Absurd sizes are refused by key before anything is allocated.
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 1000000000, "kernel_size": 3})")
                .find("'layers[0].filters' must be in [1, 65536], got 1000000000"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "up_sampling2d", "size": 100000})").find("'layers[0].size' must be an integer or"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "up_sampling2d", "size": 1000})", "[4, 25, 25]")
                .find("net.json: 'layers[0]' (up_sampling2d) makes samples of (4, 25000, 25000), more than 2^28"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": 9})")
                .find("net.json: 'layers[0]' (conv2d): conv2d: a 9x9 window does not fit the 5x5 input"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "swish"})")
                .find("'layers[0].activation': unknown activation 'swish'"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 4, "kernel_size": 3})", "[5, 5]")
                .find("needs images (C, H, W), but gets (5, 5); give the network input_shape [1, H, W]"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "locally_connected2d", "filters": 2, "kernel_size": 3, "padding": "same"})")
                .find("unknown key 'layers[0].padding'"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "max_pool2d", "pool_size": 6})").find("'layers[0]' (max_pool2d)"), std::string::npos);
  EXPECT_NE(net(R"({"type": "zero_padding2d", "padding": [[1, 2], [3]]})").find("'layers[0].padding' must be"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "zero_padding2d", "padding": -1})").find("'layers[0].padding' must be"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "up_sampling2d", "size": 0})").find("'layers[0].size' must be"), std::string::npos);
  EXPECT_NE(net(R"({"type": "conv3d"})").find("not a layer type (known: dense, "), std::string::npos);
  EXPECT_NE(net(R"({"type": "conv3d"})").find("conv2d, locally_connected2d"), std::string::npos);
}

// --- without a bias, and with a chosen starting bias -----------------------------------------

TEST(ImageLayersBias, WithoutABiasThereIsNoBiasParameter) {
  Context ctx(Device::cpu(), 9);
  const Tensor x = random_images(ctx, {2, 3, 7, 6});
  Conv2D conv(ctx, {3, 7, 6}, 4, 3, 3, {1, 1, Padding::Same}, {ActivationKind::Tanh, 0}, Init::GlorotUniform,
              BiasConfig{false, {}});
  ASSERT_EQ(conv.parameters().size(), 1u);
  EXPECT_EQ(conv.parameters()[0].name, "weight");
  EXPECT_EQ(conv.gradients().size(), 1u);
  EXPECT_EQ(conv.config()["use_bias"], false);
  testing::expect_gradients_match(conv, x, 91);
  LocallyConnected2D lc(ctx, {3, 7, 6}, 2, {3, 3, 1, 1}, {ActivationKind::Sigmoid, 0}, Init::GlorotUniform,
                        BiasConfig{false, {}});
  ASSERT_EQ(lc.parameters().size(), 1u);
  testing::expect_gradients_match(lc, x, 92);
  // A zero weight and no bias: every output is sigmoid(0).
  fill(ctx, *lc.parameters()[0].tensor, 0.0f);
  for (float v : lc.forward(ctx, x).to_vector()) EXPECT_EQ(v, 0.5f);
}

TEST(ImageLayersBias, BiasInitPerFilterIsBroadcastOverPositions) {
  Context ctx(Device::cpu(), 10);
  LocallyConnected2D lc(ctx, {2, 4, 4}, 2, {3, 3, 1, 1}, {ActivationKind::Linear, 0}, Init::GlorotUniform,
                        BiasConfig{true, {0, -10}});
  EXPECT_EQ(lc.parameters()[1].tensor->to_vector(), (std::vector<float>{0, -10, 0, -10, 0, -10, 0, -10}));
  EXPECT_EQ(lc.config()["bias_init"], Json::parse("[0, -10]"));
  EXPECT_FALSE(lc.config().contains("use_bias"));
  Conv2D conv(ctx, {2, 4, 4}, 3, 1, 1, {}, {ActivationKind::Linear, 0}, Init::GlorotUniform, BiasConfig{true, {0.5f}});
  EXPECT_EQ(conv.parameters()[1].tensor->to_vector(), (std::vector<float>{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(conv.config()["bias_init"], 0.5);
  // The plain layers' configs read as before the keys existed.
  Conv2D plain(ctx, {2, 4, 4}, 3, 1, 1, {});
  EXPECT_FALSE(plain.config().contains("use_bias"));
  EXPECT_FALSE(plain.config().contains("bias_init"));
  EXPECT_THROW(LocallyConnected2D(ctx, {2, 4, 4}, 2, {3, 3, 1, 1}, {ActivationKind::Linear, 0}, Init::GlorotUniform,
                                  BiasConfig{true, {1, 2, 3}}),
               Error);
}

const char* kWithoutBiases = R"({"input_shape": [2, 8, 8], "layers": [
    {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu", "use_bias": false},
    {"type": "locally_connected2d", "filters": 2, "kernel_size": 3, "use_bias": false},
    {"type": "locally_connected2d", "filters": 2, "kernel_size": 3, "bias_init": [0, -10]},
    {"type": "flatten"}, {"type": "dense", "units": 1}]})";

TEST(ImageLayersBias, ConfigsAndCheckpointsRoundTrip) {
  Context ctx(Device::cpu(), 11);
  Sequential net = sequential_from_json(ctx, Json::parse(kWithoutBiases), "net.json");
  std::vector<std::string> names;
  for (const NamedTensor& p : net.parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "1.weight", "2.weight", "2.bias", "4.weight", "4.bias"}));
  const Json config = net.layer_configs();
  EXPECT_EQ(config[0]["use_bias"], false);
  EXPECT_EQ(config[2]["bias_init"], Json::parse("[0, -10]"));
  Sequential again(ctx, config, net.input_shape());
  EXPECT_EQ(again.layer_configs(), config);
  testing::NetworkAsLayer layer(net);
  for (const auto& [name, check] : testing::check_layer_gradients(layer, random_images(ctx, {2, 2, 8, 8}), 111))
    EXPECT_LT(check.relative_error(), 2e-3) << name << ": " << check.str();

  const std::string path = testing::scratch_dir("ckpt") + "/no_bias.h5";
  for (const NamedTensor& p : net.parameters()) random_normal(ctx, *p.tensor, 0, 0.3f);
  net.set_training(false);
  const Tensor x = random_images(ctx, {3, 2, 8, 8});
  const Tensor before = net.forward(ctx, x).clone();
  save_checkpoint(path, "model", {{"model", &net, nullptr}}, TrainState{});
  std::unique_ptr<Model> model = CheckpointFile(path).load_model(ctx, "model");
  Sequential& loaded = dynamic_cast<Sequential&>(*model);
  EXPECT_EQ(loaded.layer_configs(), config);
  EXPECT_TRUE(testing::all_close(loaded.forward(ctx, x), before, 0, 0));
}

TEST(ImageLayersBias, BadBiasKeysNameTheKey) {
  const auto net = [](const std::string& layer) {
    return error_of(R"({"input_shape": [1, 5, 5], "layers": [)" + layer + "]}");
  };
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "use_bias": false, "bias_init": 1})")
                .find("net.json: 'layers[0].bias_init' is given, but 'layers[0].use_bias' is false"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "locally_connected2d", "filters": 2, "kernel_size": 3, "bias_init": [1, 2, 3]})")
                .find("'layers[0]' (locally_connected2d): locally_connected2d: bias_init has 3 values, but the layer "
                      "has 2 filters"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "bias_init": "zero"})")
                .find("'layers[0].bias_init' must be a number or a list of numbers"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "bias_init": [1e39]})")
                .find("each finite as a float"),
            std::string::npos);
  EXPECT_NE(net(R"({"type": "conv2d", "filters": 2, "kernel_size": 3, "use_bias": 0})").find("'layers[0].use_bias'"),
            std::string::npos);
}

// --- the shipped networks ----------------------------------------------------------------

TEST(ShippedNetworks, TopCnnBuildsAndTrainsOneStep) {
  Context ctx(Device::cpu(), 6);
  Sequential net = load_sequential(ctx, shipped("top_cnn.json"));
  EXPECT_EQ(net.input_shape(), (SampleShape{1, 40, 40}));
  EXPECT_EQ(net.output_shape(), SampleShape{1});
  // 136 + 1032 + 2064 + 4112 (conv) + 409664 + 16640 + 65792 + 257 (dense)
  EXPECT_EQ(parameter_count(net), 499697);
  const Tensor y = net.forward(ctx, random_images(ctx, {3, 1, 40, 40}));
  EXPECT_EQ(y.shape(), (Shape{3, 1}));
  const Tensor dx = net.backward(ctx, Tensor::from_vector({1, -1, 0.5f}, {3, 1}));
  EXPECT_EQ(dx.shape(), (Shape{3, 1, 40, 40}));
  expect_finite_nonzero_gradients(net);
  Sequential again(ctx, net.layer_configs(), net.input_shape());
  EXPECT_EQ(again.layer_configs(), net.layer_configs());
}

TEST(ShippedNetworks, LocallyConnectedWTaggerBuildsAndTrainsOneStep) {
  Context ctx(Device::cpu(), 7);
  Sequential net = load_sequential(ctx, shipped("w_locally_connected.json"));
  EXPECT_EQ(net.input_shape(), (SampleShape{1, 25, 25}));
  // (441·25·8 + 21·21·8) + (64·72·8 + 8·8·8) + (128·64 + 64) + (64 + 1)
  EXPECT_EQ(parameter_count(net), 137425);
  const Tensor y = net.forward(ctx, random_images(ctx, {4, 1, 25, 25}));
  EXPECT_EQ(y.shape(), (Shape{4, 1}));
  const Tensor dx = net.backward(ctx, Tensor::from_vector({1, 0.5f, -1, 2}, {4, 1}));
  EXPECT_EQ(dx.shape(), (Shape{4, 1, 25, 25}));
  expect_finite_nonzero_gradients(net);
}

TEST(ShippedNetworks, CheckpointRoundTripGivesTheSamePredictions) {
  // Both kinds of image weights (conv's and locally connected's) survive a
  // checkpoint: a network loaded from it predicts exactly as the original.
  const std::string path = testing::scratch_dir("ckpt") + "/image_net.h5";
  Context ctx(Device::cpu(), 8);
  Sequential net = sequential_from_json(
      ctx, Json::parse(R"({"input_shape": [1, 12, 12], "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 4, "padding": "same", "activation": "relu"},
        {"type": "locally_connected2d", "filters": 2, "kernel_size": 3, "strides": 2},
        {"type": "flatten"}, {"type": "dense", "units": 1}]})"),
      "net.json");
  for (const NamedTensor& p : net.parameters()) random_normal(ctx, *p.tensor, 0, 0.3f);  // not the initial values
  net.set_training(false);
  const Tensor x = random_images(ctx, {4, 1, 12, 12});
  const Tensor before = net.forward(ctx, x).clone();
  save_checkpoint(path, "model", {{"model", &net, nullptr}}, TrainState{});
  std::unique_ptr<Model> model = CheckpointFile(path).load_model(ctx, "model");
  Sequential& loaded = dynamic_cast<Sequential&>(*model);
  EXPECT_EQ(loaded.layer_configs(), net.layer_configs());
  EXPECT_TRUE(testing::all_close(loaded.forward(ctx, x), before, 0, 0));
}

// --- CUDA against the CPU -------------------------------------------------------------------

// The same seed gives the same initial weights on every device.
template <typename D>
class ImageLayersDevice : public testing::DeviceTest<D> {};
TYPED_TEST_SUITE(ImageLayersDevice, testing::Devices, testing::DeviceNames);

TYPED_TEST(ImageLayersDevice, ShippedNetworksMatchCpu) {
  const Device dev = this->device();
  for (const char* name : {"top_cnn.json", "w_locally_connected.json"}) {
    Context cpu(Device::cpu(), 71), ctx(dev, 71);
    Sequential net_cpu = load_sequential(cpu, shipped(name)), net = load_sequential(ctx, shipped(name));
    net_cpu.set_training(false);  // dropout off: the comparison is about the image layers
    net.set_training(false);
    SampleShape input = net_cpu.input_shape();
    const Tensor x = random_images(cpu, {5, input[0], input[1], input[2]});
    const Tensor dy = random_images(cpu, {5, 1});
    const Tensor y_cpu = net_cpu.forward(cpu, x), y = net.forward(ctx, x.to(dev));
    EXPECT_TRUE(testing::all_close(y.to(Device::cpu()), y_cpu, 1e-4, 1e-3)) << name;
    const Tensor dx_cpu = net_cpu.backward(cpu, dy), dx = net.backward(ctx, dy.to(dev));
    EXPECT_TRUE(testing::all_close(dx.to(Device::cpu()), dx_cpu, 1e-5, 1e-3)) << name;
    const auto grads_cpu = net_cpu.gradients(), grads = net.gradients();
    for (size_t i = 0; i < grads.size(); ++i)
      EXPECT_TRUE(testing::all_close(grads[i].tensor->to(Device::cpu()), *grads_cpu[i].tensor, 1e-4, 1e-3))
          << name << " " << grads[i].name;
  }
}

}  // namespace
}  // namespace jetimg
