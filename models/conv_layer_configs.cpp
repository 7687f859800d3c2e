// The image layers from their JSON configs (keys in models/conv_layers.h),
// read as strictly as every other layer type: unknown keys, wrong types and
// impossible values are errors naming the file and the key.
#include <cmath>
#include <limits>
#include <utility>

#include "core/error.h"
#include "models/conv_layers.h"
#include "models/simple_layers.h"

namespace jetimg {
namespace {

struct Pair {
  int h, w;
};

class ImageLayerConfig {
 public:
  ImageLayerConfig(ConfigSection& s, const Json& config, const std::string& file, const std::string& path)
      : s_(s), config_(config), file_(file), path_(path) {}

  [[noreturn]] void bad(const std::string& key, const std::string& expected) const {
    fail(file_, ": '", path_, ".", key, "' must be ", expected, ", got ", config_[key].dump());
  }

  // An integer or [h, w], each at least `minimum`; `fallback` when absent
  // (`required` makes absence an error).
  Pair pair(const std::string& key, Pair fallback, bool required = false, int minimum = 1) {
    s_.accept(key);
    if (!config_.contains(key)) {
      if (required) fail(file_, ": required key '", path_, ".", key, "' is missing");
      return fallback;
    }
    const Json& v = config_[key];
    const std::string expected = "an integer or a list of two integers, each from " + std::to_string(minimum) +
                                 " to " + std::to_string(kMaxWindow);
    Pair p{};
    if (v.is_number_integer()) {
      p.h = p.w = number(v, key, expected);
    } else if (v.is_array() && v.size() == 2) {
      p.h = number(v[0], key, expected);
      p.w = number(v[1], key, expected);
    } else {
      bad(key, expected);
    }
    if (p.h < minimum || p.w < minimum) bad(key, expected);
    return p;
  }

  ZeroPadding2dParams zero_padding(const std::string& key) {
    s_.accept(key);
    if (!config_.contains(key)) return {};
    const Json& v = config_[key];
    const std::string expected =
        "an integer, [h, w] or [[top, bottom], [left, right]] (each from 0 to " + std::to_string(kMaxWindow) + ")";
    if (v.is_array() && v.size() == 2 && v[0].is_array()) {
      if (!v[1].is_array() || v[0].size() != 2 || v[1].size() != 2) bad(key, expected);
      const ZeroPadding2dParams p{number(v[0][0], key, expected), number(v[0][1], key, expected),
                                  number(v[1][0], key, expected), number(v[1][1], key, expected)};
      if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0) bad(key, expected);
      return p;
    }
    const Pair symmetric = pair(key, {1, 1}, false, 0);
    return {symmetric.h, symmetric.h, symmetric.w, symmetric.w};
  }

  int64_t filters() {
    int64_t value = 0;
    s_.required("filters", value, int64_t{1}, kMaxLayerUnits);
    return value;
  }

  ActivationParams activation() {
    std::string name = "linear";
    s_.optional("activation", name);
    ActivationParams p{parse_activation(name, file_ + ": '" + path_ + ".activation'"), 0.2f};
    if (p.kind == ActivationKind::LeakyReLU) s_.optional("slope", p.slope);
    return p;
  }

  // use_bias [true] and bias_init [0]: a number, or a list of one number
  // per filter (the count is checked against the filters when the layer is made).
  BiasConfig bias() {
    BiasConfig b;
    s_.optional("use_bias", b.use);
    s_.accept("bias_init");
    if (!config_.contains("bias_init")) return b;
    const Json& v = config_["bias_init"];
    const std::string expected = "a number or a list of numbers (one per filter), each finite as a float";
    const auto value = [&](const Json& e) {
      if (!e.is_number() || !(std::fabs(e.get<double>()) <= std::numeric_limits<float>::max()))
        bad("bias_init", expected);
      return static_cast<float>(e.get<double>());
    };
    if (v.is_array() && !v.empty()) {
      for (const Json& e : v) b.init.push_back(value(e));
    } else {
      b.init.push_back(value(v));
    }
    if (!b.use) fail(file_, ": '", path_, ".bias_init' is given, but '", path_, ".use_bias' is false");
    return b;
  }

