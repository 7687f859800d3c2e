// CUDA implementation of the GAN ops (core/gan_ops.h) over the element math
// of core/gan_math.h, shared with host/gan_ops.cpp.
//
// Minibatch discrimination is N²·F·V work for N·F outputs. A block takes
// one feature f and a tile of 32 samples i, one per lane; its warps split
// the other samples j between them (warp w takes j = w, w + warps, ...), so
// every lane of a warp reads the same row m[j, f, :] (one broadcast load)
// and its own row from a shared-memory copy of the tile kept transposed
// (conflict-free). The warps' partial sums are added in warp order: no
// atomics, the same result every run. The backward keeps each warp's
// running dm for its lanes in shared memory too, so the number of warps
// shrinks for very long rows V to fit.
//
// The per-sample reductions take one block per sample and a fixed-order tree
// reduction; attention combine is one thread per pixel.
#include <algorithm>
#include <string>
#include <utility>

#include "core/cuda_check.h"
#include "core/error.h"
#include "core/gan_math.h"
#include "core/gan_ops.h"
#include "cuda/block_reduce.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kTile = 32;      // samples i per minibatch block, one per lane
constexpr int kMaxWarps = 8;   // warps splitting the j loop
constexpr size_t kDefaultShared = 48 * 1024;

#define JI_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// --- minibatch discrimination ------------------------------------------------------------

// tile[v·32 + t] = m[i0 + t, f, v] (zero past the batch).
__device__ void load_tile(const float* m, int64_t batch, int64_t features, int64_t dims, int64_t i0, int64_t f,
                          float* tile) {
  const int threads = blockDim.x * blockDim.y, me = threadIdx.y * blockDim.x + threadIdx.x;
  for (int64_t k = me; k < kTile * dims; k += threads) {
    const int64_t t = k / dims, v = k % dims, i = i0 + t;
    tile[v * kTile + t] = i < batch ? m[(i * features + f) * dims + v] : 0.0f;
  }
}

// grid (tiles of 32 samples, F), block (32, warps); shared: the tile (32·V)
// and the warps' partial sums (warps·32).
__global__ void minibatch_forward_kernel(const float* m, int64_t batch, int64_t features, int64_t dims, float* out) {
  extern __shared__ float shared[];
  float* tile = shared;
  float* partial = shared + kTile * dims;
  const int lane = threadIdx.x, warp = threadIdx.y, warps = blockDim.y;
  const int64_t f = blockIdx.y, i0 = int64_t{blockIdx.x} * kTile, i = i0 + lane;
  load_tile(m, batch, features, dims, i0, f, tile);
  __syncthreads();
  float total = 0.0f;
  if (i < batch)
    for (int64_t j = warp; j < batch; j += warps)
      total += minibatch_closeness(minibatch_distance(tile + lane, kTile, m + (j * features + f) * dims, 1, dims));
  partial[warp * kTile + lane] = total;
  __syncthreads();
  if (warp == 0 && i < batch) {
    float sum = 0.0f;
    for (int w = 0; w < warps; ++w) sum += partial[w * kTile + lane];
    out[i * features + f] = sum;
  }
}

// Same grid; shared: the tile (32·V) and each warp's running dm
// (warps·V·32, [w][v][lane]).
__global__ void minibatch_backward_kernel(const float* m, const float* dout, int64_t batch, int64_t features,
                                          int64_t dims, float* dm) {
  extern __shared__ float shared[];
  float* tile = shared;
  const int lane = threadIdx.x, warp = threadIdx.y, warps = blockDim.y;
  float* acc = shared + kTile * dims + int64_t{warp} * dims * kTile;
  const int64_t f = blockIdx.y, i0 = int64_t{blockIdx.x} * kTile, i = i0 + lane;
  load_tile(m, batch, features, dims, i0, f, tile);
  for (int64_t v = 0; v < dims; ++v) acc[v * kTile + lane] = 0.0f;
  __syncthreads();
  if (i < batch) {
    const float dout_i = dout[i * features + f];
    const float* a = tile + lane;
    for (int64_t j = warp; j < batch; j += warps) {
      const float* b = m + (j * features + f) * dims;
      const float closeness = minibatch_closeness(minibatch_distance(a, kTile, b, 1, dims));
      const float factor = minibatch_pair_factor(dout_i, dout[j * features + f], closeness);
      for (int64_t v = 0; v < dims; ++v) acc[v * kTile + lane] += factor * sign_or_zero(a[v * kTile] - b[v]);
    }
  }
  __syncthreads();
  const float* all = shared + kTile * dims;
  const int threads = blockDim.x * blockDim.y, me = warp * blockDim.x + lane;
  for (int64_t k = me; k < kTile * dims; k += threads) {  // k = v·32 + t
    const int64_t t = k % kTile, v = k / kTile;
    if (i0 + t >= batch) continue;
    float sum = 0.0f;
    for (int w = 0; w < warps; ++w) sum += all[(int64_t{w} * dims + v) * kTile + t];
    dm[((i0 + t) * features + f) * dims + v] = sum;
  }
}

