// CUDA convolution through cuDNN (core/conv_ops.h).
//
// A plan per (device, shape) holds the cuDNN descriptors and the algorithms
// for forward, backward-data and backward-filter, chosen once with the
// cudnnGet*_v7 heuristics and cached for the process: the first
// deterministic algorithm that runs within the workspace limit, so that
// repeated runs give the same bits. The convolution is set to
// CUDNN_FMA_MATH: plain float32, no TF32 tensor cores, so results agree
// with the CPU to float rounding. Workspaces come from the context.
//
// cuDNN pads symmetrically. TensorFlow's 'same' padding is asymmetric for
// even kernels (one more row/column after); then the input is zero-padded
// explicitly into the workspace and cuDNN runs without padding (and
// backward-data is cropped back).
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/conv_ops.h"
#include "core/cuda_check.h"
#include "cuda/image_kernels.h"

namespace jetimg::cuda {
namespace {

constexpr size_t kMaxWorkspace = size_t{512} << 20;
constexpr size_t kAlign = 256;
constexpr int kBiasThreads = 256;

// dbias[f] = Σ_{n, p} dy[n, f, p]: one block per filter, a fixed-order tree
// sum in double (deterministic, unlike atomics).
__global__ void bias_grad_kernel(const float* dy, int64_t batch, int filters, int64_t positions, float* dbias) {
  __shared__ double shared[kBiasThreads];
  const int f = blockIdx.x;
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < batch * positions; i += blockDim.x) {
    const int64_t n = i / positions, p = i % positions;
    acc += dy[(n * filters + f) * positions + p];
  }
  shared[threadIdx.x] = acc;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) dbias[f] = static_cast<float>(shared[0]);
}

size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

// What cuDNN sees: the input as given with symmetric padding, or the
// explicitly padded input with none. Trailing rows that no window reads need
// no care: cuDNN's output size rounds down over them as make_window does.
struct CudnnShape {
  int n, c, h, w, f, kh, kw, stride_h, stride_w, pad_h, pad_w;
  bool pre_padded;

  std::array<int, 12> key(int device) const {
    return {device, n, c, h, w, f, kh, kw, stride_h, stride_w, pad_h, pad_w};
  }
};

CudnnShape cudnn_shape(const Window2d& g, int64_t n, int64_t c, int64_t f) {
  CudnnShape s{static_cast<int>(n), static_cast<int>(c), g.in_h, g.in_w, static_cast<int>(f), g.kernel_h,
               g.kernel_w, g.stride_h, g.stride_w, g.pad_top, g.pad_left, false};
  if (g.pad_bottom() != g.pad_top || g.pad_right() != g.pad_left) {
    s.h = g.in_h + g.pad_top + g.pad_bottom();
    s.w = g.in_w + g.pad_left + g.pad_right();
    s.pad_h = s.pad_w = 0;
    s.pre_padded = true;
  }
  return s;
}

// The math every convolution descriptor is set to: float32 FMA kernels only.
constexpr cudnnMathType_t kConvMath = CUDNN_FMA_MATH;

// The heuristics list each algorithm once per math type it has (tensor-op and
// TF32 variants included), with timings and workspace for that math. Only an
// entry for the descriptor's own math describes what will run: a tensor-op
// entry would leave float32 if the descriptor followed it, and its figures
// mean nothing under FMA math. With none usable the plan keeps its defaults,
// which every FMA descriptor runs.
template <typename Perf>
const Perf* first_usable(const std::vector<Perf>& perf, int count) {
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].mathType == kConvMath &&
        perf[i].determinism == CUDNN_DETERMINISTIC && perf[i].memory <= kMaxWorkspace)
      return &perf[i];
  return nullptr;
}

struct Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t forward = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnConvolutionBwdDataAlgo_t backward_data = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  cudnnConvolutionBwdFilterAlgo_t backward_filter = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
  size_t forward_bytes = 0, backward_data_bytes = 0, backward_filter_bytes = 0;

  Plan(cudnnHandle_t handle, const CudnnShape& s, int out_h, int out_w) {
    try {
      describe(handle, s, out_h, out_w);
    } catch (...) {
      release();
      throw;
    }
  }

  ~Plan() { release(); }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

 private:
  void describe(cudnnHandle_t handle, const CudnnShape& s, int out_h, int out_w) {
    JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    JI_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    JI_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    JI_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.c, s.h, s.w));
    JI_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.f, out_h, out_w));
    JI_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s.f, s.c, s.kh, s.kw));
    JI_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, s.pad_h, s.pad_w, s.stride_h, s.stride_w, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    JI_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, kConvMath));
    int n_out, c_out, h_out, w_out;
    JI_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(conv, x, w, &n_out, &c_out, &h_out, &w_out));
    if (h_out != out_h || w_out != out_w)
      throw DeviceError("conv2d: cuDNN computes a " + std::to_string(h_out) + "x" + std::to_string(w_out) +
                        " output where " + std::to_string(out_h) + "x" + std::to_string(out_w) + " was expected");
    choose_algorithms(handle);
  }

  void release() noexcept {
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (x) cudnnDestroyTensorDescriptor(x);
  }

  void choose_algorithms(cudnnHandle_t handle) {
    int max = 0, count = 0;
    JI_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &max));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> fwd(max);
    JI_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, conv, y, max, &count, fwd.data()));
    if (const auto* best = first_usable(fwd, count)) forward = best->algo;
    JI_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, x, w, conv, y, forward, &forward_bytes));

    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &max));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data(max);
    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, y, conv, x, max, &count, data.data()));
    if (const auto* best = first_usable(data, count)) backward_data = best->algo;
    JI_CUDNN_CHECK(
        cudnnGetConvolutionBackwardDataWorkspaceSize(handle, w, y, conv, x, backward_data, &backward_data_bytes));

    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &max));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> filter(max);
    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, y, conv, w, max, &count, filter.data()));
    if (const auto* best = first_usable(filter, count)) backward_filter = best->algo;
    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, x, y, conv, w, backward_filter,
                                                                  &backward_filter_bytes));
  }
};

