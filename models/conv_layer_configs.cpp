// The image layers' registration: config keys and defaults, the factories
// (read as strictly as every other layer type: unknown keys, wrong types and
// impossible values are errors naming the file and the key) and their ONNX
// operators.
#include <cmath>
#include <limits>
#include <utility>

#include "core/conv_math.h"
#include "core/error.h"
#include "models/conv_layers.h"
#include "models/layer_registry.h"
#include "models/onnx_graph.h"
#include "models/simple_layers.h"

namespace jetimg {
namespace {

struct Pair {
  int h, w;
};

int window_number(const LayerArgs& a, const Json& v, const std::string& key, const std::string& expected) {
  if (!v.is_number_integer() || v.get<int64_t>() > kMaxWindow || v.get<int64_t>() < -kMaxWindow) a.bad(key, expected);
  return v.get<int>();
}

// An integer or [h, w], each at least `minimum`.
Pair pair(const LayerArgs& a, const std::string& key, int minimum = 1) {
  const Json& v = a.value(key);
  const std::string expected = "an integer or a list of two integers, each from " + std::to_string(minimum) + " to " +
                               std::to_string(kMaxWindow);
  Pair p{};
  if (v.is_number_integer()) {
    p.h = p.w = window_number(a, v, key, expected);
  } else if (v.is_array() && v.size() == 2) {
    p.h = window_number(a, v[0], key, expected);
    p.w = window_number(a, v[1], key, expected);
  } else {
    a.bad(key, expected);
  }
  if (p.h < minimum || p.w < minimum) a.bad(key, expected);
  return p;
}

ZeroPadding2dParams zero_padding(const LayerArgs& a) {
  const Json& v = a.value("padding");
  const std::string expected =
      "an integer, [h, w] or [[top, bottom], [left, right]] (each from 0 to " + std::to_string(kMaxWindow) + ")";
  if (v.is_array() && v.size() == 2 && v[0].is_array()) {
    if (!v[1].is_array() || v[0].size() != 2 || v[1].size() != 2) a.bad("padding", expected);
    const ZeroPadding2dParams p{window_number(a, v[0][0], "padding", expected),
                                window_number(a, v[0][1], "padding", expected),
                                window_number(a, v[1][0], "padding", expected),
                                window_number(a, v[1][1], "padding", expected)};
    if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) a.bad("padding", expected);
    return p;
  }
  const Pair symmetric = pair(a, "padding", 0);
  return {symmetric.h, symmetric.h, symmetric.w, symmetric.w};
}

ActivationParams activation(const LayerArgs& a) {
  ActivationParams p{parse_activation(a.text("activation"), a.where("activation")), 0.2f};
  if (p.kind == ActivationKind::LeakyReLU)
    p.slope = static_cast<float>(a.number("slope", 0, 1e6));
  else if (a.given("slope"))
    a.unknown("slope");
  return p;
}

// use_bias and bias_init: a number, or a list of one number per filter (the
// count is checked against the filters when the layer is made).
BiasConfig bias(const LayerArgs& a) {
  BiasConfig b;
  b.use = a.flag("use_bias");
  if (!a.given("bias_init")) return b;
  const Json& v = a.value("bias_init");
  const std::string expected = "a number or a list of numbers (one per filter), each finite as a float";
  const auto value = [&](const Json& e) {
    if (!e.is_number() || !(std::fabs(e.get<double>()) <= std::numeric_limits<float>::max())) a.bad("bias_init", expected);
    return static_cast<float>(e.get<double>());
  };
  if (v.is_array() && !v.empty()) {
    for (const Json& e : v) b.init.push_back(value(e));
  } else {
    b.init.push_back(value(v));
  }
  if (!b.use) fail(a.file(), ": '", a.path(), ".bias_init' is given, but '", a.path(), ".use_bias' is false");
  return b;
}

Init init(const LayerArgs& a) { return parse_init(a.text("init"), a.where("init")); }

Padding padding(const LayerArgs& a) {
  const std::string name = a.text("padding");
  if (name != "valid" && name != "same")
    fail(a.where("padding"), " must be \"valid\" or \"same\", got \"", name, "\"");
  return name == "same" ? Padding::Same : Padding::Valid;
}

// The keys conv2d and locally_connected2d share.
std::vector<LayerKey> filter_keys(bool with_padding) {
  std::vector<LayerKey> keys = {
      {"filters", nullptr, "output channels, 1 to 65536", true},
      {"kernel_size", nullptr, "window: an integer or [h, w]", true},
      {"strides", 1, "an integer or [h, w]"}};
  if (with_padding) keys.push_back({"padding", "valid", "\"valid\" or \"same\" (TensorFlow's)"});
  keys.insert(keys.end(), {{"activation", "linear", "linear, relu, leaky_relu, sigmoid, tanh or gelu, fused with the bias"},
                           {"slope", 0.2, "leaky_relu's slope below zero (leaky_relu only)"},
                           {"init", "glorot_uniform", "weight initialiser"},
                           {"use_bias", true, "false: no bias parameter"},
                           {"bias_init", nullptr, "the bias' start: a number, or one per filter (default 0)"}});
  return keys;
}

std::string with_activation(OnnxGraph& g, Layer& layer, const std::string& x, const std::string& name) {
  const Json c = layer.config();
  return g.activation(c.value("activation", std::string("linear")), c.value("slope", 0.2f), x, name);
}

}  // namespace

