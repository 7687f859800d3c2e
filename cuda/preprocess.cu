// CUDA image preprocessing (core/preprocess.h). One warp per jet: the warp
// computes the jet's frame with shuffle reductions, accumulates its
// constituents into an image in shared memory, normalises it and writes it
// out once, coalesced. The math is core/preprocess_math.h, shared with the
// CPU; like every .cu file it is compiled with --fmad=false (CMakeLists.txt),
// so that products and sums round exactly as on the CPU and every constituent
// lands in the same pixel.
#include <algorithm>

#include "core/cuda_check.h"
#include "core/preprocess.h"

namespace jetimg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kMaxWarpsPerBlock = 8;
constexpr size_t kSharedBudget = 48 * 1024;

// Sum over the 32 lanes of a warp (every lane gets the total).
struct WarpSum {
  __host__ __device__ double operator()(double v) const {
#ifdef __CUDA_ARCH__
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
#endif
    return v;
  }
};

// Adds into one jet's image with shared- or global-memory atomics.
struct AtomicAdd {
  float* image;
  int plane;
  __host__ __device__ void operator()(int pixel, int channel, float value) const {
#ifdef __CUDA_ARCH__
    atomicAdd(image + channel * plane + pixel, value);
#endif
  }
};

struct BatchPointers {
  const float* constituents;
  const float* n_constituents;
  const float* subjets;
  const float* n_subjets;
  const float* jets;
  const float* charged;  // null without charges
  int m, s;
  int64_t n;
};

BatchPointers pointers_of(const JetBatch& b) {
  return {b.constituents.data(), b.n_constituents.data(), b.subjets.data(), b.n_subjets.data(), b.jets.data(),
          b.charged.defined() ? b.charged.data() : nullptr, static_cast<int>(b.constituents.dim(1)),
          static_cast<int>(b.subjets.dim(1)), b.size()};
}

__device__ int clamp_count(float count, int limit) {
  return static_cast<int>(fminf(fmaxf(count, 0.0f), static_cast<float>(limit)));
}

__device__ const float* charges_of(const BatchPointers& b, int64_t jet) {
  return b.charged ? b.charged + jet * b.m : nullptr;
}

__device__ JetFrame frame_of(const BatchPointers& b, int64_t jet, const FrameSettings& fs, const PixelSettings& ps,
                             int lane) {
  return compute_frame(b.constituents + jet * b.m * 4, clamp_count(b.n_constituents[jet], b.m),
                       b.subjets + jet * b.s * 3, clamp_count(b.n_subjets[jet], b.s), b.jets + jet * 4, fs, ps, lane,
                       kWarp, WarpSum{});
}

