// Image ops of CNN taggers, each a forward/backward pair on NCHW float32
// tensors: convolution, locally connected (unshared weights), max and
// average pooling, nearest up-sampling, zero padding and channel
// concatenation. Declared and checked here (core/conv_ops.cpp); implemented in
// host/ (im2col + OpenBLAS for convolution, one OpenBLAS product per output
// position for the locally connected layer, plain loops over
// core/conv_math.h for the rest, OpenMP over the batch) and cuda/ (cuDNN for
// convolution, strided-batched cuBLAS for the locally connected layer,
// hand-written kernels over the same core/conv_math.h).
//
// Outputs and gradients are written, never added to. Gradient tensors must be
// allocated by the caller with the shape of what they are the gradient of.
#pragma once

#include <vector>

#include "core/context.h"
#include "core/conv_math.h"
#include "core/tensor.h"

namespace jetimg {

// --- Conv2D -------------------------------------------------------------------------
// x: (N, C, H, W), weight: (F, C, KH, KW), bias: (F) or undefined (no bias)
// -> y: (N, F, OH, OW). Cross-correlation (no kernel flip), dilation 1;
// padding 'valid' or 'same' as TensorFlow (core/conv_math.h), asymmetric for
// even kernels. The weight layout is cuDNN's and PyTorch's; a Keras kernel
// (KH, KW, C, F) is its transpose: weight[f, c, kh, kw] = keras[kh, kw, c, f].
struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::Valid;
};

Shape conv2d_output_shape(const Shape& x, const Shape& weight, const Conv2dParams& p);
void conv2d_forward(Context& ctx, const Conv2dParams& p, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y);
// dx: (N, C, H, W) from dy and the weight.
void conv2d_backward_input(Context& ctx, const Conv2dParams& p, const Tensor& weight, const Tensor& dy, Tensor& dx);
// dweight: (F, C, KH, KW) from x and dy, summed over the batch.
void conv2d_backward_weight(Context& ctx, const Conv2dParams& p, const Tensor& x, const Tensor& dy, Tensor& dweight);
// dbias: (F), dy summed over the batch and the image.
void conv2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias);

// --- LocallyConnected2D ---------------------------------------------------------------
// A convolution whose weights differ at every output position (valid padding),
// stored as Keras stores them: weight (OH·OW, KH·KW·C, F) with the middle
// index (kh·KW + kw)·C + c, bias (OH, OW, F) or undefined.
// x: (N, C, H, W) -> y: (N, F, OH, OW).
struct LocallyConnected2dParams {
  int kernel_h = 3, kernel_w = 3;
  int stride_h = 1, stride_w = 1;
};

Shape locally_connected2d_output_shape(const Shape& x, int64_t filters, const LocallyConnected2dParams& p);
Shape locally_connected2d_weight_shape(const Shape& x, int64_t filters, const LocallyConnected2dParams& p);
Shape locally_connected2d_bias_shape(const Shape& x, int64_t filters, const LocallyConnected2dParams& p);
void locally_connected2d_forward(Context& ctx, const LocallyConnected2dParams& p, const Tensor& x,
                                 const Tensor& weight, const Tensor& bias, Tensor& y);
void locally_connected2d_backward_input(Context& ctx, const LocallyConnected2dParams& p, const Tensor& weight,
                                        const Tensor& dy, Tensor& dx);
void locally_connected2d_backward_weight(Context& ctx, const LocallyConnected2dParams& p, const Tensor& x,
                                         const Tensor& dy, Tensor& dweight);
void locally_connected2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias);

// --- MaxPool2D, AvgPool2D -----------------------------------------------------------------
// Valid padding; a stride of 0 means the pool size (Keras' default).
// x: (N, C, H, W) -> y: (N, C, OH, OW). Max pooling sends dy to the window's
// largest input, the first in row-major order on a tie; average pooling
// shares it equally.
struct Pool2dParams {
  int pool_h = 2, pool_w = 2;
  int stride_h = 0, stride_w = 0;
};

Shape pool2d_output_shape(const Shape& x, const Pool2dParams& p);
void max_pool2d_forward(Context& ctx, const Pool2dParams& p, const Tensor& x, Tensor& y);
// dx from the forward input x (the argmax is found again) and dy.
void max_pool2d_backward(Context& ctx, const Pool2dParams& p, const Tensor& x, const Tensor& dy, Tensor& dx);
void avg_pool2d_forward(Context& ctx, const Pool2dParams& p, const Tensor& x, Tensor& y);
void avg_pool2d_backward(Context& ctx, const Pool2dParams& p, const Tensor& dy, Tensor& dx);

