#include "models/checkpoint.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/error.h"
#include "io/atomic_output.h"
#include "models/calogan.h"
#include "models/lagan.h"
#include "models/optimiser.h"

namespace jetimg {
namespace {

constexpr const char* kFormat = "jetimg-checkpoint";
constexpr int64_t kVersion = 2;

std::string layer_group(size_t index, const std::string& type) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "layer_%02zu_", index);
  return prefix + type;
}

void write_tensor(h5::File& file, const std::string& name, const Tensor& t) {
  const Tensor host = t.to(Device::cpu());
  std::vector<hsize_t> dims;
  for (int i = 0; i < host.ndim(); ++i) dims.push_back(static_cast<hsize_t>(host.dim(i)));
  file.write_dataset(name, dims, host.data());
}

void read_tensor(const h5::File& file, const std::string& name, Tensor& into) {
  if (!file.has(name)) fail("'", file.path(), "': dataset '", name, "' is missing (damaged checkpoint?)");
  const std::vector<hsize_t> dims = file.dims(name);
  bool fits = static_cast<int>(dims.size()) == into.ndim();
  for (size_t i = 0; fits && i < dims.size(); ++i) fits = dims[i] == static_cast<hsize_t>(into.dim(static_cast<int>(i)));
  if (!fits)
    fail("'", file.path(), "': '", name, "' has shape ", h5::shape_string(dims), " but the model needs ",
         into.shape().str());
  into.copy_from(Tensor::from_vector(file.read_all<float>(name), into.shape()));
}

std::string now_utc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

// A version-1 tagger's TrainingState JSON as a TrainState.
TrainState tagger_state_v1(const Json& json, const std::string& file) {
  ConfigSection c(json, file, "training");
  TrainState s;
  s.monitor = "val_loss";
  c.optional("epoch", s.epoch, int64_t{0}, int64_t{1} << 40);
  c.optional("best_val_loss", s.best);  // null reads as infinity
  c.optional("best_epoch", s.best_epoch, int64_t{0}, s.epoch);
  c.optional("epochs_without_improvement", s.epochs_without_improvement, int64_t{0}, s.epoch);
  for (const char* key : {"lr", "optimiser_steps", "optimiser", "train_config", "history"}) c.accept(key);
  c.finish();
  s.settings = json.value("train_config", Json());
  if (s.settings.is_object() && s.settings.contains("seed") && s.settings["seed"].is_number_unsigned())
    s.seed = s.settings["seed"].get<uint64_t>();
  s.history = json.value("history", Json::array());
  return s;
}

}  // namespace

Json TrainState::to_json() const {
  return {{"epoch", epoch},
          {"seed", seed},
          {"monitor", monitor},
          {"best", std::isfinite(best) ? Json(best) : Json()},
          {"best_epoch", best_epoch},
          {"epochs_without_improvement", epochs_without_improvement},
          {"history", history},
          {"settings", settings}};
}

TrainState TrainState::from_json(const Json& json, const std::string& file) {
  TrainState s;
  ConfigSection c(json, file, "training");
  c.optional("epoch", s.epoch, int64_t{0}, int64_t{1} << 40);
  c.optional("seed", s.seed);
  c.optional("monitor", s.monitor);
  c.optional("best", s.best);  // null reads as infinity
  c.optional("best_epoch", s.best_epoch, int64_t{0}, s.epoch);
  c.optional("epochs_without_improvement", s.epochs_without_improvement, int64_t{0}, s.epoch);
  c.accept("history");
  c.accept("settings");
  c.finish();
  s.history = json.value("history", Json::array());
  s.settings = json.value("settings", Json());
  if (!s.history.is_array() || s.history.size() != static_cast<size_t>(s.epoch))
    fail(file, ": its training history does not hold one record per epoch (", s.epoch, " epochs): a damaged checkpoint");
  return s;
}

