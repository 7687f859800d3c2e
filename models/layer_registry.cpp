#include "models/layer_registry.h"

#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "core/error.h"

namespace jetimg {
namespace {

struct Registry {
  std::vector<std::unique_ptr<LayerType>> types;
  std::map<std::string, const LayerType*> by_name;
};

Registry& registry() {
  static Registry r;
  return r;
}

void register_builtin_layers() {
  register_dense_layers();
  register_simple_layers();
  register_image_layers();
  register_gan_layers();
}

// The registry, with the built-in families registered on first use.
Registry& filled_registry() {
  static std::once_flag once;
  std::call_once(once, register_builtin_layers);
  return registry();
}

std::string known_types() {
  std::string s;
  for (const auto& t : filled_registry().types) s += (s.empty() ? "" : ", ") + t->name;
  return s;
}

std::string keys_of(const LayerType& type) {
  std::string s = "type";
  for (const LayerKey& k : type.keys) s += ", " + k.name;
  return s;
}

}  // namespace

const LayerKey* LayerType::key(const std::string& key_name) const {
  for (const LayerKey& k : keys)
    if (k.name == key_name) return &k;
  return nullptr;
}

LayerArgs::LayerArgs(Context& context, const LayerType& type, const Json& config, const SampleShape& input_shape,
                     std::string file, std::string path)
    : ctx(context), input(input_shape), type_(type), given_(config), file_(std::move(file)), path_(std::move(path)) {
  for (const auto& item : config.items()) {
    if (item.key() == "type") continue;
    if (!type.key(item.key()))
      fail(file_, ": unknown key '", path_, ".", item.key(), "' (known keys of ", type.name, ": ", keys_of(type), ")");
  }
  filled_ = Json::object();
  filled_["type"] = type.name;
  for (const LayerKey& k : type.keys) {
    if (config.contains(k.name))
      filled_[k.name] = config[k.name];
    else if (k.required)
      fail(file_, ": required key '", path_, ".", k.name, "' is missing");
    else
      filled_[k.name] = k.default_value;
  }
}

const Json& LayerArgs::value(const std::string& key) const {
  if (!filled_.contains(key)) fail("layer '", type_.name, "' reads '", key, "', which it did not register");
  return filled_[key];
}

std::string LayerArgs::where(const std::string& key) const { return file_ + ": '" + path_ + "." + key + "'"; }

void LayerArgs::bad(const std::string& key, const std::string& expected) const {
  fail(where(key), " must be ", expected, ", got ", value(key).dump());
}

void LayerArgs::unknown(const std::string& key) const {
  fail(file_, ": unknown key '", path_, ".", key, "' (it applies to other settings of ", type_.name, ")");
}

int64_t LayerArgs::integer(const std::string& key, int64_t lo, int64_t hi) const {
  const Json& v = value(key);
  if (!v.is_number_integer()) fail(where(key), " must be an integer, got ", json_type_name(v));
  const int64_t x = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())
                        ? std::numeric_limits<int64_t>::max()
                        : v.get<int64_t>();
  if (x < lo || x > hi) fail(where(key), " must be in [", lo, ", ", hi, "], got ", v.dump());
  return x;
}

double LayerArgs::number(const std::string& key, double lo, double hi) const {
  const Json& v = value(key);
  if (!v.is_number()) fail(where(key), " must be a number, got ", json_type_name(v));
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi)) fail(where(key), " must be in [", lo, ", ", hi, "], got ", v.dump());
  return x;
}

bool LayerArgs::flag(const std::string& key) const {
  const Json& v = value(key);
  if (!v.is_boolean()) fail(where(key), " must be true or false, got ", json_type_name(v));
  return v.get<bool>();
}

std::string LayerArgs::text(const std::string& key) const {
  const Json& v = value(key);
  if (!v.is_string()) fail(where(key), " must be a string, got ", json_type_name(v));
  return v.get<std::string>();
}

void register_layer(LayerType type) {
  Registry& r = registry();
  if (r.by_name.count(type.name)) fail("layer type '", type.name, "' is registered twice");
  r.types.push_back(std::make_unique<LayerType>(std::move(type)));
  r.by_name[r.types.back()->name] = r.types.back().get();
}

const LayerType* find_layer_type(const std::string& name) {
  const Registry& r = filled_registry();
  const auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : it->second;
}

std::vector<const LayerType*> layer_types() {
  std::vector<const LayerType*> out;
  for (const auto& t : filled_registry().types) out.push_back(t.get());
  return out;
}

std::unique_ptr<Layer> make_layer(Context& ctx, const Json& config, const SampleShape& input, const std::string& file,
                                  const std::string& path) {
  if (!config.is_object()) fail(file, ": '", path, "' must be a layer config object, got ", config.dump());
  if (!config.contains("type")) fail(file, ": required key '", path, ".type' is missing");
  if (!config["type"].is_string()) fail(file, ": '", path, ".type' must be a string, got ", config["type"].dump());
  const std::string name = config["type"].get<std::string>();
  const LayerType* type = find_layer_type(name);
  if (!type) fail(file, ": '", path, ".type' is '", name, "', not a layer type (known: ", known_types(), ")");
  LayerArgs args(ctx, *type, config, input, file, path);
  std::unique_ptr<Layer> layer;
  try {
    layer = type->make(args);
    layer->output_shape(input);  // a window that does not fit the input fails here, with the layer's path
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind(file + ":", 0) == 0) throw;  // already names the file and the key
    fail(file, ": '", path, "' (", name, "): ", message);
  }
  return layer;
}

bool couples_samples(const Json& config) {
  if (config.is_object()) {
    if (config.contains("type") && config["type"].is_string()) {
      const LayerType* t = find_layer_type(config["type"].get<std::string>());
      if (t && t->couples_samples) return true;
    }
    for (const auto& item : config.items())
      if (couples_samples(item.value())) return true;
  } else if (config.is_array()) {
    for (const Json& v : config)
      if (couples_samples(v)) return true;
  }
  return false;
}

Json final_layer(const Json& config) {
  if (!config.is_object()) return Json();
  const std::string type = config.value("type", std::string("sequential"));
  if (type == "sequential" && config.contains("layers") && config["layers"].is_array() && !config["layers"].empty())
    return config["layers"].back();
  if (type == "graph" && config.contains("outputs") && config["outputs"].is_object() && !config["outputs"].empty() &&
      config.contains("nodes")) {
    const Json& first = config["outputs"].begin().value();
    for (const Json& node : config["nodes"])
      if (node.value("name", std::string()) == first && node.contains("layer")) return node["layer"];
  }
  return Json();
}

std::string layer_types_markdown() {
  std::ostringstream out;
  std::string family;
  for (const LayerType* t : layer_types()) {
    if (t->family != family) {
      family = t->family;
      out << "\n| layer (" << family << ") | key | default | meaning |\n|---|---|---|---|\n";
    }
    out << "| `" << t->name << "` | | | " << t->summary << " |\n";
    for (const LayerKey& k : t->keys)
      out << "| | `" << k.name << "` | "
          << (k.required ? "required" : k.default_value.is_null() ? "see meaning" : "`" + k.default_value.dump() + "`")
          << " | " << k.doc << " |\n";
  }
  return out.str();
}

}  // namespace jetimg
