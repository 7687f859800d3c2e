// CUDA locally connected layer (core/conv_ops.h): cuDNN has no unshared
// convolution, so it runs as one matrix product per output position
// (core/conv_math.h), all positions in one cublasSgemmStridedBatched call:
//   im2col     cols (P, B, K): the patches of B samples at every position
//   forward    out_p (B, F) = cols_p · W_p, then y[n, f, p] = out_p[n, f] + b[p, f]
//   input      dcol_p (B, K) = dy_p · W_pᵀ, then each dx element gathers its
//              entries in position order (col2im; no atomics)
//   weight     dW_p (K, F) = cols_pᵀ · dy_p
// cuBLAS is column-major: a row-major (R, C) matrix is the column-major
// (C, R) matrix of its transpose, so the row-major C = op(A) op(B) is the
// column-major Cᵀ = op(B)ᵀ op(A)ᵀ, the operands swapped (cuda/gemm.cu).
//
// The scratch matrices live in the context's workspace. A large batch is
// cut into blocks, of positions (forward, weight) or of samples (input), so
// that the workspace stays under kMaxWorkspace; each weight gradient is one
// product over the whole batch, so no block adds into another.
#include <algorithm>

#include "core/conv_ops.h"
#include "core/cuda_check.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxWorkspaceFloats = int64_t{64} << 20;  // 256 MiB

#define JI_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// A block of positions [p0, p0 + positions) and samples [n0, n0 + batch).
struct Block {
  int64_t p0, positions, n0, batch;
};

// cols (positions, batch, K) of the block; i in cols' own order.
__global__ void im2col_kernel(const float* x, Window2d g, int channels, int64_t patch, Block b, float* cols) {
  const int64_t sample = int64_t{channels} * g.in_h * g.in_w;
  JI_GRID_STRIDE(i, b.positions * b.batch * patch) {
    const int64_t k = i % patch, n = (i / patch) % b.batch, p = i / (patch * b.batch);
    cols[i] = x[(b.n0 + n) * sample + locally_connected_patch_source(g, channels, b.p0 + p, k)];
  }
}

// grads (positions, batch, F) of the block from dy (N, F, P); i in grads' order.
__global__ void gather_grad_kernel(const float* dy, int64_t all_positions, int filters, Block b, float* grads) {
  JI_GRID_STRIDE(i, b.positions * b.batch * filters) {
    const int64_t f = i % filters, n = (i / filters) % b.batch, p = i / (int64_t{filters} * b.batch);
    grads[i] = dy[((b.n0 + n) * filters + f) * all_positions + b.p0 + p];
  }
}

// y[n, f, p] of the block from out (positions, batch, F) and the bias;
// i = (n·F + f)·positions + p, so that neighbouring threads write
// neighbouring outputs.
__global__ void scatter_output_kernel(const float* out, const float* bias, int64_t all_positions, int filters, Block b,
                                      float* y) {
  JI_GRID_STRIDE(i, b.batch * filters * b.positions) {
    const int64_t p = i % b.positions, f = (i / b.positions) % filters, n = i / (b.positions * filters);
    const float value = out[(p * b.batch + n) * filters + f];
    y[((b.n0 + n) * filters + f) * all_positions + b.p0 + p] =
        bias ? value + bias[(b.p0 + p) * filters + f] : value;
  }
}

// dx of samples [n0, n0 + batch) from dcol (P, batch, K); i in dx's order.
__global__ void col2im_kernel(const float* dcol, Window2d g, int channels, int64_t n0, int64_t batch, float* dx) {
  const int64_t in_size = int64_t{g.in_h} * g.in_w, sample = in_size * channels;
  JI_GRID_STRIDE(i, batch * sample) {
    const int pixel = static_cast<int>(i % in_size);
    const int c = static_cast<int>((i / in_size) % channels);
    const int64_t n = i / sample;
    dx[n0 * sample + i] = locally_connected_col2im(dcol, batch, n, g, channels, c, pixel / g.in_w, pixel % g.in_w);
  }
}

// dbias[p, f] = Σ_n dy[n, f, p]; i = f·P + p, so that a warp reads
// neighbouring positions of one plane.
__global__ void backward_bias_kernel(const float* dy, Window2d g, int64_t batch, int filters, float* dbias) {
  const int64_t positions = int64_t{g.out_h} * g.out_w;
  JI_GRID_STRIDE(i, positions * filters) {
    const int64_t p = i % positions;
    const int f = static_cast<int>(i / positions);
    dbias[p * filters + f] = locally_connected_bias_grad(dy, batch, g, filters, p, f);
  }
}

#undef JI_GRID_STRIDE

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }
cublasHandle_t cublas_of(Context& ctx) { return static_cast<cublasHandle_t>(ctx.cublas()); }

// How many of `total` items (positions or samples) of `floats_each` scratch
// floats fit under the workspace limit (at least one).
int64_t items_per_block(int64_t total, int64_t floats_each) {
  return std::clamp<int64_t>(kMaxWorkspaceFloats / std::max<int64_t>(floats_each, 1), 1, std::max<int64_t>(total, 1));
}

struct LcSizes {
  int64_t batch, channels, filters, patch, positions;
};

LcSizes lc_sizes(const Window2d& g, const Tensor& x_or_dx, int64_t filters) {
  const int64_t channels = x_or_dx.dim(1);
  return {x_or_dx.dim(0), channels, filters, channels * g.kernel_h * g.kernel_w, int64_t{g.out_h} * g.out_w};
}

}  // namespace