void save_checkpoint(const std::string& path, const std::string& kind, const std::vector<CheckpointEntry>& entries,
                     const TrainState& state, const Json& provenance) {
  AtomicOutput output(path);
  {
    h5::File file = h5::File::create(output.temp_path(), output.path());
    Json models = Json::object(), optimisers = Json::object();
    file.create_group("models");
    for (const CheckpointEntry& e : entries) {
      models[e.role] = e.model->config();
      const std::string group = "models/" + e.role;
      file.create_group(group);
      for (const NamedTensor& t : e.model->parameters()) write_tensor(file, group + "/" + t.name, *t.tensor);
      for (const NamedTensor& t : e.model->buffers()) write_tensor(file, group + "/" + t.name, *t.tensor);
      if (!e.optimiser) continue;
      if (optimisers.empty()) file.create_group("optimisers");
      Json config = e.optimiser->config();
      config["lr"] = config_number(e.optimiser->lr());
      optimisers[e.role] = {{"config", config}, {"steps", e.optimiser->steps()}};
      file.create_group("optimisers/" + e.role);
      for (const NamedTensor& s : e.optimiser->state(e.model->parameters()))
        write_tensor(file, "optimisers/" + e.role + "/" + s.name, *s.tensor);
    }
    Json origin = provenance.is_object() ? provenance : Json::object();
    origin["program"] = "jetimg 0.1.0";
    origin["written"] = now_utc();
    file.write_attribute("format", std::string(kFormat));
    file.write_attribute("version", kVersion);
    file.write_attribute("kind", kind);
    file.write_attribute("models", models.dump());
    file.write_attribute("optimisers", optimisers.dump());
    file.write_attribute("training", state.to_json().dump());
    file.write_attribute("provenance", origin.dump());
    file.close();
  }
  output.commit();
}