// --- UpSampling2D (nearest) -------------------------------------------------------------
// x: (N, C, H, W) -> y: (N, C, H·factor_h, W·factor_w), each pixel repeated.
struct UpSampling2dParams {
  int factor_h = 2, factor_w = 2;
};

Shape up_sampling2d_output_shape(const Shape& x, const UpSampling2dParams& p);
void up_sampling2d_forward(Context& ctx, const UpSampling2dParams& p, const Tensor& x, Tensor& y);
void up_sampling2d_backward(Context& ctx, const UpSampling2dParams& p, const Tensor& dy, Tensor& dx);

// --- ZeroPadding2D -----------------------------------------------------------------------
// x: (N, C, H, W) -> y: (N, C, top + H + bottom, left + W + right).
struct ZeroPadding2dParams {
  int top = 1, bottom = 1, left = 1, right = 1;
};

Shape zero_padding2d_output_shape(const Shape& x, const ZeroPadding2dParams& p);
void zero_padding2d_forward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& x, Tensor& y);
// dx: the inner H × W of dy.
void zero_padding2d_backward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& dy, Tensor& dx);

// --- Concatenate (channels) ---------------------------------------------------------------
// inputs: two or more (N, C_i, H, W) -> y: (N, Σ C_i, H, W), in order.
Shape concatenate_channels_output_shape(const std::vector<Shape>& inputs);
void concatenate_channels_forward(Context& ctx, const std::vector<Tensor>& inputs, Tensor& y);
// Splits dy into dxs, shaped like the inputs (their shapes say where to cut).
void concatenate_channels_backward(Context& ctx, const Tensor& dy, std::vector<Tensor>& dxs);

// The implementations behind the dispatch (inputs already checked; `g` is
// the resolved window geometry).
namespace host {
void conv2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y);
void conv2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy, Tensor& dx);
void conv2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dweight);
void conv2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias);
void locally_connected2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias, Tensor& y);
void locally_connected2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy,
                                        Tensor& dx);
void locally_connected2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy,
                                         Tensor& dweight);
void locally_connected2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias);
void max_pool2d_forward(Context& ctx, const Window2d& g, const Tensor& x, Tensor& y);
void max_pool2d_backward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dx);
void avg_pool2d_forward(Context& ctx, const Window2d& g, const Tensor& x, Tensor& y);
void avg_pool2d_backward(Context& ctx, const Window2d& g, const Tensor& dy, Tensor& dx);
void up_sampling2d_forward(Context& ctx, const UpSampling2dParams& p, const Tensor& x, Tensor& y);
void up_sampling2d_backward(Context& ctx, const UpSampling2dParams& p, const Tensor& dy, Tensor& dx);
void zero_padding2d_forward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& x, Tensor& y);
void zero_padding2d_backward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& dy, Tensor& dx);
void concatenate_channels_forward(Context& ctx, const std::vector<Tensor>& inputs, Tensor& y);
void concatenate_channels_backward(Context& ctx, const Tensor& dy, std::vector<Tensor>& dxs);
}  // namespace host

namespace cuda {
void conv2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y);
void conv2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy, Tensor& dx);
void conv2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dweight);
void conv2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias);
void locally_connected2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias, Tensor& y);
void locally_connected2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy,
                                        Tensor& dx);
void locally_connected2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy,
                                         Tensor& dweight);
void locally_connected2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias);
void max_pool2d_forward(Context& ctx, const Window2d& g, const Tensor& x, Tensor& y);
void max_pool2d_backward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dx);
void avg_pool2d_forward(Context& ctx, const Window2d& g, const Tensor& x, Tensor& y);
void avg_pool2d_backward(Context& ctx, const Window2d& g, const Tensor& dy, Tensor& dx);
void up_sampling2d_forward(Context& ctx, const UpSampling2dParams& p, const Tensor& x, Tensor& y);
void up_sampling2d_backward(Context& ctx, const UpSampling2dParams& p, const Tensor& dy, Tensor& dx);
void zero_padding2d_forward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& x, Tensor& y);
void zero_padding2d_backward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& dy, Tensor& dx);
void concatenate_channels_forward(Context& ctx, const std::vector<Tensor>& inputs, Tensor& y);
void concatenate_channels_backward(Context& ctx, const Tensor& dy, std::vector<Tensor>& dxs);
}  // namespace cuda

}  // namespace jetimg
