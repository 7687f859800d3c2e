// CUDA pooling, up-sampling, zero padding and channel concatenation
// (core/conv_ops.h). One thread per output element, grid-stride; the
// per-pixel math is core/conv_math.h, shared with host/image_ops.cpp. Every
// backward is a gather (one thread per dx element), so no atomics.
#include "core/conv_ops.h"
#include "core/cuda_check.h"
#include "cuda/image_kernels.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

#define JI_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void max_pool_kernel(const float* x, Window2d g, int64_t planes, float* y) {
  const int64_t out_size = int64_t{g.out_h} * g.out_w, in_size = int64_t{g.in_h} * g.in_w;
  JI_GRID_STRIDE(i, planes * out_size) {
    const float* in = x + (i / out_size) * in_size;
    const int o = static_cast<int>(i % out_size);
    y[i] = in[max_pool_argmax(in, g, o / g.out_w, o % g.out_w)];
  }
}

__global__ void max_pool_backward_kernel(const float* x, const float* dy, Window2d g, int64_t planes, float* dx) {
  const int64_t out_size = int64_t{g.out_h} * g.out_w, in_size = int64_t{g.in_h} * g.in_w;
  JI_GRID_STRIDE(i, planes * in_size) {
    const int64_t plane = i / in_size;
    const int pixel = static_cast<int>(i % in_size);
    dx[i] = max_pool_input_grad(x + plane * in_size, dy + plane * out_size, g, pixel / g.in_w, pixel % g.in_w);
  }
}

__global__ void avg_pool_kernel(const float* x, Window2d g, int64_t planes, float* y) {
  const int64_t out_size = int64_t{g.out_h} * g.out_w, in_size = int64_t{g.in_h} * g.in_w;
  JI_GRID_STRIDE(i, planes * out_size) {
    const int o = static_cast<int>(i % out_size);
    y[i] = avg_pool_output(x + (i / out_size) * in_size, g, o / g.out_w, o % g.out_w);
  }
}

__global__ void avg_pool_backward_kernel(const float* dy, Window2d g, int64_t planes, float* dx) {
  const int64_t out_size = int64_t{g.out_h} * g.out_w, in_size = int64_t{g.in_h} * g.in_w;
  JI_GRID_STRIDE(i, planes * in_size) {
    const int pixel = static_cast<int>(i % in_size);
    dx[i] = avg_pool_input_grad(dy + (i / in_size) * out_size, g, pixel / g.in_w, pixel % g.in_w);
  }
}

__global__ void up_sampling_kernel(const float* x, int64_t planes, int in_h, int in_w, int factor_h, int factor_w,
                                   float* y) {
  const int out_w = in_w * factor_w;
  const int64_t in_size = int64_t{in_h} * in_w, out_size = in_size * factor_h * factor_w;
  JI_GRID_STRIDE(i, planes * out_size) {
    const int o = static_cast<int>(i % out_size);
    y[i] = x[(i / out_size) * in_size + (o / out_w / factor_h) * in_w + (o % out_w) / factor_w];
  }
}

__global__ void up_sampling_backward_kernel(const float* dy, int64_t planes, int in_h, int in_w, int factor_h,
                                            int factor_w, float* dx) {
  const int out_w = in_w * factor_w;
  const int64_t in_size = int64_t{in_h} * in_w, out_size = in_size * factor_h * factor_w;
  JI_GRID_STRIDE(i, planes * in_size) {
    const int pixel = static_cast<int>(i % in_size);
    dx[i] = up_sampling_input_grad(dy + (i / in_size) * out_size, out_w, factor_h, factor_w, pixel / in_w,
                                   pixel % in_w);
  }
}

__global__ void zero_pad_kernel(const float* x, int64_t planes, int in_h, int in_w, int top, int left, int out_h,
                                int out_w, float* y) {
  const int64_t in_size = int64_t{in_h} * in_w, out_size = int64_t{out_h} * out_w;
  JI_GRID_STRIDE(i, planes * out_size) {
    const int o = static_cast<int>(i % out_size);
    y[i] = zero_padded_value(x + (i / out_size) * in_size, in_h, in_w, top, left, o / out_w, o % out_w);
  }
}

__global__ void crop_kernel(const float* dy, int64_t planes, int in_h, int in_w, int top, int left, int out_h,
                            int out_w, float* dx) {
  const int64_t in_size = int64_t{in_h} * in_w, out_size = int64_t{out_h} * out_w;
  JI_GRID_STRIDE(i, planes * in_size) {
    const int pixel = static_cast<int>(i % in_size);
    dx[i] = dy[(i / in_size) * out_size + (pixel / in_w + top) * out_w + pixel % in_w + left];
  }
}

#undef JI_GRID_STRIDE

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

int64_t planes_of(const Tensor& t) { return t.dim(0) * t.dim(1); }
int dim_of(const Tensor& t, int i) { return static_cast<int>(t.dim(i)); }

}  // namespace