CheckpointFile::CheckpointFile(const std::string& path) : file_(h5::File::open(path)) {
  const std::string format = file_.has_attribute("format") ? file_.read_string_attribute("format") : "";
  if (format == kFormat) {
    version_ = file_.require_format(kFormat, kVersion, "a jetimg checkpoint");
  } else if (format == "jetimg-calogan") {
    version_ = file_.require_format(format, 1, "a CaloGAN checkpoint");
  } else if (format == "jetimg-lagan") {
    version_ = file_.require_format(format, 1, "a LAGAN checkpoint");
  } else {
    fail("'", path, "' is not a jetimg checkpoint (attribute format = \"", kFormat, "\" is missing)");
  }
  if (version_ == kVersion) {
    kind_ = file_.read_string_attribute("kind");
    configs_ = file_.read_json_attribute("models");
    optimisers_ = file_.read_json_attribute("optimisers");
    if (!configs_.is_object() || configs_.empty() || !optimisers_.is_object())
      fail("'", path, "': attributes 'models' and 'optimisers' must be objects by role (damaged checkpoint?)");
    training_ = TrainState::from_json(file_.read_json_attribute("training"), path);
    return;
  }
  if (format == kFormat) {  // version 1: one Sequential, tensors by layer group
    kind_ = "tagger";
    Json network = file_.read_json_attribute("network");
    if (!network.is_object() || !network.contains("layers") || !network["layers"].is_array())
      fail("'", path, "': attribute 'network' is not a network file's JSON");
    for (const Json& layer : network["layers"])
      legacy_layer_types_.push_back(layer.is_object() ? layer.value("type", std::string()) : std::string());
    network["type"] = "sequential";
    configs_["model"] = network;
    if (file_.has_attribute("training")) training_ = tagger_state_v1(file_.read_json_attribute("training"), path);
    if (file_.has_attribute("epoch") && file_.read_int_attribute("epoch") != training_.epoch)
      fail("'", path, "': attribute 'epoch' (", file_.read_int_attribute("epoch"),
           ") disagrees with its training state (", training_.epoch, " epochs): a damaged checkpoint");
    if (file_.has("optimiser")) {
      const Json state = file_.has_attribute("training") ? file_.read_json_attribute("training") : Json::object();
      Json config = state.value("optimiser", Json{{"type", "adam"}});
      if (state.contains("lr")) config["lr"] = state["lr"];
      optimisers_["model"] = {{"config", config}, {"steps", state.value("optimiser_steps", int64_t{0})}};
    }
    return;
  }
  // The GANs' version 1: generator/ and discriminator/ groups of named tensors.
  const bool calogan = format == "jetimg-calogan";
  kind_ = calogan ? "calogan" : "lagan";
  Json model = file_.read_json_attribute(calogan ? "model" : "config");
  const std::string prefix = calogan ? "calogan_" : "lagan_";
  const Json model_keys = calogan ? CaloGanConfig::from_json(model, path).to_json()
                                  : LaganConfig::from_json(model, path).model_json();
  for (const char* role : {"generator", "discriminator"}) {
    if (!file_.has(role)) continue;
    Json c = model_keys;
    c["type"] = prefix + role;
    configs_[role] = c;
  }
  if (!configs_.contains("generator")) fail("'", path, "' holds no generator");
  Json history = file_.has_attribute("history") ? file_.read_json_attribute("history") : Json::array();
  if (!history.is_array()) fail("'", path, "': attribute 'history' must be a list of epochs");
  training_.history = history;
  training_.epoch = file_.has_attribute("epoch") ? file_.read_int_attribute("epoch") : static_cast<int64_t>(history.size());
  if (training_.epoch < 0 || history.size() != static_cast<size_t>(training_.epoch))
    fail("'", path, "': its epoch (", training_.epoch, ") and history do not match (damaged checkpoint?)");
  training_.settings = calogan ? (file_.has_attribute("training") ? file_.read_json_attribute("training") : Json())
                               : model;
  if (training_.settings.is_object() && training_.settings.contains("seed") &&
      training_.settings["seed"].is_number_unsigned())
    training_.seed = training_.settings["seed"].get<uint64_t>();
  for (const char* role : {"generator", "discriminator"}) {
    const std::string name = std::string("optimiser_") + role;
    if (!file_.has(name)) continue;
    const Json& s = training_.settings;
    const double lr = calogan ? s.value(std::string(role) == "generator" ? "gen_lr" : "disc_lr", 0.0) : s.value("lr", 0.0);
    const Json config = {{"type", "adam"}, {"beta1", s.value("beta1", 0.5)},
                         {"beta2", calogan ? s.value("beta2", 0.999) : 0.999},
                         {"eps", calogan ? s.value("eps", 1e-7) : 1e-7}, {"lr", lr}};
    const int64_t steps = file_.read_int_attribute(name + "_steps");
    if (steps < 0) fail("'", path, "': attribute '", name, "_steps' is ", steps, ", expected a count >= 0");
    optimisers_[role] = {{"config", config}, {"steps", steps}};
  }
}

std::vector<std::string> CheckpointFile::roles() const {
  std::vector<std::string> out;
  for (const auto& item : configs_.items()) out.push_back(item.key());
  return out;
}

Json CheckpointFile::model_config(const std::string& role) const {
  if (!has(role))
    fail("'", path(), "' holds no ", role, " (it holds a ", kind_, " checkpoint's ",
         Json(roles()).dump(), ")");
  return configs_[role];
}

Json CheckpointFile::optimiser_record(const std::string& role) const {
  if (!has_optimiser(role))
    fail("'", path(), "' holds no optimiser state for its ", role,
         " (written for inference only?), so training cannot resume from it");
  return optimisers_[role];
}

Json CheckpointFile::provenance() const {
  return file_.has_attribute("provenance") ? file_.read_json_attribute("provenance") : Json::object();
}

std::string CheckpointFile::dataset_of(const std::string& role, const std::string& name) const {
  if (version_ == kVersion) return "models/" + role + "/" + name;
  if (kind_ != "tagger") return role + "/" + name;
  // "3.weight" -> "layer_03_dense/weight"
  const size_t dot = name.find('.');
  size_t index = 0;
  try {
    index = std::stoul(name.substr(0, dot));
  } catch (const std::exception&) {
    fail("'", path(), "': no tensor '", name, "' in a version-1 checkpoint");
  }
  if (dot == std::string::npos || index >= legacy_layer_types_.size())
    fail("'", path(), "': no tensor '", name, "' in a version-1 checkpoint");
  return layer_group(index, legacy_layer_types_[index]) + "/" + name.substr(dot + 1);
}

