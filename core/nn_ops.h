// The ops that network layers are built from, each a forward/backward pair:
// activations, softmax, bias (alone and fused with an activation), maxout,
// dropout and batch normalisation. Declared and checked here,
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

// Dense layers' epilogue in one pass after the GEMM: z: (N, F) += bias: (F)
// in place, then y = f(z) (y: (N, F); the backward is activation_backward
// with x = z).
void bias_activation_forward(Context& ctx, ActivationParams p, Tensor& z, const Tensor& bias, Tensor& y);

// Batch normalisation per channel. x: (N, C) (dense features) or (N, C, ...)
// (images: statistics over N and the spatial positions); gamma, beta and the
// running statistics: (C). Training: normalise with the batch's mean and
// biased variance, keep mean and 1/sqrt(var + eps) in save_mean/save_invstd
// (C) for backward, and move the running statistics by `momentum` (PyTorch's
// convention: r ← (1 - momentum)·r + momentum·batch, unbiased variance).
void batchnorm_forward_train(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum,
                             float eps, Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& save_mean,
                             Tensor& save_invstd);
// Inference: normalise with the running statistics.
void batchnorm_forward_inference(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                                 const Tensor& running_mean, const Tensor& running_var, Tensor& y);
// The backward of batchnorm_forward_train: dx like x, dgamma and dbeta (C) written.
void batchnorm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                        const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);

// Layer normalisation over the last dimension: x (R, C) -> y (R, C), each
// row normalised to zero mean and unit (biased) variance, then scaled by
// gamma (C) and shifted by beta (C); mean and 1/sqrt(var + eps) of each row
// kept in save_mean, save_invstd (R) for backward.
void layer_norm_forward(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y,
                        Tensor& save_mean, Tensor& save_invstd);
// dx (R, C), and dgamma, dbeta (C) written (summed over the rows in a fixed order).
void layer_norm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma,
                         const Tensor& save_mean, const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);

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
void bias_activation_forward(Context& ctx, ActivationParams p, Tensor& z, const Tensor& bias, Tensor& y);
void batchnorm_forward_train(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum,
                             float eps, Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& save_mean,
                             Tensor& save_invstd);
void batchnorm_forward_inference(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                                 const Tensor& running_mean, const Tensor& running_var, Tensor& y);
void batchnorm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                        const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);
void layer_norm_forward(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y,
                        Tensor& save_mean, Tensor& save_invstd);
void layer_norm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma,
                         const Tensor& save_mean, const Tensor& save_invstd, Tensor& dx, Tensor& prod);
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
void bias_activation_forward(Context& ctx, ActivationParams p, Tensor& z, const Tensor& bias, Tensor& y);
void batchnorm_forward_train(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float momentum,
                             float eps, Tensor& running_mean, Tensor& running_var, Tensor& y, Tensor& save_mean,
                             Tensor& save_invstd);
void batchnorm_forward_inference(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                                 const Tensor& running_mean, const Tensor& running_var, Tensor& y);
void batchnorm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma, const Tensor& save_mean,
                        const Tensor& save_invstd, Tensor& dx, Tensor& dgamma, Tensor& dbeta);
void layer_norm_forward(Context& ctx, const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& y,
                        Tensor& save_mean, Tensor& save_invstd);
void layer_norm_backward(Context& ctx, const Tensor& x, const Tensor& dy, const Tensor& gamma,
                         const Tensor& save_mean, const Tensor& save_invstd, Tensor& dx, Tensor& prod);
}  // namespace cuda

}  // namespace jetimg
