// The layer registry: every registered type is made from its config with only
// its required keys and writes a complete config back that makes the same
// layer again; keys are checked against the registered list; and the key
// tables in docs/configs.md are the registry's own output, so the docs cannot
// drift from the code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "models/layer_registry.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// The repository root, from this file's own path (tests/models/...).
std::string source_root() { return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path(); }

// A config with the required keys of `type` set to values that fit `input`.
Json minimal_config(const LayerType& type) {
  Json c = {{"type", type.name}};
  for (const LayerKey& k : type.keys) {
    if (!k.required) continue;
    if (k.name == "units" || k.name == "filters") c[k.name] = 3;
    else if (k.name == "pieces") c[k.name] = 2;
    else if (k.name == "kernel_size") c[k.name] = 2;
    else if (k.name == "rate") c[k.name] = 0.25;
    else if (k.name == "shape") c[k.name] = {-1};
    else ADD_FAILURE() << type.name << ": no test value for required key " << k.name;
  }
  return c;
}

// An input shape each family takes.
SampleShape input_for(const LayerType& type) {
  if (type.family == "image" || type.name == "inpainting_attention") return {2, 6, 6};
  if (type.family == "dense" || type.family == "gan" || type.name == "layer_norm") return {6};
  return {2, 6, 6};
}

TEST(LayerRegistry, EveryTypeRoundTripsThroughItsConfig) {
  Context ctx(Device::cpu(), 3);
  ASSERT_GE(layer_types().size(), 19u);
  for (const LayerType* type : layer_types()) {
    SCOPED_TRACE(type->name);
    const SampleShape input = input_for(*type);
    std::unique_ptr<Layer> layer = make_layer(ctx, minimal_config(*type), input, "net.json", "layers[0]");
    ASSERT_TRUE(layer);
    EXPECT_EQ(layer->type(), type->name);
    const Json written = layer->config();
    std::unique_ptr<Layer> again = make_layer(ctx, written, input, "net.json", "layers[0]");
    EXPECT_EQ(again->config(), written);
    EXPECT_EQ(again->output_shape(input), layer->output_shape(input));
    // Every key the layer writes back is a registered one.
    for (const auto& item : written.items())
      if (item.key() != "type") EXPECT_NE(type->key(item.key()), nullptr) << item.key();
  }
}

TEST(LayerRegistry, KeysAreCheckedAgainstTheRegisteredList) {
  Context ctx(Device::cpu(), 3);
  const std::string unknown = testing::error_message_of(
      [&] { make_layer(ctx, Json::parse(R"({"type": "dense", "units": 2, "unit": 3})"), {4}, "n.json", "layers[2]"); });
  EXPECT_NE(unknown.find("n.json: unknown key 'layers[2].unit' (known keys of dense: type, units, activation, slope, "
                         "init, use_bias)"),
            std::string::npos)
      << unknown;
  const std::string missing =
      testing::error_message_of([&] { make_layer(ctx, Json::parse(R"({"type": "maxout_dense", "units": 2})"), {4}, "n.json", "l"); });
  EXPECT_NE(missing.find("n.json: required key 'l.pieces' is missing"), std::string::npos) << missing;
  const std::string type = testing::error_message_of([&] { make_layer(ctx, Json::parse(R"({"type": "densse"})"), {4}, "n.json", "l"); });
  EXPECT_NE(type.find("'l.type' is 'densse', not a layer type (known: dense, maxout_dense"), std::string::npos) << type;
  EXPECT_NE(testing::error_message_of([] { register_layer({"dense", "dense", "again", {}, {}, {}}); })
                .find("layer type 'dense' is registered twice"),
            std::string::npos);
}

TEST(LayerRegistry, DenseLayersWithoutBias) {
  Context ctx(Device::cpu(), 3);
  for (const char* config : {R"({"type": "dense", "units": 3, "use_bias": false, "activation": "relu"})",
                             R"({"type": "maxout_dense", "units": 3, "pieces": 2, "use_bias": false})"}) {
    std::unique_ptr<Layer> layer = make_layer(ctx, Json::parse(config), {4}, "n.json", "l");
    ASSERT_EQ(layer->parameters().size(), 1u) << config;
    EXPECT_EQ(layer->parameters()[0].name, "weight");
    EXPECT_EQ(layer->config()["use_bias"], false);
    // Without a bias, a zero input gives f(0) everywhere.
    const Tensor x = Tensor::zeros({2, 4});
    const Tensor y = layer->forward(ctx, x);
    for (float v : y.to_vector()) EXPECT_EQ(v, 0.0f);
  }
}

TEST(LayerRegistry, TheDocsKeyTablesAreTheRegistrysOutput) {
  const std::string path = source_root() + "/docs/configs.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- layer-keys:begin -->\n", end = "<!-- layer-keys:end -->";
  const size_t a = doc.find(begin), b = doc.find(end);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  const std::string generated = layer_types_markdown();
  EXPECT_EQ(doc.substr(a + begin.size(), b - a - begin.size()), generated.substr(1))
      << "docs/configs.md differs from `jetimg layers`: replace the table between the layer-keys markers with its "
         "output";
}

}  // namespace
}  // namespace jetimg