__device__ JetFrame load_frame(const float* frames, int64_t jet) {
  const float* f = frames + jet * kFrameFloats;
  return JetFrame{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
}

// The image workspace of this warp's jet: shared memory when it fits, else
// the output itself.
__device__ float* workspace(float* shared, float* out, bool use_shared, int warp, int image_size) {
  return use_shared ? shared + warp * image_size : out;
}

__device__ void zero(float* image, int size, int lane) {
  for (int i = lane; i < size; i += kWarp) image[i] = 0.0f;
  __syncwarp();
}

// Normalises each channel of `image` and writes it to `out` (which may be `image`).
__device__ void normalise_and_store(const float* image, float* out, const PixelSettings& ps, Normalisation norm,
                                    int lane) {
  const int plane = ps.height * ps.width;
  for (int c = 0; c < ps.channels; ++c) {
    const float factor = normalisation_factor(image + c * plane, plane, norm, lane, kWarp, WarpSum{});
    for (int i = lane; i < plane; i += kWarp) out[c * plane + i] = image[c * plane + i] * factor;
  }
}

__global__ void preprocess_fused_kernel(BatchPointers b, FrameSettings fs, PixelSettings ps, Normalisation norm,
                                        float* images, bool use_shared) {
  extern __shared__ float shared[];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t jet = int64_t(blockIdx.x) * (blockDim.x / kWarp) + warp;
  if (jet >= b.n) return;  // the whole warp leaves together
  const int plane = ps.height * ps.width, image_size = plane * ps.channels;
  float* out = images + jet * image_size;
  float* image = workspace(shared, out, use_shared, warp, image_size);
  zero(image, image_size, lane);
  const JetFrame f = frame_of(b, jet, fs, ps, lane);
  pixelate_jet(b.constituents + jet * b.m * 4, charges_of(b, jet), clamp_count(b.n_constituents[jet], b.m), f, ps,
               lane, kWarp, AtomicAdd{image, plane});
  __syncwarp();
  normalise_and_store(image, out, ps, norm, lane);
}

__global__ void frames_kernel(BatchPointers b, FrameSettings fs, PixelSettings ps, float* frames) {
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t jet = int64_t(blockIdx.x) * (blockDim.x / kWarp) + warp;
  if (jet >= b.n) return;
  const JetFrame f = frame_of(b, jet, fs, ps, lane);
  if (lane == 0) {
    float* out = frames + jet * kFrameFloats;
    out[0] = f.eta0, out[1] = f.phi0, out[2] = f.cos_a, out[3] = f.sin_a;
    out[4] = f.flip_x, out[5] = f.flip_y, out[6] = f.zoom, out[7] = f.unused;
  }
}

__global__ void pixelate_kernel(BatchPointers b, const float* frames, PixelSettings ps, bool translation_only,
                                float* images, bool use_shared) {
  extern __shared__ float shared[];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t jet = int64_t(blockIdx.x) * (blockDim.x / kWarp) + warp;
  if (jet >= b.n) return;
  const int plane = ps.height * ps.width, image_size = plane * ps.channels;
  float* out = images + jet * image_size;
  float* image = workspace(shared, out, use_shared, warp, image_size);
  zero(image, image_size, lane);
  JetFrame f = load_frame(frames, jet);
  if (translation_only) f = JetFrame{f.eta0, f.phi0};
  pixelate_jet(b.constituents + jet * b.m * 4, charges_of(b, jet), clamp_count(b.n_constituents[jet], b.m), f, ps,
               lane, kWarp, AtomicAdd{image, plane});
  __syncwarp();
  if (use_shared)
    for (int i = lane; i < image_size; i += kWarp) out[i] = image[i];
}

__global__ void normalise_kernel(float* images, int64_t n_images, int plane, Normalisation norm) {
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t index = int64_t(blockIdx.x) * (blockDim.x / kWarp) + warp;
  if (index >= n_images) return;
  float* image = images + index * plane;
  const float factor = normalisation_factor(image, plane, norm, lane, kWarp, WarpSum{});
  for (int i = lane; i < plane; i += kWarp) image[i] *= factor;
}

__global__ void resample_kernel(const float* in, int channels, int in_h, int in_w, const float* frames,
                                PixelSettings out_pixels, float* out, int64_t total) {
  const int64_t plane = int64_t(out_pixels.height) * out_pixels.width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t image = i / plane;  // (jet, channel)
    const int pixel = static_cast<int>(i % plane);
    const JetFrame f = load_frame(frames, image / channels);
    out[i] = resample_pixel(in + image * in_h * in_w, in_h, in_w, f, out_pixels, pixel / out_pixels.width,
                            pixel % out_pixels.width);
  }
}

// Launch shape for warp-per-jet kernels with an image per warp in shared memory.
struct WarpLaunch {
  int warps_per_block;
  size_t shared_bytes;
  bool use_shared;
  unsigned blocks;
};

WarpLaunch warp_launch(int64_t jets, int image_floats) {
  const size_t image_bytes = static_cast<size_t>(image_floats) * sizeof(float);
  WarpLaunch l;
  l.use_shared = image_bytes <= kSharedBudget;
  l.warps_per_block = l.use_shared ? static_cast<int>(std::min<size_t>(kMaxWarpsPerBlock, kSharedBudget / image_bytes))
                                   : kMaxWarpsPerBlock;
  l.shared_bytes = l.use_shared ? image_bytes * l.warps_per_block : 0;
  l.blocks = static_cast<unsigned>((jets + l.warps_per_block - 1) / l.warps_per_block);
  return l;
}

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

void launch_fused(const JetBatch& batch, const PreprocessConfig& config, float* images, cudaStream_t stream) {
  if (batch.size() == 0) return;  // no blocks to launch (a grid of 0 is an invalid configuration)
  const PixelSettings& p = config.pixels;
  const WarpLaunch l = warp_launch(batch.size(), p.channels * p.height * p.width);
  preprocess_fused_kernel<<<l.blocks, l.warps_per_block * kWarp, l.shared_bytes, stream>>>(
      pointers_of(batch), config.frame, p, config.normalisation, images, l.use_shared);
  JI_CUDA_CHECK_LAUNCH();
}

// Copies rows [first, first + count) of a host tensor into the start of a device tensor, asynchronously.
void copy_rows_in(const Tensor& host, int64_t first, int64_t count, Tensor& device, cudaStream_t stream) {
  const Tensor rows = host.slice(first, first + count);
  JI_CUDA_CHECK(cudaMemcpyAsync(device.data(), rows.data(), rows.numel() * sizeof(float), cudaMemcpyHostToDevice, stream));
}

}  // namespace

