// The ops that network layers are built from, each a forward/backward pair:
// activations, softmax, bias, maxout and dropout. Declared and checked here,
// implemented in host/nn_ops.cpp and cuda/nn_ops.cu over the element math of
// core/nn_math.h. The matrix product is core/gemm.h.
#pragma once

#include "core/context.h"
#include "core/nn_math.h"
#include "core/tensor.h"

namespace jetimg {

// y = f(x), any shape (y may be x).
void activation_forward(Context& ctx, ActivationParams p, const Tensor& x, Tensor& y);
// dx = f'(x) ⊙ dy, from the forward input x and output y (dx may be dy).
void activation_backward(Context& ctx, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx);

// Softmax over the last dimension. x, y: (..., C).
void softmax_forward(Context& ctx, const Tensor& x, Tensor& y);
void softmax_backward(Context& ctx, const Tensor& y, const Tensor& dy, Tensor& dx);

// y: (N, F), bias: (F): y[n, f] += bias[f].
void bias_add(Context& ctx, Tensor& y, const Tensor& bias);
// dbias[f] = Σ_n dy[n, f] (written, not added).
void bias_backward(Context& ctx, const Tensor& dy, Tensor& dbias);

// z: (N, pieces·units) laid out as `pieces` blocks of `units` columns ->
// y: (N, units) the largest piece per unit, winner: (N, units) its piece
// index (as float; ties go to the lowest index).
void maxout_forward(Context& ctx, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner);
// dz: (N, pieces·units): dy routed to the winning piece, zero elsewhere.
void maxout_backward(Context& ctx, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz);

// Inverted dropout with drop probability `rate` in [0, 1): mask from the
// context's seed and next random stream (the same mask on the CPU and CUDA),
// y = x ⊙ mask where mask is 0 or 1 / (1 - rate).
void dropout_forward(Context& ctx, const Tensor& x, float rate, Tensor& mask, Tensor& y);
// out = a ⊙ b (dropout's backward: dx = dy ⊙ mask).
void multiply(Context& ctx, const Tensor& a, const Tensor& b, Tensor& out);

namespace host {
void activation_forward(Context& ctx, ActivationParams p, const Tensor& x, Tensor& y);
void activation_backward(Context& ctx, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx);
void softmax_forward(Context& ctx, const Tensor& x, Tensor& y);
void softmax_backward(Context& ctx, const Tensor& y, const Tensor& dy, Tensor& dx);
void bias_add(Context& ctx, Tensor& y, const Tensor& bias);
void maxout_forward(Context& ctx, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner);
void maxout_backward(Context& ctx, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz);
void dropout_forward(Context& ctx, const Tensor& x, float rate, uint64_t stream, Tensor& mask, Tensor& y);
void multiply(Context& ctx, const Tensor& a, const Tensor& b, Tensor& out);
}  // namespace host

namespace cuda {
void activation_forward(Context& ctx, ActivationParams p, const Tensor& x, Tensor& y);
void activation_backward(Context& ctx, ActivationParams p, const Tensor& x, const Tensor& y, const Tensor& dy,
                         Tensor& dx);
void softmax_forward(Context& ctx, const Tensor& x, Tensor& y);
void softmax_backward(Context& ctx, const Tensor& y, const Tensor& dy, Tensor& dx);
void bias_add(Context& ctx, Tensor& y, const Tensor& bias);
void maxout_forward(Context& ctx, const Tensor& z, int64_t pieces, Tensor& y, Tensor& winner);
void maxout_backward(Context& ctx, const Tensor& dy, const Tensor& winner, int64_t pieces, Tensor& dz);
void dropout_forward(Context& ctx, const Tensor& x, float rate, uint64_t stream, Tensor& mask, Tensor& y);
void multiply(Context& ctx, const Tensor& a, const Tensor& b, Tensor& out);
}  // namespace cuda

}  // namespace jetimg