std::string CheckpointFile::optimiser_dataset_of(const std::string& role, const std::string& state_name) const {
  if (version_ == kVersion) return "optimisers/" + role + "/" + state_name;
  if (kind_ != "tagger") return "optimiser_" + role + "/" + state_name;
  return "optimiser/" + dataset_of(role, state_name);  // "optimiser/layer_03_dense/weight.m"
}

void CheckpointFile::load_into(const std::string& role, Model& model) const {
  const std::string difference = config_difference(model_config(role), model.config());
  if (!difference.empty()) fail("'", path(), "' was written for a different model: ", difference);
  for (const NamedTensor& t : model.parameters()) read_tensor(file_, dataset_of(role, t.name), *t.tensor);
  for (const NamedTensor& t : model.buffers()) read_tensor(file_, dataset_of(role, t.name), *t.tensor);
}

std::unique_ptr<Model> CheckpointFile::load_model(Context& ctx, const std::string& role) const {
  std::unique_ptr<Model> model = make_model(ctx, model_config(role), path());
  load_into(role, *model);
  model->set_training(false);
  return model;
}

void CheckpointFile::load_optimiser(const std::string& role, Optimiser& optimiser,
                                    const std::vector<NamedTensor>& parameters) const {
  const Json record = optimiser_record(role);
  const bool typed = record.is_object() && record.contains("config") && record["config"].is_object() &&
                     record["config"].contains("type") && record["config"]["type"].is_string();
  if (!typed)
    fail("'", path(), "': the optimiser record of ", role, " is ", record.dump(),
         ", expected {\"config\": {\"type\": ...}, \"steps\": N}");
  if (!record.contains("steps") || !record["steps"].is_number_integer())
    fail("'", path(), "': the optimiser of ", role, " has steps ", record.value("steps", Json()).dump(),
         ", expected a count >= 0");
  const std::string was = record["config"]["type"].get<std::string>();
  const std::string now = optimiser.config().value("type", std::string());
  if (was != now)
    fail("'", path(), "' was trained with optimiser '", was, "' but the training config asks for '", now,
         "'; resume with the same optimiser type");
  for (const NamedTensor& s : optimiser.state(parameters)) read_tensor(file_, optimiser_dataset_of(role, s.name), *s.tensor);
  const int64_t steps = record["steps"].get<int64_t>();
  if (steps < 0) fail("'", path(), "': the optimiser of ", role, " has ", steps, " steps, expected a count >= 0");
  optimiser.set_steps(steps);
}

std::string config_difference(const Json& stored, const Json& current) {
  if (stored == current) return "";
  if (!stored.is_object() || !current.is_object()) return "its model is " + stored.dump() + ", this one " + current.dump();
  if (stored.value("type", std::string()) != current.value("type", std::string()))
    return "it holds a " + stored.value("type", std::string("?")) + " model, this is a " +
           current.value("type", std::string("?"));
  if (stored.value("input_shape", Json()) != current.value("input_shape", Json()))
    return "its input shape is " + stored.value("input_shape", Json()).dump() + ", the model's " +
           current.value("input_shape", Json()).dump();
  const Json& a = stored.value("layers", Json::array());
  const Json& b = current.value("layers", Json::array());
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i >= a.size() || i >= b.size())
      return "it has " + std::to_string(a.size()) + " layers, the model " + std::to_string(b.size());
    if (a[i] != b[i]) return "layer " + std::to_string(i) + " is " + a[i].dump() + " there but " + b[i].dump() + " here";
  }
  for (const auto& item : current.items())
    if (!stored.contains(item.key()) || stored[item.key()] != item.value())
      return "its '" + item.key() + "' is " + stored.value(item.key(), Json()).dump() + ", this model's " +
             item.value().dump();
  for (const auto& item : stored.items())
    if (!current.contains(item.key())) return "it has '" + item.key() + "', which this model has not";
  return "";
}

}  // namespace jetimg
