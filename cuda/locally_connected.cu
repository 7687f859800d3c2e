// CUDA locally connected layer (core/conv_ops.h), hand-written: cuDNN has no
// unshared convolution. One thread per element of what is computed, over the
// element functions of core/conv_math.h that host/conv_ops.cpp calls too.
//
// Thread order puts the filter index fastest wherever the weight
// (P, K, F) is read or written, so a warp touches consecutive weights
// while the input pixel it reads is the same for the whole warp.
#include "core/conv_ops.h"
#include "core/cuda_check.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

#define JI_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// i = (n·P + p)·F + f  ->  y[n, f, p]
__global__ void forward_kernel(const float* x, const float* weight, const float* bias, Window2d g, int64_t batch,
                               int channels, int filters, float* y) {
  const int64_t positions = int64_t{g.out_h} * g.out_w, sample = int64_t{channels} * g.in_h * g.in_w;
  JI_GRID_STRIDE(i, batch * positions * filters) {
    const int f = static_cast<int>(i % filters);
    const int64_t p = (i / filters) % positions, n = i / (filters * positions);
    const int oh = static_cast<int>(p / g.out_w), ow = static_cast<int>(p % g.out_w);
    y[(n * filters + f) * positions + p] =
        locally_connected_output(x + n * sample, weight, bias, g, channels, filters, f, oh, ow);
  }
}

// i = ((n·C + c)·H + ih)·W + iw, dx's own order.
__global__ void backward_input_kernel(const float* weight, const float* dy, Window2d g, int64_t batch, int channels,
                                      int filters, float* dx) {
  const int64_t in_size = int64_t{g.in_h} * g.in_w, positions = int64_t{g.out_h} * g.out_w;
  JI_GRID_STRIDE(i, batch * channels * in_size) {
    const int pixel = static_cast<int>(i % in_size);
    const int c = static_cast<int>((i / in_size) % channels);
    const int64_t n = i / (in_size * channels);
    dx[i] = locally_connected_input_grad(dy + n * filters * positions, weight, g, channels, filters, c,
                                         pixel / g.in_w, pixel % g.in_w);
  }
}

// i = (p·K + k)·F + f, dweight's own order.
__global__ void backward_weight_kernel(const float* x, const float* dy, Window2d g, int64_t batch, int channels,
                                       int filters, int64_t patch, float* dweight) {
  const int64_t positions = int64_t{g.out_h} * g.out_w;
  JI_GRID_STRIDE(i, positions * patch * filters) {
    const int f = static_cast<int>(i % filters);
    const int64_t k = (i / filters) % patch, p = i / (filters * patch);
    dweight[i] = locally_connected_weight_grad(x, dy, batch, g, channels, filters, p, k, f);
  }
}

// i = p·F + f, dbias's own order.
__global__ void backward_bias_kernel(const float* dy, Window2d g, int64_t batch, int filters, float* dbias) {
  const int64_t positions = int64_t{g.out_h} * g.out_w;
  JI_GRID_STRIDE(i, positions * filters) {
    dbias[i] = locally_connected_bias_grad(dy, batch, g, filters, i / filters, static_cast<int>(i % filters));
  }
}

#undef JI_GRID_STRIDE

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

}  // namespace

void locally_connected2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias, Tensor& y) {
  if (y.numel() == 0) return;
  const int channels = static_cast<int>(x.dim(1)), filters = static_cast<int>(weight.dim(2));
  forward_kernel<<<blocks_for(y.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), weight.data(), bias.defined() ? bias.data() : nullptr, g, x.dim(0), channels, filters, y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void locally_connected2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy,
                                        Tensor& dx) {
  if (dx.numel() == 0) return;
  const int channels = static_cast<int>(dx.dim(1)), filters = static_cast<int>(weight.dim(2));
  backward_input_kernel<<<blocks_for(dx.numel()), kThreads, 0, stream_of(ctx)>>>(weight.data(), dy.data(), g,
                                                                                   dx.dim(0), channels, filters,
                                                                                   dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

void locally_connected2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy,
                                         Tensor& dweight) {
  if (dweight.numel() == 0) return;  // (an empty batch still writes zeros)
  const int channels = static_cast<int>(x.dim(1)), filters = static_cast<int>(dweight.dim(2));
  backward_weight_kernel<<<blocks_for(dweight.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), dy.data(), g, x.dim(0), channels, filters, dweight.dim(1), dweight.data());
  JI_CUDA_CHECK_LAUNCH();
}

void locally_connected2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias) {
  if (dbias.numel() == 0) return;
  Window2d g;
  g.out_h = static_cast<int>(dy.dim(2)), g.out_w = static_cast<int>(dy.dim(3));
  const int filters = static_cast<int>(dy.dim(1));
  backward_bias_kernel<<<blocks_for(dbias.numel()), kThreads, 0, stream_of(ctx)>>>(dy.data(), g, dy.dim(0), filters,
                                                                                    dbias.data());
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
