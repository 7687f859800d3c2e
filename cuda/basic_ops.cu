// CUDA implementation of the basic ops (core/ops.h). Element math comes from
// core/elementwise.h and core/philox.h, shared with host/basic_ops.cpp.
// Reductions are two-pass (per-block partials, then a fixed-order sum of the
// partials) so the result does not depend on scheduling.
#include <vector>

#include "core/cuda_check.h"
#include "core/elementwise.h"
#include "core/ops.h"
#include "core/philox.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void fill_kernel(float* x, int64_t n, float value) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = value;
}

__global__ void scale_kernel(float* x, int64_t n, float alpha) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = scale_element(x[i], alpha);
}

__global__ void axpy_kernel(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = axpy_element(alpha, x[i], y[i]);
}

// Sums a block's strided share of x into partial[blockIdx.x].
__global__ void sum_partial_kernel(const float* x, int64_t n, double* partial) {
  __shared__ double shared[kThreads];
  double acc = 0.0;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    acc += x[i];
  shared[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) partial[blockIdx.x] = shared[0];
}

// out[index] += alpha · (the block partials summed in order): the second
// pass of accumulate_sum, on one thread so the order is fixed.
__global__ void accumulate_partials_kernel(const double* partial, int blocks, float alpha, float* out) {
  double total = 0.0;
  for (int b = 0; b < blocks; ++b) total += partial[b];
  add_scaled_total(out, alpha, total);
}

__global__ void flipped_labels_kernel(float* out, int64_t n, float value, float other, double probability,
                                      uint64_t seed, uint64_t stream) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = flipped_label(seed, stream, static_cast<uint64_t>(i), value, other, probability);
}

// Column sums in two passes (core/elementwise.h, row_chunk): blockIdx.y is a
// chunk of rows, each thread one column of it, partial[chunk * cols + c] in
// double; then a thread per column adds the chunks in order.
__global__ void column_partials_kernel(const float* x, const float* w, int64_t rows, int64_t cols, int64_t chunk,
                                       double* first, double* second) {
  const int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (c >= cols) return;
  const int64_t begin = blockIdx.y * chunk, end = begin + chunk < rows ? begin + chunk : rows;
  double a = 0.0, b = 0.0;
  if (w) {
    for (int64_t r = begin; r < end; ++r) accumulate_moments(w[r], x[r * cols + c], &a, &b);
    second[blockIdx.y * cols + c] = b;
  } else {
    for (int64_t r = begin; r < end; ++r) a += x[r * cols + c];
  }
  first[blockIdx.y * cols + c] = a;
}

__global__ void column_totals_kernel(const double* first, const double* second, int64_t chunks, int64_t cols,
                                     float* out_first, float* out_second) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < cols; c += int64_t(gridDim.x) * blockDim.x) {
    double a = 0.0, b = 0.0;
    for (int64_t k = 0; k < chunks; ++k) {
      a += first[k * cols + c];
      if (second) b += second[k * cols + c];
    }
    out_first[c] = static_cast<float>(a);
    if (out_second) out_second[c] = static_cast<float>(b);
  }
}

__global__ void uniform_kernel(float* x, int64_t n, uint64_t seed, uint64_t stream, float lo, float hi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = philox_uniform(seed, stream, static_cast<uint64_t>(i), lo, hi);
}

__global__ void normal_kernel(float* x, int64_t n, uint64_t seed, uint64_t stream, float mean, float stddev) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] = philox_normal(seed, stream, static_cast<uint64_t>(i), mean, stddev);
}

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

}  // namespace

void fill(Context& ctx, Tensor& x, float value) {
  if (x.numel() == 0) return;
  fill_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), x.numel(), value);
  JI_CUDA_CHECK_LAUNCH();
}

void scale(Context& ctx, Tensor& x, float alpha) {
  if (x.numel() == 0) return;
  scale_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), x.numel(), alpha);
  JI_CUDA_CHECK_LAUNCH();
}

void axpy(Context& ctx, float alpha, const Tensor& x, Tensor& y) {
  if (x.numel() == 0) return;
  axpy_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(alpha, x.data(), y.data(), x.numel());
  JI_CUDA_CHECK_LAUNCH();
}

