// Model: everything that trains. A model has named inputs and outputs (a
// jet-image tagger has one input; a particle-cloud tagger has features,
// coordinates and a mask; a conditional GAN has noise and a condition), named
// parameters, gradients and buffers, a training mode, and its complete
// configuration, from which make_model() builds the same architecture again:
// a checkpoint is a model's config and its named tensors (models/checkpoint.h).
//
// Forward and backward are explicit, as for layers (models/layer.h): forward
// saves what backward needs; backward takes dL/d(outputs) and returns
// dL/d(inputs), and writes (not adds) the parameters' gradients. The maps
// forward and backward return are owned by the model and stay valid until
// its next call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/tensor_map.h"
#include "models/layer.h"

namespace jetimg {



// One named input or output: its one-sample shape (the batch left out).
struct TensorSpec {
  std::string name;
  SampleShape shape;
};

class Model {
 public:
  virtual ~Model() = default;
  // The config's "type": "sequential", "graph", "calogan_generator", ...
  virtual std::string type() const = 0;
  // Complete, with every default: make_model(ctx, config()) rebuilds it.
  virtual Json config() const = 0;
  virtual std::vector<TensorSpec> inputs() const = 0;
  virtual std::vector<TensorSpec> outputs() const = 0;
  // Every input of inputs() -> every output of outputs().
  virtual const TensorMap& forward(Context& ctx, const TensorMap& inputs) = 0;
  // dL/d(outputs) of the last forward (an output left out contributes no
  // gradient) -> dL/d(inputs) for the inputs that have one (data inputs may
  // be left out: see set_input_gradients); fills the parameters' gradients.
  virtual const TensorMap& backward(Context& ctx, const TensorMap& doutputs) = 0;
  // Whether backward must return the inputs' gradients (default true). A
  // model fed with data needs none, which saves the first layers' work.
  virtual void set_input_gradients(bool needed) { (void)needed; }

  // Named parameters and their gradients in the same order; buffers are
  // state that is not trained (running statistics).
  virtual std::vector<NamedTensor> parameters() = 0;
  virtual std::vector<NamedTensor> gradients() = 0;
  virtual std::vector<NamedTensor> buffers() = 0;
  virtual void set_training(bool training) = 0;

  // The output called `name` of a forward's result; an Error naming the
  // model and what it has otherwise.
  TensorSpec output(const std::string& name) const;
  TensorSpec input(const std::string& name) const;
};

// Parameters, buffers and training mode of a model made of parts (networks
// and loose tensors), each tensor named with its part's name before it
// ("stream0.3.weight"). Composite models list their parts here once, instead
// of writing parameters(), gradients(), buffers() and set_training() by hand.
class ModelParts {
 public:
  // A network (anything with parameters(), gradients(), buffers() and
  // set_training(): a Sequential, a layer, another Model); `prefix` goes
  // before its names ("" for none).
  template <typename Part>
  void add(const std::string& prefix, Part& part) {
    entries_.push_back({prefix, [&part] { return part.parameters(); }, [&part] { return part.gradients(); },
                        [&part] { return part.buffers(); }, [&part](bool t) { part.set_training(t); }});
  }
  // A parameter owned by the model itself, with its gradient.
  void add_tensor(const std::string& name, Tensor& parameter, Tensor& gradient);

  std::vector<NamedTensor> parameters() const;
  std::vector<NamedTensor> gradients() const;
  std::vector<NamedTensor> buffers() const;
  void set_training(bool training) const;

 private:
  struct Entry {
    std::string prefix;
    std::function<std::vector<NamedTensor>()> parameters, gradients, buffers;
    std::function<void(bool)> set_training;
  };
  std::vector<Entry> entries_;
};

// Builds a model from its config: {"type": "sequential" | "graph" |
// "calogan_generator" | "calogan_discriminator" | "lagan_generator" |
// "lagan_discriminator" | "pfn" | "efn" | "particlenet" | "topodnn" | "part", ...}; a network file without "type" (input_shape and
// layers) is a sequential model. `file` names the config in errors.
std::unique_ptr<Model> make_model(Context& ctx, const Json& config, const std::string& file);
std::unique_ptr<Model> load_model_config(Context& ctx, const std::string& path);
// `config` without its "type" key (for models whose settings are the rest).
Json without_type(const Json& config);

// Number of values in the parameters.
int64_t parameter_count(Model& model);

// inputs[name] in a model's forward, or an Error "<model>: input '<name>' is
// missing"; output_gradient is the same for backward's dL/d(output).
const Tensor& model_input(const TensorMap& inputs, const std::string& name, const std::string& model);
const Tensor& output_gradient(const TensorMap& doutputs, const std::string& name, const std::string& model);

}  // namespace jetimg
