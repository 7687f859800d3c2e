// Layer: the unit networks are built from. Explicit forward and backward, no
// tape: forward saves what backward needs, backward takes dL/dy and returns
// dL/dx, and writes (not adds) the gradients of the layer's parameters.
//
// Shapes: x and y are (N, ...) with the batch first; `output_shape` works on
// one sample's shape (no batch). The tensors forward and backward return are
// owned by the layer and stay valid until its next forward/backward; forward
// keeps a (shared, not copied) reference to x, so x must not change before
// backward.
#pragma once

#include <string>
#include <vector>

#include "core/context.h"
#include "core/tensor.h"
#include "core/config.h"

namespace jetimg {

using SampleShape = std::vector<int64_t>;  // one sample's shape, batch left out

// Bounds on the sizes a network config may ask for, checked when the config
// is read, so that an absurd one is refused by name before anything is
// allocated: units, filters and features of one layer; a window's kernel,
// stride, pool or up-sampling factor; and the values one sample has at any
// layer (2^28 floats, 1 GB).
constexpr int64_t kMaxLayerUnits = int64_t{1} << 16;
constexpr int kMaxWindow = 1024;
constexpr int64_t kMaxSampleValues = int64_t{1} << 28;
// Bounds on training settings: samples in one batch, epochs of one run.
constexpr int64_t kMaxBatch = int64_t{1} << 20;
constexpr int64_t kMaxEpochs = 1000000;

// The number of values of one sample of `shape`; Error naming `where` when
// it passes kMaxSampleValues.
int64_t checked_sample_values(const SampleShape& shape, const std::string& where);

struct NamedTensor {
  std::string name;
  Tensor* tensor;
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual std::string type() const = 0;
  virtual Tensor forward(Context& ctx, const Tensor& x) = 0;
  virtual Tensor backward(Context& ctx, const Tensor& dy) = 0;
  // Named parameters and their gradients, in the same order (empty for
  // layers without parameters).
  virtual std::vector<NamedTensor> parameters() { return {}; }
  virtual std::vector<NamedTensor> gradients() { return {}; }
  // Named state that is not trained but belongs in a checkpoint (batch
  // normalisation's running statistics); empty for most layers.
  virtual std::vector<NamedTensor> buffers() { return {}; }
  // The layer's configuration, complete with defaults: {"type": ..., ...}.
  virtual Json config() const = 0;
  virtual SampleShape output_shape(const SampleShape& input) const { return input; }

  // Training (the default) or inference; dropout and batch normalisation
  // behave differently.
  void set_training(bool training) { training_ = training; }
  bool training() const { return training_; }
  // Whether backward must return dL/dx (the default). The first layer of a
  // network fed with data needs none; layers that can skip the work (dense)
  // then return an undefined tensor.
  void set_input_gradient(bool needed) { input_gradient_ = needed; }

 protected:
  bool training_ = true;
  bool input_gradient_ = true;
};

// Makes `t` an (uninitialised) tensor of `shape` on `device`, reusing its
// storage when it already is one.
Tensor& ensure_tensor(Tensor& t, const Shape& shape, Device device);

std::string shape_string(const SampleShape& shape);

// `tensors` with `prefix` put before each name ("stream0." + "3.weight"), for
// models made of several networks.
std::vector<NamedTensor> prefixed(const std::string& prefix, std::vector<NamedTensor> tensors);

// A network's parameters, then its buffers: what a checkpoint stores of it.
template <typename Network>
std::vector<NamedTensor> stored_tensors(Network& net) {
  std::vector<NamedTensor> all = net.parameters(), buffers = net.buffers();
  all.insert(all.end(), buffers.begin(), buffers.end());
  return all;
}

// A float setting as configs write it: the shortest decimal that reads back
// as the same float (0.1f is written 0.1, not 0.10000000149011612).
double config_number(float value);

}  // namespace jetimg