void launch_zero_pad(const float* x, int64_t planes, int in_h, int in_w, int top, int left, int out_h, int out_w,
                     float* y, cudaStream_t stream) {
  if (planes * out_h * out_w == 0) return;
  zero_pad_kernel<<<blocks_for(planes * out_h * out_w), kThreads, 0, stream>>>(x, planes, in_h, in_w, top, left,
                                                                               out_h, out_w, y);
  JI_CUDA_CHECK_LAUNCH();
}

void launch_crop(const float* dy, int64_t planes, int in_h, int in_w, int top, int left, int out_h, int out_w,
                 float* dx, cudaStream_t stream) {
  if (planes * in_h * in_w == 0) return;
  crop_kernel<<<blocks_for(planes * in_h * in_w), kThreads, 0, stream>>>(dy, planes, in_h, in_w, top, left, out_h,
                                                                         out_w, dx);
  JI_CUDA_CHECK_LAUNCH();
}

void max_pool2d_forward(Context& ctx, const Window2d& g, const Tensor& x, Tensor& y) {
  if (y.numel() == 0) return;
  max_pool_kernel<<<blocks_for(y.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), g, planes_of(x), y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void max_pool2d_backward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dx) {
  if (dx.numel() == 0) return;
  max_pool_backward_kernel<<<blocks_for(dx.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), dy.data(), g,
                                                                                      planes_of(x), dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

void avg_pool2d_forward(Context& ctx, const Window2d& g, const Tensor& x, Tensor& y) {
  if (y.numel() == 0) return;
  avg_pool_kernel<<<blocks_for(y.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), g, planes_of(x), y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void avg_pool2d_backward(Context& ctx, const Window2d& g, const Tensor& dy, Tensor& dx) {
  if (dx.numel() == 0) return;
  avg_pool_backward_kernel<<<blocks_for(dx.numel()), kThreads, 0, stream_of(ctx)>>>(dy.data(), g, planes_of(dx),
                                                                                      dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

void up_sampling2d_forward(Context& ctx, const UpSampling2dParams& p, const Tensor& x, Tensor& y) {
  if (y.numel() == 0) return;
  up_sampling_kernel<<<blocks_for(y.numel()), kThreads, 0, stream_of(ctx)>>>(
      x.data(), planes_of(x), dim_of(x, 2), dim_of(x, 3), p.factor_h, p.factor_w, y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void up_sampling2d_backward(Context& ctx, const UpSampling2dParams& p, const Tensor& dy, Tensor& dx) {
  if (dx.numel() == 0) return;
  up_sampling_backward_kernel<<<blocks_for(dx.numel()), kThreads, 0, stream_of(ctx)>>>(
      dy.data(), planes_of(dx), dim_of(dx, 2), dim_of(dx, 3), p.factor_h, p.factor_w, dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

void zero_padding2d_forward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& x, Tensor& y) {
  launch_zero_pad(x.data(), planes_of(x), dim_of(x, 2), dim_of(x, 3), p.top, p.left, dim_of(y, 2), dim_of(y, 3),
                  y.data(), stream_of(ctx));
}

void zero_padding2d_backward(Context& ctx, const ZeroPadding2dParams& p, const Tensor& dy, Tensor& dx) {
  launch_crop(dy.data(), planes_of(dx), dim_of(dx, 2), dim_of(dx, 3), p.top, p.left, dim_of(dy, 2), dim_of(dy, 3),
              dx.data(), stream_of(ctx));
}

// Sample n of input i is a contiguous block of C_i·H·W floats at channel
// offset Σ_{j<i} C_j of sample n of y: one strided 2-D copy per input.
void concatenate_channels_forward(Context& ctx, const std::vector<Tensor>& inputs, Tensor& y) {
  if (y.numel() == 0) return;
  const size_t plane = static_cast<size_t>(y.dim(2) * y.dim(3)) * sizeof(float);
  const size_t out_pitch = static_cast<size_t>(y.dim(1)) * plane;
  size_t offset = 0;
  for (const Tensor& in : inputs) {
    const size_t block = static_cast<size_t>(in.dim(1)) * plane;
    JI_CUDA_CHECK(cudaMemcpy2DAsync(reinterpret_cast<char*>(y.data()) + offset, out_pitch, in.data(), block, block,
                                    static_cast<size_t>(y.dim(0)), cudaMemcpyDeviceToDevice, stream_of(ctx)));
    offset += block;
  }
}

void concatenate_channels_backward(Context& ctx, const Tensor& dy, std::vector<Tensor>& dxs) {
  if (dy.numel() == 0) return;
  const size_t plane = static_cast<size_t>(dy.dim(2) * dy.dim(3)) * sizeof(float);
  const size_t in_pitch = static_cast<size_t>(dy.dim(1)) * plane;
  size_t offset = 0;
  for (Tensor& dx : dxs) {
    const size_t block = static_cast<size_t>(dx.dim(1)) * plane;
    JI_CUDA_CHECK(cudaMemcpy2DAsync(dx.data(), block, reinterpret_cast<const char*>(dy.data()) + offset, in_pitch,
                                    block, static_cast<size_t>(dy.dim(0)), cudaMemcpyDeviceToDevice, stream_of(ctx)));
    offset += block;
  }
}

}  // namespace jetimg::cuda