double sum(Context& ctx, const Tensor& x) {
  const int64_t n = x.numel();
  if (n == 0) return 0.0;
  const int blocks = blocks_for(n);
  // Scratch for the block partials, from the pool (doubles in a float tensor's bytes).
  Tensor scratch = Tensor::empty({2 * static_cast<int64_t>(blocks)}, ctx.device());
  double* partial = static_cast<double*>(scratch.raw_data());
  sum_partial_kernel<<<blocks, kThreads, 0, stream_of(ctx)>>>(x.data(), n, partial);
  JI_CUDA_CHECK_LAUNCH();
  // Second pass: the (at most 4096) block partials are added on the host in a fixed order.
  double result = 0.0;
  std::vector<double> host_partial(static_cast<size_t>(blocks));
  JI_CUDA_CHECK(cudaMemcpyAsync(host_partial.data(), partial, blocks * sizeof(double), cudaMemcpyDeviceToHost,
                                stream_of(ctx)));
  JI_CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
  for (double p : host_partial) result += p;
  return result;
}

void accumulate_sum(Context& ctx, const Tensor& x, float alpha, Tensor& out, int64_t index) {
  const int64_t n = x.numel();
  const int blocks = n == 0 ? 0 : blocks_for(n);
  // Scratch from the pool (doubles in a float tensor's bytes); freed at once,
  // it is reused only by later work on this stream.
  Tensor scratch = Tensor::empty({2 * static_cast<int64_t>(blocks > 0 ? blocks : 1)}, ctx.device());
  double* partial = static_cast<double*>(scratch.raw_data());
  if (blocks > 0) {
    sum_partial_kernel<<<blocks, kThreads, 0, stream_of(ctx)>>>(x.data(), n, partial);
    JI_CUDA_CHECK_LAUNCH();
  }
  accumulate_partials_kernel<<<1, 1, 0, stream_of(ctx)>>>(partial, blocks, alpha, out.data() + index);
  JI_CUDA_CHECK_LAUNCH();
}

void fill_flipped_labels(Context& ctx, Tensor& out, float value, float other, double probability, uint64_t seed,
                         uint64_t stream) {
  if (out.numel() == 0) return;
  flipped_labels_kernel<<<blocks_for(out.numel()), kThreads, 0, stream_of(ctx)>>>(out.data(), out.numel(), value,
                                                                                  other, probability, seed, stream);
  JI_CUDA_CHECK_LAUNCH();
}

namespace {

void column_sums(Context& ctx, const float* x, const float* w, int64_t rows, int64_t cols, float* out_first,
                 float* out_second) {
  const int64_t chunk = row_chunk(rows), chunks = rows == 0 ? 1 : (rows + chunk - 1) / chunk;
  // Scratch for the partials from the pool (doubles in a float tensor's bytes), reused in stream order.
  Tensor scratch = Tensor::empty({2 * chunks * cols * (w ? 2 : 1)}, ctx.device());
  double* first = static_cast<double*>(scratch.raw_data());
  double* second = w ? first + chunks * cols : nullptr;
  if (rows == 0) {
    JI_CUDA_CHECK(cudaMemsetAsync(scratch.raw_data(), 0, scratch.bytes(), stream_of(ctx)));
  } else {
    const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(chunks));
    column_partials_kernel<<<grid, kThreads, 0, stream_of(ctx)>>>(x, w, rows, cols, chunk, first, second);
    JI_CUDA_CHECK_LAUNCH();
  }
  column_totals_kernel<<<blocks_for(cols), kThreads, 0, stream_of(ctx)>>>(first, second, chunks, cols, out_first,
                                                                          out_second);
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace

void sum_rows(Context& ctx, const Tensor& x, Tensor& out) {
  const int64_t cols = out.numel();
  if (cols == 0) return;  // (no rows but some columns still writes zeros)
  column_sums(ctx, x.data(), nullptr, x.dim(0), cols, out.data(), nullptr);
}

void weighted_moments(Context& ctx, const Tensor& x, const Tensor& w, Tensor& sum_wx, Tensor& sum_wx2) {
  const int64_t cols = sum_wx.numel();
  if (cols == 0) return;
  column_sums(ctx, x.data(), w.data(), x.dim(0), cols, sum_wx.data(), sum_wx2.data());
}

void random_uniform(Context& ctx, Tensor& x, uint64_t stream, float lo, float hi) {
  if (x.numel() == 0) return;
  uniform_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), x.numel(), ctx.seed(), stream,
                                                                         lo, hi);
  JI_CUDA_CHECK_LAUNCH();
}

void random_normal(Context& ctx, Tensor& x, uint64_t stream, float mean, float stddev) {
  if (x.numel() == 0) return;
  normal_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), x.numel(), ctx.seed(), stream,
                                                                        mean, stddev);
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
