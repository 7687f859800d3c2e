#include "models/model.h"

#include <functional>

#include "core/error.h"
#include "models/calogan.h"
#include "models/graph.h"
#include "models/particle_flow.h"
#include "models/particle_net.h"
#include "models/topo_dnn.h"
#include "models/part.h"
#include "models/lagan.h"
#include "models/sequential.h"

namespace jetimg {
namespace {

std::string names(const std::vector<TensorSpec>& specs) {
  std::string s;
  for (const TensorSpec& t : specs) s += (s.empty() ? "" : ", ") + t.name;
  return s;
}

TensorSpec find_spec(const std::vector<TensorSpec>& specs, const std::string& name, const std::string& model,
                            const char* what) {
  for (const TensorSpec& t : specs)
    if (t.name == name) return t;
  fail(model, " has no ", what, " '", name, "' (it has ", names(specs), ")");
}

// The model types make_model() knows, by their config's "type".
using ModelFactory = std::function<std::unique_ptr<Model>(Context&, const Json&, const std::string&)>;
const std::vector<std::pair<std::string, ModelFactory>>& model_types() {
  static const std::vector<std::pair<std::string, ModelFactory>> types = {
      {"sequential",
       [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<Sequential>(sequential_from_json(ctx, c, file));
       }},
      {"graph", [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<Graph>(ctx, c, file);
       }},
      {"calogan_generator",
       [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<CaloGanGenerator>(ctx, CaloGanConfig::from_json(without_type(c), file));
       }},
      {"calogan_discriminator",
       [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<CaloGanDiscriminator>(ctx, CaloGanConfig::from_json(without_type(c), file));
       }},
      {"lagan_generator",
       [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<LaganGenerator>(ctx, LaganConfig::from_json(without_type(c), file));
       }},
      {"lagan_discriminator",
       [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<LaganDiscriminator>(ctx, LaganConfig::from_json(without_type(c), file));
       }},
      {"pfn", [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<ParticleFlowNetwork>(ctx, c, file, false);
       }},
      {"efn", [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<ParticleFlowNetwork>(ctx, c, file, true);
       }},
      {"particlenet", [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<ParticleNet>(ctx, c, file);
       }},
      {"topodnn", [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<TopoDnn>(ctx, c, file);
       }},
      {"part", [](Context& ctx, const Json& c, const std::string& file) -> std::unique_ptr<Model> {
         return std::make_unique<ParticleTransformer>(ctx, c, file);
       }},
  };
  return types;
}

}  // namespace

Json without_type(const Json& config) {
  Json c = config;
  if (c.is_object()) c.erase("type");
  return c;
}

TensorSpec Model::output(const std::string& name) const {
  return find_spec(outputs(), name, "model '" + type() + "'", "output");
}

TensorSpec Model::input(const std::string& name) const {
  return find_spec(inputs(), name, "model '" + type() + "'", "input");
}

void ModelParts::add_tensor(const std::string& name, Tensor& parameter, Tensor& gradient) {
  entries_.push_back({"", [name, &parameter] { return std::vector<NamedTensor>{{name, &parameter}}; },
                      [name, &gradient] { return std::vector<NamedTensor>{{name, &gradient}}; },
                      [] { return std::vector<NamedTensor>{}; }, [](bool) {}});
}

std::vector<NamedTensor> ModelParts::parameters() const {
  std::vector<NamedTensor> all;
  for (const Entry& e : entries_)
    for (const NamedTensor& t : prefixed(e.prefix, e.parameters())) all.push_back(t);
  return all;
}

std::vector<NamedTensor> ModelParts::gradients() const {
  std::vector<NamedTensor> all;
  for (const Entry& e : entries_)
    for (const NamedTensor& t : prefixed(e.prefix, e.gradients())) all.push_back(t);
  return all;
}

std::vector<NamedTensor> ModelParts::buffers() const {
  std::vector<NamedTensor> all;
  for (const Entry& e : entries_)
    for (const NamedTensor& t : prefixed(e.prefix, e.buffers())) all.push_back(t);
  return all;
}

void ModelParts::set_training(bool training) const {
  for (const Entry& e : entries_) e.set_training(training);
}

std::unique_ptr<Model> make_model(Context& ctx, const Json& config, const std::string& file) {
  if (!config.is_object()) fail(file, ": a model config must be an object, got ", config.dump().substr(0, 80));
  std::string type = "sequential";  // a network file without a type: input_shape and layers
  if (config.contains("type")) {
    if (!config["type"].is_string()) fail(file, ": 'type' must be a string, got ", config["type"].dump());
    type = config["type"].get<std::string>();
  }
  std::string known;
  for (const auto& [name, factory] : model_types()) {
    if (name == type) return factory(ctx, config, file);
    known += (known.empty() ? "" : ", ") + name;
  }
  fail(file, ": 'type' is '", type, "', not a model type (known: ", known, ")");
}

std::unique_ptr<Model> load_model_config(Context& ctx, const std::string& path) {
  return make_model(ctx, load_json_file(path), path);
}

const Tensor& model_input(const TensorMap& inputs, const std::string& name, const std::string& model) {
  const auto it = inputs.find(name);
  if (it == inputs.end()) fail(model, ": input '", name, "' is missing");
  return it->second;
}

const Tensor& output_gradient(const TensorMap& doutputs, const std::string& name, const std::string& model) {
  const auto it = doutputs.find(name);
  if (it == doutputs.end()) fail(model, ": the gradient of output '", name, "' is missing");
  return it->second;
}

int64_t parameter_count(Model& model) {
  int64_t n = 0;
  for (const NamedTensor& p : model.parameters()) n += p.tensor->numel();
  return n;
}

}  // namespace jetimg
