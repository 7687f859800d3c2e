#include "models/checkpoint.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "models/optimiser.h"
#include "models/sequential.h"

namespace jetimg {
namespace {

constexpr const char* kFormat = "jetimg-checkpoint";

std::string layer_group(size_t index, const std::string& type) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "layer_%02zu_", index);
  return prefix + type;
}

// Optimiser state "3.weight.m" (layer 3's weight, slot m) lives at
// "optimiser/layer_03_dense/weight.m".
std::string optimiser_dataset(Sequential& net, const std::string& state_name) {
  const size_t dot = state_name.find('.');
  const size_t index = std::stoul(state_name.substr(0, dot));
  return "optimiser/" + layer_group(index, net.layer(index).type()) + "/" + state_name.substr(dot + 1);
}

h5::File open_checkpoint(const std::string& path) {
  h5::File file = h5::File::open(path);
  file.require_format(kFormat, 1, "a jetimg checkpoint");
  return file;
}

Json parse_attribute(const h5::File& file, const std::string& name) { return file.read_json_attribute(name); }

// The first difference between the checkpoint's network and `net`, or "".
std::string network_difference(const Json& stored, const Json& current) {
  if (stored.value("input_shape", Json()) != current["input_shape"])
    return "its input shape is " + stored.value("input_shape", Json()).dump() + ", the network's " +
           current["input_shape"].dump();
  const Json& a = stored.value("layers", Json::array());
  const Json& b = current["layers"];
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i >= a.size()) return "it has " + std::to_string(a.size()) + " layers, the network " + std::to_string(b.size());
    if (i >= b.size()) return "it has " + std::to_string(a.size()) + " layers, the network " + std::to_string(b.size());
    if (a[i] != b[i]) return "layer " + std::to_string(i) + " is " + a[i].dump() + " there but " + b[i].dump() + " here";
  }
  return "";
}

}  // namespace

void write_checkpoint_tensor(h5::File& file, const std::string& name, const Tensor& t) {
  const Tensor host = t.to(Device::cpu());
  std::vector<hsize_t> dims;
  for (int i = 0; i < host.ndim(); ++i) dims.push_back(static_cast<hsize_t>(host.dim(i)));
  file.write_dataset(name, dims, host.data());
}

void read_checkpoint_tensor(const h5::File& file, const std::string& name, Tensor& into) {
  if (!file.has(name)) fail("'", file.path(), "': dataset '", name, "' is missing (damaged checkpoint?)");
  const std::vector<hsize_t> dims = file.dims(name);
  bool fits = static_cast<int>(dims.size()) == into.ndim();
  for (size_t i = 0; fits && i < dims.size(); ++i) fits = dims[i] == static_cast<hsize_t>(into.dim(static_cast<int>(i)));
  if (!fits)
    fail("'", file.path(), "': '", name, "' has shape ", h5::shape_string(dims), " but the network needs ",
         into.shape().str());
  into.copy_from(Tensor::from_vector(file.read_all<float>(name), into.shape()));
}

void write_tensor_group(h5::File& file, const std::string& group, const std::vector<NamedTensor>& tensors) {
  file.create_group(group);
  for (const NamedTensor& t : tensors) write_checkpoint_tensor(file, group + "/" + t.name, *t.tensor);
}

void read_tensor_group(const h5::File& file, const std::string& group, const std::vector<NamedTensor>& tensors) {
  for (const NamedTensor& t : tensors) read_checkpoint_tensor(file, group + "/" + t.name, *t.tensor);
}

void write_optimiser_state(h5::File& file, const std::string& name, Optimiser& optimiser,
                           const std::vector<NamedTensor>& parameters) {
  write_tensor_group(file, name, optimiser.state(parameters));
  file.write_attribute(name + "_steps", optimiser.steps());
}

void read_optimiser_state(const h5::File& file, const std::string& name, Optimiser& optimiser,
                          const std::vector<NamedTensor>& parameters) {
  read_tensor_group(file, name, optimiser.state(parameters));
  const int64_t steps = file.read_int_attribute(name + "_steps");
  if (steps < 0) fail("'", file.path(), "': attribute '", name, "_steps' is ", steps, ", expected a count >= 0");
  optimiser.set_steps(steps);
}


Json TrainingState::to_json() const {
  return {{"epoch", epoch},
          {"best_val_loss", std::isfinite(best_val_loss) ? Json(best_val_loss) : Json()},
          {"best_epoch", best_epoch},
          {"epochs_without_improvement", epochs_without_improvement},
          {"lr", lr},
          {"optimiser_steps", optimiser_steps},
          {"optimiser", optimiser},
          {"train_config", train_config},
          {"history", history}};
}