void preprocess_fused(Context& ctx, const JetBatch& batch, const PreprocessConfig& config, Tensor& images) {
  launch_fused(batch, config, images.data(), stream_of(ctx));
}

void preprocess_from_host(Context& ctx, const JetBatch& host, const PreprocessConfig& config, Tensor& host_images,
                          int64_t chunk) {
  if (host.size() == 0) return;
  const Device device = ctx.device();  // current here: the dispatch holds its DeviceGuard
  chunk = std::min(chunk, host.size());
  const int64_t image_floats = host_images.numel() / host.size();
  // Two streams, each with its own device buffers: while one copies in, the
  // other computes or copies out.
  cudaStream_t streams[2];
  JetBatch buffers[2];
  Tensor images[2];
  for (int s = 0; s < 2; ++s) {
    JI_CUDA_CHECK(cudaStreamCreateWithFlags(&streams[s], cudaStreamNonBlocking));
    buffers[s] = host.slice(0, chunk).to(device);  // shapes of one chunk (contents overwritten)
    images[s] = Tensor::empty({chunk, image_floats}, device);
  }
  ctx.synchronize();
  for (int64_t first = 0, i = 0; first < host.size(); first += chunk, ++i) {
    const int s = static_cast<int>(i % 2);
    const int64_t count = std::min(chunk, host.size() - first);
    JetBatch& b = buffers[s];
    copy_rows_in(host.constituents, first, count, b.constituents, streams[s]);
    copy_rows_in(host.n_constituents, first, count, b.n_constituents, streams[s]);
    copy_rows_in(host.subjets, first, count, b.subjets, streams[s]);
    copy_rows_in(host.n_subjets, first, count, b.n_subjets, streams[s]);
    copy_rows_in(host.jets, first, count, b.jets, streams[s]);
    if (host.charged.defined()) copy_rows_in(host.charged, first, count, b.charged, streams[s]);
    launch_fused(b.slice(0, count), config, images[s].data(), streams[s]);
    JI_CUDA_CHECK(cudaMemcpyAsync(host_images.slice(first, first + count).data(), images[s].data(),
                                  count * image_floats * sizeof(float), cudaMemcpyDeviceToHost, streams[s]));
  }
  for (cudaStream_t stream : streams) {
    JI_CUDA_CHECK(cudaStreamSynchronize(stream));
    JI_CUDA_CHECK(cudaStreamDestroy(stream));
  }
}

void compute_frames(Context& ctx, const JetBatch& batch, const FrameSettings& settings, const PixelSettings& pixels,
                    Tensor& frames) {
  if (batch.size() == 0) return;
  const unsigned blocks = static_cast<unsigned>((batch.size() + kMaxWarpsPerBlock - 1) / kMaxWarpsPerBlock);
  frames_kernel<<<blocks, kMaxWarpsPerBlock * kWarp, 0, stream_of(ctx)>>>(pointers_of(batch), settings, pixels,
                                                                           frames.data());
  JI_CUDA_CHECK_LAUNCH();
}

void pixelate(Context& ctx, const JetBatch& batch, const Tensor& frames, const PixelSettings& pixels, Tensor& images,
              bool translation_only) {
  if (batch.size() == 0) return;
  const WarpLaunch l = warp_launch(batch.size(), pixels.channels * pixels.height * pixels.width);
  pixelate_kernel<<<l.blocks, l.warps_per_block * kWarp, l.shared_bytes, stream_of(ctx)>>>(
      pointers_of(batch), frames.data(), pixels, translation_only, images.data(), l.use_shared);
  JI_CUDA_CHECK_LAUNCH();
}

void normalise_images(Context& ctx, Tensor& images, Normalisation normalisation) {
  const int64_t n_images = images.dim(0) * images.dim(1);
  if (n_images == 0) return;
  const unsigned blocks = static_cast<unsigned>((n_images + kMaxWarpsPerBlock - 1) / kMaxWarpsPerBlock);
  normalise_kernel<<<blocks, kMaxWarpsPerBlock * kWarp, 0, stream_of(ctx)>>>(
      images.data(), n_images, static_cast<int>(images.dim(2) * images.dim(3)), normalisation);
  JI_CUDA_CHECK_LAUNCH();
}

void resample_images(Context& ctx, const Tensor& in, const Tensor& frames, const PixelSettings& out_pixels,
                     Tensor& out) {
  const int64_t total = out.numel();
  if (total == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((total + 255) / 256, 65535));
  resample_kernel<<<blocks, 256, 0, stream_of(ctx)>>>(in.data(), static_cast<int>(in.dim(1)),
                                                      static_cast<int>(in.dim(2)), static_cast<int>(in.dim(3)),
                                                      frames.data(), out_pixels, out.data(), total);
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