void locally_connected2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight,
                                 const Tensor& bias, Tensor& y) {
  if (y.numel() == 0) return;
  const LcSizes s = lc_sizes(g, x, weight.dim(2));
  const int channels = static_cast<int>(s.channels), filters = static_cast<int>(s.filters);
  const int64_t step = items_per_block(s.positions, s.batch * (s.patch + s.filters));
  float* cols = static_cast<float*>(ctx.workspace(sizeof(float) * step * s.batch * (s.patch + s.filters)));
  float* out = cols + step * s.batch * s.patch;
  const float one = 1.0f, zero = 0.0f;
  for (int64_t p0 = 0; p0 < s.positions; p0 += step) {
    const Block b{p0, std::min(step, s.positions - p0), 0, s.batch};
    im2col_kernel<<<blocks_for(b.positions * b.batch * s.patch), kThreads, 0, stream_of(ctx)>>>(
        x.data(), g, channels, s.patch, b, cols);
    JI_CUDA_CHECK_LAUNCH();
    // Column-major: out_pᵀ (F, B) = W_pᵀ (F, K) · cols_pᵀ (K, B).
    JI_CUBLAS_CHECK(cublasSgemmStridedBatched(
        cublas_of(ctx), CUBLAS_OP_N, CUBLAS_OP_N, filters, static_cast<int>(b.batch), static_cast<int>(s.patch), &one,
        weight.data() + p0 * s.patch * s.filters, filters, s.patch * s.filters, cols, static_cast<int>(s.patch),
        b.batch * s.patch, &zero, out, filters, b.batch * s.filters, static_cast<int>(b.positions)));
    scatter_output_kernel<<<blocks_for(b.batch * s.filters * b.positions), kThreads, 0, stream_of(ctx)>>>(
        out, bias.defined() ? bias.data() : nullptr, s.positions, filters, b, y.data());
    JI_CUDA_CHECK_LAUNCH();
  }
}

void locally_connected2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy,
                                        Tensor& dx) {
  if (dx.numel() == 0) return;
  const LcSizes s = lc_sizes(g, dx, weight.dim(2));
  const int channels = static_cast<int>(s.channels), filters = static_cast<int>(s.filters);
  const int64_t step = items_per_block(s.batch, s.positions * (s.patch + s.filters));
  float* grads = static_cast<float*>(ctx.workspace(sizeof(float) * step * s.positions * (s.patch + s.filters)));
  float* dcol = grads + step * s.positions * s.filters;
  const float one = 1.0f, zero = 0.0f;
  for (int64_t n0 = 0; n0 < s.batch; n0 += step) {
    const Block b{0, s.positions, n0, std::min(step, s.batch - n0)};
    gather_grad_kernel<<<blocks_for(b.positions * b.batch * s.filters), kThreads, 0, stream_of(ctx)>>>(
        dy.data(), s.positions, filters, b, grads);
    JI_CUDA_CHECK_LAUNCH();
    // Column-major: dcol_pᵀ (K, B) = W_p (K, F) · grads_pᵀ (F, B), where W_p is
    // the column-major (F, K) matrix transposed.
    JI_CUBLAS_CHECK(cublasSgemmStridedBatched(
        cublas_of(ctx), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(s.patch), static_cast<int>(b.batch), filters, &one,
        weight.data(), filters, s.patch * s.filters, grads, filters, b.batch * s.filters, &zero, dcol,
        static_cast<int>(s.patch), b.batch * s.patch, static_cast<int>(s.positions)));
    col2im_kernel<<<blocks_for(b.batch * s.channels * g.in_h * g.in_w), kThreads, 0, stream_of(ctx)>>>(
        dcol, g, channels, n0, b.batch, dx.data());
    JI_CUDA_CHECK_LAUNCH();
  }
}

void locally_connected2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy,
                                         Tensor& dweight) {
  if (dweight.numel() == 0) return;
  const LcSizes s = lc_sizes(g, x, dweight.dim(2));
  if (s.batch == 0) {  // the sum over no samples
    JI_CUDA_CHECK(cudaMemsetAsync(dweight.data(), 0, sizeof(float) * dweight.numel(), stream_of(ctx)));
    return;
  }
  const int channels = static_cast<int>(s.channels), filters = static_cast<int>(s.filters);
  const int64_t step = items_per_block(s.positions, s.batch * (s.patch + s.filters));
  float* cols = static_cast<float*>(ctx.workspace(sizeof(float) * step * s.batch * (s.patch + s.filters)));
  float* grads = cols + step * s.batch * s.patch;
  const float one = 1.0f, zero = 0.0f;
  for (int64_t p0 = 0; p0 < s.positions; p0 += step) {
    const Block b{p0, std::min(step, s.positions - p0), 0, s.batch};
    im2col_kernel<<<blocks_for(b.positions * b.batch * s.patch), kThreads, 0, stream_of(ctx)>>>(
        x.data(), g, channels, s.patch, b, cols);
    JI_CUDA_CHECK_LAUNCH();
    gather_grad_kernel<<<blocks_for(b.positions * b.batch * s.filters), kThreads, 0, stream_of(ctx)>>>(
        dy.data(), s.positions, filters, b, grads);
    JI_CUDA_CHECK_LAUNCH();
    // Column-major: dW_pᵀ (F, K) = grads_pᵀ (F, B) · cols_p (B, K), cols_p
    // being the column-major (K, B) matrix transposed.
    JI_CUBLAS_CHECK(cublasSgemmStridedBatched(
        cublas_of(ctx), CUBLAS_OP_N, CUBLAS_OP_T, filters, static_cast<int>(s.patch), static_cast<int>(b.batch), &one,
        grads, filters, b.batch * s.filters, cols, static_cast<int>(s.patch), b.batch * s.patch, &zero,
        dweight.data() + p0 * s.patch * s.filters, filters, s.patch * s.filters, static_cast<int>(b.positions)));
  }
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