// --- attention combine ----------------------------------------------------------------------

__global__ void attention_forward_kernel(const float* x, const float* logits, int64_t batch, int64_t channels,
                                         int64_t plane, float* y) {
  JI_GRID_LOOP(i, batch * plane) {  // i = n·plane + p, y's own order
    const int64_t first = (i / plane) * channels * plane + i % plane;
    y[i] = attention_combine_pixel(x + first, logits + first, channels, plane);
  }
}

__global__ void attention_backward_kernel(const float* x, const float* logits, const float* dy, int64_t batch,
                                          int64_t channels, int64_t plane, float* dx, float* dlogits) {
  JI_GRID_LOOP(i, batch * plane) {
    const int64_t first = (i / plane) * channels * plane + i % plane;
    attention_combine_pixel_grad(x + first, logits + first, channels, plane, dy[i], dx + first, dlogits + first);
  }
}

// --- per-sample reductions (block_sum: cuda/block_reduce.h) ----------------------------------

// One block per sample.
__global__ void sum_per_sample_kernel(const float* x, int64_t size, float* out) {
  __shared__ double shared[kThreads];
  const float* row = x + int64_t{blockIdx.x} * size;
  double acc = 0.0;
  for (int64_t k = threadIdx.x; k < size; k += blockDim.x) acc += row[k];
  const double total = block_sum(acc, shared);
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<float>(total);
}

__global__ void fraction_above_kernel(const float* x, int64_t size, float threshold, float* out) {
  __shared__ double shared[kThreads];
  const float* row = x + int64_t{blockIdx.x} * size;
  double count = 0.0;
  for (int64_t k = threadIdx.x; k < size; k += blockDim.x) count += above_threshold(row[k], threshold);
  const double total = block_sum(count, shared);
  if (threadIdx.x == 0) out[blockIdx.x] = static_cast<float>(total / static_cast<double>(size));
}

__global__ void broadcast_per_sample_kernel(const float* dout, int64_t n, int64_t size, float* dx) {
  JI_GRID_LOOP(i, n) dx[i] = dout[i / size];
}

// --- launch helpers --------------------------------------------------------------------------

int blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 1 ? 1 : (blocks > 4096 ? 4096 : blocks));
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

size_t shared_limit() {
  int device = 0, optin = 0;
  JI_CUDA_CHECK(cudaGetDevice(&device));
  JI_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  return std::max(static_cast<size_t>(optin), kDefaultShared);
}

// Allows `kernel` more than the default 48 KiB of dynamic shared memory when
// it needs it (long rows V only).
template <typename Kernel>
void allow_shared(Kernel kernel, size_t bytes) {
  if (bytes > kDefaultShared)
    JI_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)));
}

// Warps and shared bytes of a minibatch block: the tile (32·V floats) and
// `per_warp` floats for each warp, with as many warps (up to 8) as fit.
std::pair<int, size_t> minibatch_block(int64_t dims, int64_t per_warp, const char* op) {
  const size_t limit = shared_limit(), floats = sizeof(float);
  const size_t tile = static_cast<size_t>(kTile * dims) * floats, warp = static_cast<size_t>(per_warp) * floats;
  if (tile + warp > limit)
    fail(op, ": rows of ", dims, " dims need ", tile + warp, " bytes of shared memory, more than this GPU's ", limit,
         " (use the CPU, or fewer dims per feature)");
  int warps = kMaxWarps;
  while (warps > 1 && tile + warps * warp > std::min(limit, kDefaultShared)) --warps;
  return {warps, tile + warps * warp};
}