  Init init() {
    std::string name = "glorot_uniform";
    s_.optional("init", name);
    return parse_init(name, file_ + ": '" + path_ + ".init'");
  }

  // Every key has been read: unknown ones are errors now, before any weights are drawn.
  void finish() { s_.finish(); }

  Padding padding() {
    std::string name = "valid";
    s_.optional("padding", name);
    if (name != "valid" && name != "same")
      fail(file_, ": '", path_, ".padding' must be \"valid\" or \"same\", got \"", name, "\"");
    return name == "same" ? Padding::Same : Padding::Valid;
  }

 private:
  int number(const Json& v, const std::string& key, const std::string& expected) const {
    if (!v.is_number_integer() || v.get<int64_t>() > kMaxWindow || v.get<int64_t>() < -kMaxWindow) bad(key, expected);
    return v.get<int>();
  }

  ConfigSection& s_;
  const Json& config_;
  const std::string& file_;
  const std::string& path_;
};

std::unique_ptr<Layer> build(Context& ctx, const std::string& type, ImageLayerConfig& c, const SampleShape& input) {
  if (type == "conv2d") {
    const int64_t filters = c.filters();
    const Pair kernel = c.pair("kernel_size", {0, 0}, true);
    const Pair strides = c.pair("strides", {1, 1});
    const Conv2dParams params{strides.h, strides.w, c.padding()};
    const ActivationParams activation = c.activation();
    const Init init = c.init();
    BiasConfig bias = c.bias();
    c.finish();
    return std::make_unique<Conv2D>(ctx, input, filters, kernel.h, kernel.w, params, activation, init,
                                    std::move(bias));
  }
  if (type == "locally_connected2d") {
    const int64_t filters = c.filters();
    const Pair kernel = c.pair("kernel_size", {0, 0}, true);
    const Pair strides = c.pair("strides", {1, 1});
    const ActivationParams activation = c.activation();
    const Init init = c.init();
    BiasConfig bias = c.bias();
    c.finish();
    return std::make_unique<LocallyConnected2D>(ctx, input, filters,
                                                LocallyConnected2dParams{kernel.h, kernel.w, strides.h, strides.w},
                                                activation, init, std::move(bias));
  }
  if (type == "max_pool2d" || type == "avg_pool2d") {
    const Pair pool = c.pair("pool_size", {2, 2});
    const Pair strides = c.pair("strides", pool);
    c.finish();
    return std::make_unique<Pool2D>(type == "max_pool2d" ? Pool2D::Kind::Max : Pool2D::Kind::Average,
                                    Pool2dParams{pool.h, pool.w, strides.h, strides.w});
  }
  if (type == "up_sampling2d") {
    const Pair size = c.pair("size", {2, 2});
    c.finish();
    return std::make_unique<UpSampling2D>(UpSampling2dParams{size.h, size.w});
  }
  if (type == "zero_padding2d") {
    const ZeroPadding2dParams padding = c.zero_padding("padding");
    c.finish();
    return std::make_unique<ZeroPadding2D>(padding);
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<Layer> make_image_layer(Context& ctx, const std::string& type, ConfigSection& s, const Json& config,
                                        const SampleShape& input, const std::string& file, const std::string& path) {
  ImageLayerConfig c(s, config, file, path);
  std::unique_ptr<Layer> layer;
  try {
    layer = build(ctx, type, c, input);
    if (!layer) return nullptr;
    layer->output_shape(input);  // a window that does not fit the image fails here, with the layer's path
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind(file + ":", 0) == 0) throw;  // already names the file and the key
    fail(file, ": '", path, "' (", type, "): ", message);
  }
  return layer;
}

}  // namespace jetimg