// Plans live for the process, shared by every context on the same device.
const Plan& plan_for(Context& ctx, const CudnnShape& s, const Window2d& g) {
  static std::mutex mutex;
  static std::map<std::array<int, 12>, std::unique_ptr<Plan>> plans;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& plan = plans[s.key(ctx.device().index)];
  if (!plan) plan = std::make_unique<Plan>(static_cast<cudnnHandle_t>(ctx.cudnn()), s, g.out_h, g.out_w);
  return *plan;
}

// The conv's view of one call: plan, workspace, and where the (padded) input lives.
struct Call {
  CudnnShape shape;
  const Plan* plan;
  cudnnHandle_t handle;
  cudaStream_t stream;
  float* padded = nullptr;  // the explicitly padded input (or its gradient), in the workspace
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

Call prepare(Context& ctx, const Window2d& g, int64_t n, int64_t c, int64_t f, size_t Plan::*bytes) {
  Call call{cudnn_shape(g, n, c, f), nullptr, static_cast<cudnnHandle_t>(ctx.cudnn()),
            static_cast<cudaStream_t>(ctx.stream())};
  call.plan = &plan_for(ctx, call.shape, g);
  const size_t padded_bytes =
      call.shape.pre_padded ? aligned(sizeof(float) * size_t(n) * c * call.shape.h * call.shape.w) : 0;
  call.workspace_bytes = call.plan->*bytes;
  if (padded_bytes + call.workspace_bytes > 0) {
    char* base = static_cast<char*>(ctx.workspace(padded_bytes + call.workspace_bytes));
    if (call.shape.pre_padded) call.padded = reinterpret_cast<float*>(base);
    call.workspace = base + padded_bytes;
  }
  return call;
}

void pad_input(const Call& call, const Window2d& g, const Tensor& x) {
  launch_zero_pad(x.data(), x.dim(0) * x.dim(1), g.in_h, g.in_w, g.pad_top, g.pad_left, call.shape.h, call.shape.w,
                  call.padded, call.stream);
}

}  // namespace

void conv2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y) {
  const Call call = prepare(ctx, g, x.dim(0), x.dim(1), weight.dim(0), &Plan::forward_bytes);
  const float* input = x.data();
  if (call.shape.pre_padded) {
    pad_input(call, g, x);
    input = call.padded;
  }
  const float one = 1.0f, zero = 0.0f;
  JI_CUDNN_CHECK(cudnnConvolutionForward(call.handle, &one, call.plan->x, input, call.plan->w, weight.data(),
                                         call.plan->conv, call.plan->forward, call.workspace, call.workspace_bytes,
                                         &zero, call.plan->y, y.data()));
  if (bias.defined()) {
    cudnnTensorDescriptor_t bias_desc = nullptr;
    JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias_desc));
    const cudnnStatus_t set =
        cudnnSetTensor4dDescriptor(bias_desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, call.shape.f, 1, 1);
    const cudnnStatus_t added =
        set == CUDNN_STATUS_SUCCESS ? cudnnAddTensor(call.handle, &one, bias_desc, bias.data(), &one, call.plan->y,
                                                     y.data())
                                    : set;
    cudnnDestroyTensorDescriptor(bias_desc);
    JI_CUDNN_CHECK(added);
  }
}

void conv2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy, Tensor& dx) {
  const Call call = prepare(ctx, g, dx.dim(0), dx.dim(1), weight.dim(0), &Plan::backward_data_bytes);
  float* grad = call.shape.pre_padded ? call.padded : dx.data();
  const float one = 1.0f, zero = 0.0f;
  JI_CUDNN_CHECK(cudnnConvolutionBackwardData(call.handle, &one, call.plan->w, weight.data(), call.plan->y, dy.data(),
                                              call.plan->conv, call.plan->backward_data, call.workspace,
                                              call.workspace_bytes, &zero, call.plan->x, grad));
  if (call.shape.pre_padded)
    launch_crop(grad, dx.dim(0) * dx.dim(1), g.in_h, g.in_w, g.pad_top, g.pad_left, call.shape.h, call.shape.w,
                dx.data(), call.stream);
}

void conv2d_backward_weight(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& dy, Tensor& dweight) {
  const Call call = prepare(ctx, g, x.dim(0), x.dim(1), dweight.dim(0), &Plan::backward_filter_bytes);
  const float* input = x.data();
  if (call.shape.pre_padded) {
    pad_input(call, g, x);
    input = call.padded;
  }
  const float one = 1.0f, zero = 0.0f;
  JI_CUDNN_CHECK(cudnnConvolutionBackwardFilter(call.handle, &one, call.plan->x, input, call.plan->y, dy.data(),
                                                call.plan->conv, call.plan->backward_filter, call.workspace,
                                                call.workspace_bytes, &zero, call.plan->w, dweight.data()));
}

void conv2d_backward_bias(Context& ctx, const Tensor& dy, Tensor& dbias) {
  const int filters = static_cast<int>(dy.dim(1));
  if (filters == 0) return;  // one block per filter: no grid for none
  bias_grad_kernel<<<filters, kBiasThreads, 0, static_cast<cudaStream_t>(ctx.stream())>>>(
      dy.data(), dy.dim(0), filters, dy.dim(2) * dy.dim(3), dbias.data());
  JI_CUDA_CHECK_LAUNCH();
}

}  // namespace jetimg::cuda