TrainingState TrainingState::from_json(const Json& json, const std::string& file) {
  TrainingState s;
  ConfigSection c(json, file, "training");
  c.optional("epoch", s.epoch, int64_t{0}, int64_t{1} << 40);
  c.optional("best_val_loss", s.best_val_loss);  // null reads as infinity
  c.optional("best_epoch", s.best_epoch, int64_t{0}, s.epoch);
  c.optional("epochs_without_improvement", s.epochs_without_improvement, int64_t{0}, s.epoch);
  c.optional("lr", s.lr);
  c.optional("optimiser_steps", s.optimiser_steps, int64_t{0}, int64_t{1} << 50);
  c.accept("optimiser");
  c.accept("train_config");
  c.accept("history");
  c.finish();
  s.optimiser = json.value("optimiser", Json());
  s.train_config = json.value("train_config", Json());
  s.history = json.value("history", Json::array());
  return s;
}

void save_checkpoint(const std::string& path, Sequential& net, Optimiser* optimiser, const TrainingState& state) {
  AtomicOutput output(path);
  {
    h5::File file = h5::File::create(output.temp_path(), output.path());
    file.write_attribute("format", std::string(kFormat));
    file.write_attribute("version", int64_t{1});
    file.write_attribute("network", network_json(net).dump());
    file.write_attribute("epoch", state.epoch);
    file.write_attribute("training", state.to_json().dump());
    if (optimiser) file.create_group("optimiser");
    for (size_t i = 0; i < net.size(); ++i) {
      Layer& layer = net.layer(i);
      const std::string group = layer_group(i, layer.type());
      file.create_group(group);
      for (const NamedTensor& p : layer.parameters()) write_checkpoint_tensor(file, group + "/" + p.name, *p.tensor);
      for (const NamedTensor& b : layer.buffers()) write_checkpoint_tensor(file, group + "/" + b.name, *b.tensor);
      if (optimiser && !layer.parameters().empty()) file.create_group("optimiser/" + group);
    }
    if (optimiser)
      for (const NamedTensor& s : optimiser->state(net.parameters()))
        write_checkpoint_tensor(file, optimiser_dataset(net, s.name), *s.tensor);
    file.close();
  }
  output.commit();
}

Json read_checkpoint_network(const std::string& path) { return parse_attribute(open_checkpoint(path), "network"); }

TrainingState read_training_state(const std::string& path) {
  const h5::File file = open_checkpoint(path);
  if (!file.has_attribute("training")) return TrainingState{};
  const TrainingState state = TrainingState::from_json(parse_attribute(file, "training"), path);
  if (file.has_attribute("epoch") && file.read_int_attribute("epoch") != state.epoch)
    fail("'", path, "': attribute 'epoch' (", file.read_int_attribute("epoch"), ") disagrees with its training state (",
         state.epoch, " epochs): a damaged checkpoint");
  return state;
}

void load_checkpoint(const std::string& path, Sequential& net, Optimiser* optimiser) {
  const h5::File file = open_checkpoint(path);
  const std::string difference = network_difference(parse_attribute(file, "network"), network_json(net));
  if (!difference.empty()) fail("'", path, "' was written for a different network: ", difference);
  if (optimiser && !file.has("optimiser"))
    fail("'", path, "' holds no optimiser state (written for inference only?), so training cannot resume from it");
  // Read everything into the network's tensors; an optimiser's step count
  // comes from the training state.
  for (size_t i = 0; i < net.size(); ++i) {
    Layer& layer = net.layer(i);
    const std::string group = layer_group(i, layer.type());
    for (const NamedTensor& p : layer.parameters()) read_checkpoint_tensor(file, group + "/" + p.name, *p.tensor);
    for (const NamedTensor& b : layer.buffers()) read_checkpoint_tensor(file, group + "/" + b.name, *b.tensor);
  }
  if (optimiser)
    for (const NamedTensor& s : optimiser->state(net.parameters()))
      read_checkpoint_tensor(file, optimiser_dataset(net, s.name), *s.tensor);
  if (optimiser && file.has_attribute("training")) {
    const TrainingState state = TrainingState::from_json(parse_attribute(file, "training"), path);
    optimiser->set_steps(state.optimiser_steps);
  }
}

Sequential load_network(Context& ctx, const std::string& path) {
  const Json network = read_checkpoint_network(path);
  Sequential net = sequential_from_json(ctx, network, path);
  load_checkpoint(path, net, nullptr);
  net.set_training(false);
  return net;
}

}  // namespace jetimg