dim3 minibatch_grid(int64_t batch, int64_t features) {
  if (features > 65535) fail("minibatch discrimination on CUDA: at most 65535 features, got ", features);
  return dim3(static_cast<unsigned>((batch + kTile - 1) / kTile), static_cast<unsigned>(features));
}

}  // namespace

void minibatch_discrimination_forward(Context& ctx, const Tensor& m, Tensor& out) {
  const int64_t batch = m.dim(0), features = m.dim(1), dims = m.dim(2);
  if (batch == 0 || features == 0) return;  // a grid of 0 is an invalid configuration
  const auto [warps, bytes] = minibatch_block(dims, kTile, "minibatch_discrimination_forward");
  allow_shared(minibatch_forward_kernel, bytes);
  minibatch_forward_kernel<<<minibatch_grid(batch, features), dim3(kTile, warps), bytes, stream_of(ctx)>>>(
      m.data(), batch, features, dims, out.data());
  JI_CUDA_CHECK_LAUNCH();
}

void minibatch_discrimination_backward(Context& ctx, const Tensor& m, const Tensor& dout, Tensor& dm) {
  const int64_t batch = m.dim(0), features = m.dim(1), dims = m.dim(2);
  if (batch == 0 || features == 0) return;
  const auto [warps, bytes] = minibatch_block(dims, kTile * dims, "minibatch_discrimination_backward");
  allow_shared(minibatch_backward_kernel, bytes);
  minibatch_backward_kernel<<<minibatch_grid(batch, features), dim3(kTile, warps), bytes, stream_of(ctx)>>>(
      m.data(), dout.data(), batch, features, dims, dm.data());
  JI_CUDA_CHECK_LAUNCH();
}

void attention_combine_forward(Context& ctx, const Tensor& x, const Tensor& logits, Tensor& y) {
  if (x.numel() == 0) return;
  const int64_t batch = x.dim(0), channels = x.dim(1), plane = x.numel() / (batch * channels);
  attention_forward_kernel<<<blocks_for(batch * plane), kThreads, 0, stream_of(ctx)>>>(
      x.data(), logits.data(), batch, channels, plane, y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void attention_combine_backward(Context& ctx, const Tensor& x, const Tensor& logits, const Tensor& dy, Tensor& dx,
                                Tensor& dlogits) {
  if (x.numel() == 0) return;
  const int64_t batch = x.dim(0), channels = x.dim(1), plane = x.numel() / (batch * channels);
  attention_backward_kernel<<<blocks_for(batch * plane), kThreads, 0, stream_of(ctx)>>>(
      x.data(), logits.data(), dy.data(), batch, channels, plane, dx.data(), dlogits.data());
  JI_CUDA_CHECK_LAUNCH();
}

void sum_per_sample(Context& ctx, const Tensor& x, Tensor& out) {
  const int64_t batch = x.dim(0);
  if (batch == 0) return;  // one block per sample: no grid for none
  if (batch > 0x7fffffff) fail("sum_per_sample on CUDA: too many samples (", batch, ")");
  sum_per_sample_kernel<<<static_cast<unsigned>(batch), kThreads, 0, stream_of(ctx)>>>(x.data(), x.numel() / batch,
                                                                                      out.data());
  JI_CUDA_CHECK_LAUNCH();
}

void sum_per_sample_backward(Context& ctx, const Tensor& dout, Tensor& dx) {
  const int64_t n = dx.numel();
  if (n == 0) return;
  broadcast_per_sample_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(dout.data(), n, n / dx.dim(0),
                                                                              dx.data());
  JI_CUDA_CHECK_LAUNCH();
}

void fraction_above(Context& ctx, const Tensor& x, float threshold, Tensor& out) {
  const int64_t batch = x.dim(0);
  if (batch == 0) return;
  if (batch > 0x7fffffff) fail("fraction_above on CUDA: too many samples (", batch, ")");
  fraction_above_kernel<<<static_cast<unsigned>(batch), kThreads, 0, stream_of(ctx)>>>(
      x.data(), x.numel() / batch, threshold, out.data());
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
