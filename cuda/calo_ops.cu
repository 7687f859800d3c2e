// CUDA implementation of core/calo_ops.h over the row math of core/calo_math.h.
#include "core/calo_math.h"
#include "core/calo_ops.h"
#include "core/cuda_check.h"

namespace jetimg::cuda {
namespace {

constexpr int kThreads = 256;

int blocks_for(int64_t n) { return static_cast<int>((n + kThreads - 1) / kThreads < 4096 ? (n + kThreads - 1) / kThreads : 4096); }

cudaStream_t stream_of(Context& ctx) { return static_cast<cudaStream_t>(ctx.stream()); }

__global__ void scale_rows_kernel(const float* x, const float* s, float factor, int64_t n, int64_t k, float* y) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n * k; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = x[i] * (s[i / k] * factor);
}

__global__ void energy_features_kernel(const float* e, const float* incident, int64_t n, int64_t layers, float* feats,
                                       float* total) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < n; r += int64_t(gridDim.x) * blockDim.x)
    energy_features_row(e + r * layers, layers, incident[r], feats + r * (layers + 3), total + r);
}

__global__ void energy_features_backward_kernel(const float* e, const float* incident, const float* dfeats,
                                                const float* dtotal, int64_t n, int64_t layers, float* de) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < n; r += int64_t(gridDim.x) * blockDim.x)
    energy_features_backward_row(e + r * layers, layers, incident[r], dfeats + r * (layers + 3),
                                 dtotal ? dtotal[r] : 0.0f, de + r * layers);
}

}  // namespace

void scale_rows(Context& ctx, const Tensor& x, const Tensor& s, float factor, Tensor& y) {
  if (x.numel() == 0) return;
  scale_rows_kernel<<<blocks_for(x.numel()), kThreads, 0, stream_of(ctx)>>>(x.data(), s.data(), factor, x.dim(0),
                                                                            x.dim(1), y.data());
  JI_CUDA_CHECK_LAUNCH();
}

void energy_features_forward(Context& ctx, const Tensor& e, const Tensor& incident, Tensor& feats, Tensor& total) {
  if (e.dim(0) == 0) return;
  energy_features_kernel<<<blocks_for(e.dim(0)), kThreads, 0, stream_of(ctx)>>>(
      e.data(), incident.data(), e.dim(0), e.dim(1), feats.data(), total.data());
  JI_CUDA_CHECK_LAUNCH();
}

void energy_features_backward(Context& ctx, const Tensor& e, const Tensor& incident, const Tensor& dfeats,
                              const float* dtotal, Tensor& de) {
  if (e.dim(0) == 0) return;
  energy_features_backward_kernel<<<blocks_for(e.dim(0)), kThreads, 0, stream_of(ctx)>>>(
      e.data(), incident.data(), dfeats.data(), dtotal, e.dim(0), e.dim(1), de.data());
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
