// Ops of CaloGAN/LAGAN-style generators and discriminators, each a
// forward/backward pair: minibatch discrimination, the inpainting attention
// that mixes a calorimeter layer's own image with the one carried over from
// the layer before, and per-sample sums and sparsities of showers. Declared
// and checked here (core/gan_ops.cpp), implemented in host/gan_ops.cpp and
// cuda/gan_ops.cu over the element math of core/gan_math.h.
//
// Outputs and gradients are written, never added to; the caller allocates them.
#pragma once

#include "core/context.h"
#include "core/gan_math.h"
#include "core/tensor.h"

namespace jetimg {

// --- minibatch discrimination (Salimans et al. 2016) ------------------------------------
// m: (N, F, V), F features of V dims per sample (a dense layer's F·V outputs)
// -> out: (N, F), how close each sample is to the rest of the batch:
//   out[i, f] = Σ_j exp(-Σ_v |m[i, f, v] - m[j, f, v]|),
// the sum over every j of the batch, i itself included (it adds exactly 1).
// Each output is one fixed-order sum on both devices (no atomics): the same
// result run after run.
void minibatch_discrimination_forward(Context& ctx, const Tensor& m, Tensor& out);
// dm: (N, F, V) from m and dout: (N, F):
//   dm[i, f, v] = -Σ_j (dout[i, f] + dout[j, f]) · exp(-d_ijf) · sign(m[i, f, v] - m[j, f, v])
// with d_ijf the L1 distance above and sign(0) = 0 (so j = i adds nothing).
void minibatch_discrimination_backward(Context& ctx, const Tensor& m, const Tensor& dout, Tensor& dm);

// --- attention combine (CaloGAN's inpainting attention) -----------------------------------
// x, logits: (N, C, ...) (CaloGAN: C = 2, channel 0 the layer's own image,
// channel 1 the image carried over from the previous layer; logits from a
// locally connected 3×3 layer on x) -> y: (N, 1, ...):
//   y[n, 0, p] = Σ_c softmax_c(logits[n, :, p]) · x[n, c, p].
void attention_combine_forward(Context& ctx, const Tensor& x, const Tensor& logits, Tensor& y);
// dx and dlogits: (N, C, ...) from x, logits and dy: (N, 1, ...) (the softmax
// is recomputed, not saved).
void attention_combine_backward(Context& ctx, const Tensor& x, const Tensor& logits, const Tensor& dy, Tensor& dx,
                                Tensor& dlogits);

// --- per-sample reductions ------------------------------------------------------------------
// x: (N, ...) -> out: (N, 1), each sample's sum (a shower's energy in a layer),
// accumulated in a fixed order.
void sum_per_sample(Context& ctx, const Tensor& x, Tensor& out);
// dx: (N, ...) = dout[n] at every element of sample n (dout: (N, 1)).
void sum_per_sample_backward(Context& ctx, const Tensor& dout, Tensor& dx);
// x: (N, ...) -> out: (N, 1), the fraction of each sample's elements strictly
// above `threshold` (a shower's sparsity). A step function: it has no useful
// gradient, so networks treat it as a constant feature of their input and
// pass no gradient through it.
void fraction_above(Context& ctx, const Tensor& x, float threshold, Tensor& out);

// The implementations behind the dispatch (inputs already checked, N > 0).
namespace host {
void minibatch_discrimination_forward(Context& ctx, const Tensor& m, Tensor& out);
void minibatch_discrimination_backward(Context& ctx, const Tensor& m, const Tensor& dout, Tensor& dm);
void attention_combine_forward(Context& ctx, const Tensor& x, const Tensor& logits, Tensor& y);
void attention_combine_backward(Context& ctx, const Tensor& x, const Tensor& logits, const Tensor& dy, Tensor& dx,
                                Tensor& dlogits);
void sum_per_sample(Context& ctx, const Tensor& x, Tensor& out);
void sum_per_sample_backward(Context& ctx, const Tensor& dout, Tensor& dx);
void fraction_above(Context& ctx, const Tensor& x, float threshold, Tensor& out);
}  // namespace host

namespace cuda {
void minibatch_discrimination_forward(Context& ctx, const Tensor& m, Tensor& out);
void minibatch_discrimination_backward(Context& ctx, const Tensor& m, const Tensor& dout, Tensor& dm);
void attention_combine_forward(Context& ctx, const Tensor& x, const Tensor& logits, Tensor& y);
void attention_combine_backward(Context& ctx, const Tensor& x, const Tensor& logits, const Tensor& dy, Tensor& dx,
                                Tensor& dlogits);
void sum_per_sample(Context& ctx, const Tensor& x, Tensor& out);
void sum_per_sample_backward(Context& ctx, const Tensor& dout, Tensor& dx);
void fraction_above(Context& ctx, const Tensor& x, float threshold, Tensor& out);
}  // namespace cuda

}  // namespace jetimg
