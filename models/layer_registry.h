// The layer registry: each layer type registers itself once, with its name,
// its config keys and their defaults, how it is made for an input shape, and
// how it is written as ONNX. Networks are built from configs through it, the
// ONNX exporter writes layers through it, and `jetimg layers` prints every
// key from it (the tables of docs/configs.md are that output), so adding a
// layer touches its own files, its registration and its tests only.
//
// A family of layers registers in its own file (register_dense_layers() in
// models/dense.cpp, ...); register_builtin_layers() in layer_registry.cpp
// lists the families, because a static library drops object files that
// nothing references, so self-registering statics would be lost.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "models/layer.h"

namespace jetimg {

class OnnxGraph;

// One config key of a layer type.
struct LayerKey {
  std::string name;
  Json default_value;     // null: no fixed default (the doc says what absence means)
  std::string doc;        // one line: what it sets, its range
  bool required = false;  // the config must give it
};

class LayerType;

// What a layer's factory reads: its config with every key present (defaults
// filled in), the input shape of one sample, and messages that name the file
// and the key ("net.json: 'layers[2].units' must be ...").
class LayerArgs {
 public:
  LayerArgs(Context& ctx, const LayerType& type, const Json& config, const SampleShape& input, std::string file,
            std::string path);
  Context& ctx;
  const SampleShape& input;

  // The config, complete: given keys, and defaults for the others.
  const Json& config() const { return filled_; }
  // Whether the user's config gave `key` (rather than its default).
  bool given(const std::string& key) const { return given_.contains(key); }
  const Json& value(const std::string& key) const;

  // Typed reads; an Error names the key and the range or the choices.
  int64_t integer(const std::string& key, int64_t lo, int64_t hi) const;
  double number(const std::string& key, double lo, double hi) const;
  bool flag(const std::string& key) const;
  std::string text(const std::string& key) const;

  // "net.json: 'layers[2].units'"
  std::string where(const std::string& key) const;
  [[noreturn]] void bad(const std::string& key, const std::string& expected) const;
  // The key is not used with these other settings (e.g. slope without leaky_relu).
  [[noreturn]] void unknown(const std::string& key) const;
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  const LayerType& type_;
  Json given_, filled_;
  std::string file_, path_;
};

// Writes one layer into an ONNX graph: `x` is the name of its input, whose
// one-sample shape is `input`; returns the name of its output.
using OnnxWriter = std::function<std::string(OnnxGraph& graph, Layer& layer, const std::string& x,
                                             const SampleShape& input, const std::string& name)>;

class LayerType {
 public:
  std::string name;     // the config's "type"
  std::string family;   // "dense", "image", "gan", ...: the table it is documented in
  std::string summary;  // one line for the docs
  std::vector<LayerKey> keys;
  std::function<std::unique_ptr<Layer>(LayerArgs&)> make;
  OnnxWriter onnx;  // empty: no ONNX operator (export refuses the network)
  // The layer's output for a sample depends on the other samples of its
  // batch, also at inference (minibatch discrimination).
  bool couples_samples = false;

  const LayerKey* key(const std::string& name) const;
};

// Adds a type (an Error if the name is taken).
void register_layer(LayerType type);
// The type called `name`, or nullptr.
const LayerType* find_layer_type(const std::string& name);
// Every registered type, in registration order.
std::vector<const LayerType*> layer_types();

// One layer from its config for inputs of one-sample shape `input`: the type
// is looked up, unknown and missing keys are errors naming `file` and `path`
// ("w.json: 'layers[2].units' ..."), and the factory gets the filled config.
std::unique_ptr<Layer> make_layer(Context& ctx, const Json& config, const SampleShape& input, const std::string& file,
                                  const std::string& path);

// Whether any layer in a model config (sequential, graph, or the layer lists
// inside it) is of a type whose output couples the samples of a batch.
bool couples_samples(const Json& model_config);
// The config of the layer that makes a model's (first) output: the last of
// a sequential model, the output node's of a graph; null for other models.
Json final_layer(const Json& model_config);

// The key tables of every family as Markdown, for `jetimg layers` and docs/configs.md.
std::string layer_types_markdown();

// The families (each defined in its own file).
void register_dense_layers();
void register_simple_layers();
void register_image_layers();
void register_gan_layers();

}  // namespace jetimg
