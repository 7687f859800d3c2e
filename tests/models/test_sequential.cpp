// Sequential networks from JSON: shapes through the stack, the configuration
// written back complete, errors that name the file and the key, and a
// gradient check through a whole network.
#include "core/error.h"
#include "core/ops.h"
#include "models/sequential.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

std::string error_of(const std::string& json, const std::string& name = "net.json") {
  const std::string dir = testing::scratch_dir("nets");
  const std::string path = testing::write_text_file(dir, name, json);
  return testing::error_message_of([&] {
    Context ctx(Device::cpu(), 1);
    load_sequential(ctx, path);
  });
}

TEST(Sequential, BuildsFromJsonAndWritesItsConfigBackComplete) {
  Context ctx(Device::cpu(), 1);
  const Json layers = Json::parse(R"([{"type": "flatten"},
      {"type": "maxout_dense", "units": 6, "pieces": 3},
      {"type": "dense", "units": 4, "init": "he_uniform"}, {"type": "leaky_relu"},
      {"type": "dropout", "rate": 0.25}, {"type": "dense", "units": 1}])");
  Sequential net(ctx, layers, {5, 5});
  EXPECT_EQ(net.size(), 6u);
  EXPECT_EQ(net.output_shape(), SampleShape{1});
  const Json config = net.layer_configs();
  EXPECT_EQ(config[1]["init"], "glorot_uniform");  // the default, written out
  EXPECT_EQ(config[3]["slope"], 0.2);
  EXPECT_EQ(config[5],
            Json::parse(R"({"type": "dense", "units": 1, "init": "glorot_uniform", "activation": "linear"})"));
  // The written config rebuilds the same network.
  Sequential again(ctx, config, {5, 5});
  EXPECT_EQ(again.layer_configs(), config);
  // Parameters are named by position, as PyTorch's nn.Sequential names them.
  std::vector<std::string> names;
  for (const NamedTensor& p : net.parameters()) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"1.weight", "1.bias", "2.weight", "2.bias", "5.weight", "5.bias"}));
  EXPECT_EQ(net.parameters()[0].tensor->shape(), (Shape{25, 18}));

  Tensor x = Tensor::empty({3, 5, 5});
  random_normal(ctx, x, 0, 1);
  EXPECT_EQ(net.forward(ctx, x).shape(), (Shape{3, 1}));
  EXPECT_EQ(net.backward(ctx, Tensor::zeros({3, 1})).shape(), (Shape{3, 5, 5}));
  EXPECT_NE(testing::error_message_of([&] { net.forward(ctx, Tensor::empty({3, 4, 5})); }).find("expected input"),
            std::string::npos);
}

TEST(Sequential, ImageLayersChainShapes) {
  Context ctx(Device::cpu(), 2);
  Sequential net(ctx, Json::parse(R"([{"type": "reshape", "shape": [1, 4, -1]}, {"type": "batch_norm"},
      {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "leaky_relu", "slope": 0.1},
      {"type": "batch_norm", "momentum": 0.01}, {"type": "dense", "units": 2}, {"type": "softmax"}])"),
                 {16});
  EXPECT_EQ(net.layer(0).output_shape({16}), (SampleShape{1, 4, 4}));
  EXPECT_EQ(net.output_shape(), SampleShape{2});
  EXPECT_EQ(net.layer_configs()[1], Json::parse(R"({"type": "batch_norm", "momentum": 0.1, "epsilon": 1e-5})"));
  EXPECT_EQ(net.layer_configs()[3]["slope"], 0.1);
  Sequential again(ctx, net.layer_configs(), {16});
  EXPECT_EQ(again.layer_configs(), net.layer_configs());
  EXPECT_EQ(net.buffers().size(), 4u);
  EXPECT_EQ(net.buffers()[0].name, "1.running_mean");
  Tensor x = Tensor::empty({5, 16});
  random_normal(ctx, x, 0, 1);
  EXPECT_EQ(net.forward(ctx, x).shape(), (Shape{5, 2}));
}

