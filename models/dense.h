// Fully connected layers.
//
// Dense: y = f(x · weight + bias) with x: (N, in), weight: (in, units),
// bias: (units) and an optional activation f (linear by default). The bias
// and the activation run as one pass after the GEMM. With use_bias false
// the layer has no bias parameter at all: y = f(x · weight). The weight is stored
// input-major as Keras stores its kernel; PyTorch's nn.Linear.weight is its
// transpose, (units, in).
//
// MaxoutDense (Goodfellow et al. 2013, as in Keras 1's MaxoutDense):
// y = max_k (x · W_k + b_k) over `pieces` affine maps, with all pieces in one
// matrix: weight: (in, pieces·units) where W_k is columns [k·units, (k+1)·units),
// bias: (pieces·units). Keras 1 stores W as (pieces, in, units):
// keras_W[k, i, u] = weight[i, k·units + u], keras_b[k, u] = bias[k·units + u].
// Backward sends dy to the winning piece only; ties go to the lowest k.
// use_bias false: no bias, y = max_k (x · W_k).
#pragma once

#include "core/nn_math.h"
#include "models/init.h"
#include "models/layer.h"

namespace jetimg {

class Dense : public Layer {
 public:
  Dense(Context& ctx, int64_t in, int64_t units, Init init = Init::GlorotUniform,
        ActivationParams activation = {ActivationKind::Linear, 0.0f}, bool use_bias = true);
  std::string type() const override { return "dense"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override;
  std::vector<NamedTensor> gradients() override;
  Json config() const override;
  SampleShape output_shape(const SampleShape&) const override { return {units_}; }

 private:
  int64_t in_, units_;
  Init init_;
  ActivationParams activation_;
  bool use_bias_;
  Tensor weight_, bias_, dweight_, dbias_;  // (in, units), (units)
  Tensor x_, z_, y_, dz_, dx_;              // z: before the activation
};

class MaxoutDense : public Layer {
 public:
  MaxoutDense(Context& ctx, int64_t in, int64_t units, int64_t pieces, Init init = Init::GlorotUniform,
              bool use_bias = true);
  std::string type() const override { return "maxout_dense"; }
  Tensor forward(Context& ctx, const Tensor& x) override;
  Tensor backward(Context& ctx, const Tensor& dy) override;
  std::vector<NamedTensor> parameters() override;
  std::vector<NamedTensor> gradients() override;
  Json config() const override;
  SampleShape output_shape(const SampleShape&) const override { return {units_}; }

 private:
  int64_t in_, units_, pieces_;
  Init init_;
  bool use_bias_;
  Tensor weight_, bias_, dweight_, dbias_;  // (in, pieces·units), (pieces·units)
  Tensor x_, z_, y_, winner_, dz_, dx_;
};

}  // namespace jetimg