void register_image_layers() {
  register_layer(
      {"conv2d", "image", "2-D convolution of images (C, H, W) -> (filters, OH, OW)", filter_keys(true),
       [](LayerArgs& a) -> std::unique_ptr<Layer> {
         const int64_t filters = a.integer("filters", 1, kMaxLayerUnits);
         const Pair kernel = pair(a, "kernel_size");
         const Pair strides = pair(a, "strides");
         const Conv2dParams params{strides.h, strides.w, padding(a)};
         return std::make_unique<Conv2D>(a.ctx, a.input, filters, kernel.h, kernel.w, params, activation(a), init(a),
                                         bias(a));
       },
       [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape& shape, const std::string& name) {
         const Json c = layer.config();
         const Tensor& w = layer_tensor(layer, "weight", name);
         const auto [sh, sw] = config_pair(c.value("strides", Json(1)));
         const Padding pad = c.value("padding", std::string("valid")) == "same" ? Padding::Same : Padding::Valid;
         const Window2d win = make_window(static_cast<int>(shape.at(1)), static_cast<int>(shape.at(2)),
                                          static_cast<int>(w.dim(2)), static_cast<int>(w.dim(3)), static_cast<int>(sh),
                                          static_cast<int>(sw), pad);
         // Conv's bias input is optional: a layer without a bias leaves it out.
         std::vector<std::string> inputs{x, g.initializer(name + ".weight", w)};
         if (layer.parameters().size() > 1)
           inputs.push_back(g.initializer(name + ".bias", layer_tensor(layer, "bias", name)));
         const std::string y =
             g.node("Conv", inputs, name + "_conv",
                    {OnnxAttribute::list("kernel_shape", {w.dim(2), w.dim(3)}), OnnxAttribute::list("strides", {sh, sw}),
                     OnnxAttribute::list("pads", {win.pad_top, win.pad_left, win.pad_bottom(), win.pad_right()})});
         return with_activation(g, layer, y, name);
       }});
  register_layer({"locally_connected2d", "image",
                  "locally connected: a convolution with its own weights at every position (valid padding)",
                  filter_keys(false),
                  [](LayerArgs& a) -> std::unique_ptr<Layer> {
                    const int64_t filters = a.integer("filters", 1, kMaxLayerUnits);
                    const Pair kernel = pair(a, "kernel_size");
                    const Pair strides = pair(a, "strides");
                    return std::make_unique<LocallyConnected2D>(
                        a.ctx, a.input, filters, LocallyConnected2dParams{kernel.h, kernel.w, strides.h, strides.w},
                        activation(a), init(a), bias(a));
                  },
                  {}});
  for (const char* type : {"max_pool2d", "avg_pool2d"}) {
    const bool max = std::string(type) == "max_pool2d";
    register_layer({type, "image", max ? "maximum over windows" : "mean over windows",
                    {{"pool_size", 2, "window: an integer or [h, w]"},
                     {"strides", nullptr, "an integer or [h, w] (default: pool_size)"}},
                    [max](LayerArgs& a) -> std::unique_ptr<Layer> {
                      const Pair pool = pair(a, "pool_size");
                      const Pair strides = a.given("strides") ? pair(a, "strides") : pool;
                      return std::make_unique<Pool2D>(max ? Pool2D::Kind::Max : Pool2D::Kind::Average,
                                                      Pool2dParams{pool.h, pool.w, strides.h, strides.w});
                    },
                    [max](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
                      const Json c = layer.config();
                      const auto [ph, pw] = config_pair(c.value("pool_size", Json(2)));
                      const auto [sh, sw] = config_pair(c.value("strides", c.value("pool_size", Json(2))));
                      return g.node(max ? "MaxPool" : "AveragePool", {x}, name,
                                    {OnnxAttribute::list("kernel_shape", {ph, pw}), OnnxAttribute::list("strides", {sh, sw})});
                    }});
  }
  register_layer({"up_sampling2d", "image", "nearest-neighbour up-sampling by integer factors",
                  {{"size", 2, "factors: an integer or [h, w]"}},
                  [](LayerArgs& a) -> std::unique_ptr<Layer> {
                    const Pair size = pair(a, "size");
                    return std::make_unique<UpSampling2D>(UpSampling2dParams{size.h, size.w});
                  },
                  [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
                    const auto [fh, fw] = config_pair(layer.config().value("size", Json(2)));
                    return g.node("Resize",
                                  {x, "", g.floats(name + "_scales", {1.0f, 1.0f, static_cast<float>(fh), static_cast<float>(fw)})},
                                  name,
                                  {OnnxAttribute::text("mode", "nearest"),
                                   OnnxAttribute::text("coordinate_transformation_mode", "asymmetric"),
                                   OnnxAttribute::text("nearest_mode", "floor")});
                  }});
  register_layer({"zero_padding2d", "image", "zeros around images",
                  {{"padding", 1, "an integer (all sides), [h, w] (symmetric) or [[top, bottom], [left, right]]"}},
                  [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<ZeroPadding2D>(zero_padding(a)); },
                  [](OnnxGraph& g, Layer& layer, const std::string& x, const SampleShape&, const std::string& name) {
                    const Json p = layer.config().at("padding");
                    int64_t top, bottom, left, right;
                    if (p.is_array() && p.at(0).is_array()) {
                      top = p[0][0], bottom = p[0][1], left = p[1][0], right = p[1][1];
                    } else {
                      const auto [h, w] = config_pair(p);
                      top = bottom = h, left = right = w;
                    }
                    return g.node("Pad", {x, g.int64s(name + "_pads", {0, 0, top, left, 0, 0, bottom, right})}, name);
                  }});
}

}  // namespace jetimg