TEST(Sequential, ShippedWTaggingMaxoutNetwork) {
  Context ctx(Device::cpu(), 1);
  Sequential net = load_sequential(ctx, std::string(JETIMG_SOURCE_DIR) + "/configs/nets/w_maxout.json");
  EXPECT_EQ(net.input_shape(), (SampleShape{25, 25}));
  EXPECT_EQ(net.output_shape(), SampleShape{1});
  int64_t count = 0;
  for (const NamedTensor& p : net.parameters()) count += p.tensor->numel();
  // 625·1280 + 1280, 256·640 + 640, 128·64 + 64, 64·25 + 25, 25 + 1
  EXPECT_EQ(count, 801280 + 164480 + 8256 + 1625 + 26);
  EXPECT_EQ(net.layer_configs()[1]["pieces"], 5);
}

TEST(Sequential, BadConfigsNameTheFileAndTheKey) {
  const std::string head = R"({"input_shape": [4], "layers": [{"type": "dense", "units": 3}, )";
  EXPECT_NE(error_of(head + R"({"type": "conv9"}]})").find("net.json: 'layers[1].type' is 'conv9', not a layer type"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": 2, "activaton": "relu"}]})")
                .find("net.json: unknown key 'layers[1].activaton'"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense"}]})").find("net.json: required key 'layers[1].units' is missing"),
            std::string::npos);
  // A misspelt key is named as such, not as the missing key it stands for.
  EXPECT_NE(error_of(head + R"({"type": "dense", "unit": 3}]})").find("net.json: unknown key 'layers[1].unit'"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": 0}]})").find("'layers[1].units' must be in [1, 65536]"),
            std::string::npos);
  // An absurd size is refused by key before anything is allocated.
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": 1000000000}]})")
                .find("'layers[1].units' must be in [1, 65536], got 1000000000"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": "many"}]})").find("'layers[1].units' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dropout", "rate": 1.5}]})").find("'layers[1].rate' must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": 2, "init": "ones"}]})")
                .find("'layers[1].init': unknown initialiser 'ones'"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": 2, "activation": "swish"}]})")
                .find("net.json: 'layers[1].activation': unknown activation 'swish'"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "dense", "units": 2, "slope": 0.1}]})").find("unknown key 'layers[1].slope'"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "reshape", "shape": [2, 2]}]})")
                .find("net.json: 'layers[1]' (reshape): reshape: cannot make (3)"),
            std::string::npos);
  EXPECT_NE(error_of(head + R"({"type": "batch_norm", "momentum": 2}]})").find("'layers[1].momentum' must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"input_shape": [4, 4], "layers": [{"type": "batch_norm"}]})")
                .find("'layers[0]' (batch_norm) needs inputs (F) or (C, H, W)"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"input_shape": [4, 4], "layers": [{"type": "dense", "units": 3}]})")
                .find("'layers[0]' (dense) needs flat inputs"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"input_shape": [4], "layers": [], "optimiser": {}})").find("unknown key 'optimiser'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"layers": []})").find("needs 'input_shape'"), std::string::npos);
  EXPECT_NE(error_of(R"({"input_shape": [0], "layers": []})").find("'input_shape' must be positive"),
            std::string::npos);
}


TEST(Sequential, GradientsThroughTheStackMatchCentralDifferences) {
  Context ctx(Device::cpu(), 8);
  // Smooth activations only, so no kink can sit near the checked point.
  Sequential net(ctx, Json::parse(R"([{"type": "flatten"}, {"type": "dense", "units": 6},
      {"type": "tanh"}, {"type": "batch_norm"}, {"type": "dense", "units": 5, "activation": "sigmoid"},
      {"type": "dense", "units": 2}, {"type": "softmax"}])"),
                 {3, 3});
  Tensor x = Tensor::empty({4, 3, 3});
  random_normal(ctx, x, 0, 1);
  testing::NetworkAsLayer layer(net);
  testing::expect_gradients_match(layer, x, 81);
}

}  // namespace
}  // namespace jetimg
