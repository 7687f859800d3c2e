#include "models/dense.h"

#include "core/error.h"
#include "core/gemm.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "models/simple_layers.h"

namespace jetimg {
namespace {

void check_input(const Tensor& x, int64_t in, const char* layer) {
  if (x.ndim() != 2 || x.dim(1) != in)
    fail(layer, ": expected input (N, ", in, "), got ", x.shape().str(),
         (x.ndim() > 2 ? " (put a flatten layer before it)" : ""));
}

void check_grad(const Tensor& dy, const Tensor& y, const char* layer) {
  if (!y.defined()) fail(layer, ": backward called before forward");
  if (dy.shape() != y.shape()) fail(layer, ": dy has shape ", dy.shape().str(), " but y had ", y.shape().str());
}

bool is_linear(ActivationParams p) { return p.kind == ActivationKind::Linear; }

}  // namespace

// --- Dense -----------------------------------------------------------------------

Dense::Dense(Context& ctx, int64_t in, int64_t units, Init init, ActivationParams activation)
    : in_(in), units_(units), init_(init), activation_(activation) {
  if (in < 1 || units < 1) fail("dense: need in >= 1 and units >= 1, got in ", in, ", units ", units);
  weight_ = Tensor::empty({in, units}, ctx.device());
  bias_ = Tensor::zeros({units}, ctx.device());
  initialise(ctx, weight_, init, in, units);
  dweight_ = Tensor::zeros(weight_.shape(), ctx.device());
  dbias_ = Tensor::zeros(bias_.shape(), ctx.device());
}

Tensor Dense::forward(Context& ctx, const Tensor& x) {
  check_input(x, in_, "dense");
  x_ = x;
  ensure_tensor(z_, {x.dim(0), units_}, ctx.device());
  gemm(ctx, false, false, 1.0f, x, weight_, 0.0f, z_);  // z = x · weight
  if (is_linear(activation_)) {
    bias_add(ctx, z_, bias_);
    y_ = z_;
  } else {
    ensure_tensor(y_, z_.shape(), ctx.device());
    bias_activation_forward(ctx, activation_, z_, bias_, y_);  // z += bias; y = f(z), one pass
  }
  return y_;
}

Tensor Dense::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "dense");
  Tensor dz = dy;
  if (!is_linear(activation_)) {
    ensure_tensor(dz_, dy.shape(), ctx.device());
    activation_backward(ctx, activation_, z_, y_, dy, dz_);  // dz = f'(z) ⊙ dy
    dz = dz_;
  }
  gemm(ctx, true, false, 1.0f, x_, dz, 0.0f, dweight_);  // dweight = xᵀ · dz
  bias_backward(ctx, dz, dbias_);                        // dbias = Σ_n dz
  if (!input_gradient_) return Tensor();
  ensure_tensor(dx_, x_.shape(), ctx.device());
  gemm(ctx, false, true, 1.0f, dz, weight_, 0.0f, dx_);  // dx = dz · weightᵀ
  return dx_;
}

Json Dense::config() const {
  Json c = {{"type", type()}, {"units", units_}, {"init", init_name(init_)},
            {"activation", activation_name(activation_.kind)}};
  if (activation_.kind == ActivationKind::LeakyReLU) c["slope"] = config_number(activation_.slope);
  return c;
}

// --- MaxoutDense -----------------------------------------------------------------

MaxoutDense::MaxoutDense(Context& ctx, int64_t in, int64_t units, int64_t pieces, Init init)
    : in_(in), units_(units), pieces_(pieces), init_(init) {
  if (in < 1 || units < 1 || pieces < 1)
    fail("maxout_dense: need in, units and pieces >= 1, got in ", in, ", units ", units, ", pieces ", pieces);
  weight_ = Tensor::empty({in, pieces * units}, ctx.device());
  bias_ = Tensor::zeros({pieces * units}, ctx.device());
  initialise(ctx, weight_, init, in, units);
  dweight_ = Tensor::zeros(weight_.shape(), ctx.device());
  dbias_ = Tensor::zeros(bias_.shape(), ctx.device());
}

Tensor MaxoutDense::forward(Context& ctx, const Tensor& x) {
  check_input(x, in_, "maxout_dense");
  x_ = x;
  const int64_t n = x.dim(0);
  ensure_tensor(z_, {n, pieces_ * units_}, ctx.device());
  gemm(ctx, false, false, 1.0f, x, weight_, 0.0f, z_);  // z = x · weight + bias, all pieces at once
  bias_add(ctx, z_, bias_);
  ensure_tensor(y_, {n, units_}, ctx.device());
  ensure_tensor(winner_, {n, units_}, ctx.device());
  maxout_forward(ctx, z_, pieces_, y_, winner_);
  return y_;
}

Tensor MaxoutDense::backward(Context& ctx, const Tensor& dy) {
  check_grad(dy, y_, "maxout_dense");
  ensure_tensor(dz_, z_.shape(), ctx.device());
  maxout_backward(ctx, dy, winner_, pieces_, dz_);        // dy to the winning piece
  gemm(ctx, true, false, 1.0f, x_, dz_, 0.0f, dweight_);  // dweight = xᵀ · dz
  bias_backward(ctx, dz_, dbias_);
  ensure_tensor(dx_, x_.shape(), ctx.device());
  gemm(ctx, false, true, 1.0f, dz_, weight_, 0.0f, dx_);  // dx = dz · weightᵀ
  return dx_;
}

Json MaxoutDense::config() const {
  return {{"type", type()}, {"units", units_}, {"pieces", pieces_}, {"init", init_name(init_)}};
}

}  // namespace jetimg
