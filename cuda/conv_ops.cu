// CUDA convolution through cuDNN (core/conv_ops.h).
//
// A plan per (device, shape) holds the cuDNN descriptors and the algorithms
// for forward, backward-data and backward-filter, chosen once with the
// cudnnGet*_v7 heuristics and cached for the process: the first
// deterministic algorithm that runs within the workspace limit, so that
// repeated runs give the same bits. The context's math mode
// (core/math_mode.h) sets the convolution's math, and is part of the plan's key:
//   fp32  CUDNN_FMA_MATH: plain float32, no TF32 tensor cores, so results
//         agree with the CPU to float rounding (the default)
//   tf32  CUDNN_TENSOR_OP_MATH on float32 tensors: TF32 tensor cores
//   bf16  (forward only) input and filter converted to bfloat16 in the
//         workspace, CUDNN_TENSOR_OP_MATH with float32 accumulation
//         (PSEUDO_BFLOAT16: cuDNN writes a bfloat16 output, converted back to
//         float32 before the float32 bias is added); a shape that cuDNN has no
//         such algorithm for runs as tf32
// Workspaces come from the context.
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
#include "cuda/bf16.h"
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

  std::array<int, 13> key(int device, MathMode mode) const {
    return {device, static_cast<int>(mode), n, c, h, w, f, kh, kw, stride_h, stride_w, pad_h, pad_w};
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

// The math a convolution descriptor is set to: float32 FMA kernels only in
// fp32, tensor cores (TF32 on float32 tensors, BF16 on bfloat16 ones) otherwise.
cudnnMathType_t conv_math(MathMode mode) {
  return mode == MathMode::fp32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
}

// The heuristics list each algorithm once per math type it has (tensor-op and
// TF32 variants included), with timings and workspace for that math. Only an
// entry for the descriptor's own math describes what will run: a tensor-op
// entry would leave float32 if an FMA descriptor followed it, and its figures
// mean nothing under FMA math (nor an FMA entry's under tensor-op math). With
// none usable a float32 plan keeps its defaults, which every descriptor runs.
template <typename Perf>
const Perf* first_usable(const std::vector<Perf>& perf, int count, cudnnMathType_t math) {
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].mathType == math &&
        perf[i].determinism == CUDNN_DETERMINISTIC && perf[i].memory <= kMaxWorkspace)
      return &perf[i];
  return nullptr;
}

struct Plan {
  // y32: the output as float32, for the bias (y itself is bfloat16 in bf16).
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, y32 = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t forward = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnConvolutionBwdDataAlgo_t backward_data = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  cudnnConvolutionBwdFilterAlgo_t backward_filter = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
  size_t forward_bytes = 0, backward_data_bytes = 0, backward_filter_bytes = 0;
  MathMode mode;
  // bf16: whether cuDNN has a bfloat16 forward algorithm for the shape (plans
  // of the other modes always run, on the defaults if need be).
  bool forward_found = true;

  Plan(cudnnHandle_t handle, const CudnnShape& s, int out_h, int out_w, MathMode math_mode) : mode(math_mode) {
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
    const cudnnDataType_t type = mode == MathMode::bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y32));
    JI_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    JI_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    JI_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, type, s.n, s.c, s.h, s.w));
    JI_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, type, s.n, s.f, out_h, out_w));
    JI_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y32, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s.n, s.f, out_h, out_w));
    JI_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NCHW, s.f, s.c, s.kh, s.kw));
    // Float32 accumulation in every mode.
    JI_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, s.pad_h, s.pad_w, s.stride_h, s.stride_w, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    JI_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, conv_math(mode)));
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
    if (y32) cudnnDestroyTensorDescriptor(y32);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (x) cudnnDestroyTensorDescriptor(x);
  }

  void choose_algorithms(cudnnHandle_t handle) {
    const cudnnMathType_t math = conv_math(mode);
    int max = 0, count = 0;
    JI_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &max));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> fwd(max);
    JI_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, conv, y, max, &count, fwd.data()));
    const auto* best_forward = first_usable(fwd, count, math);
    if (best_forward) forward = best_forward->algo;
    if (mode == MathMode::bf16) {  // inference only: no backward algorithms
      forward_found = best_forward != nullptr;
      if (forward_found)
        JI_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, x, w, conv, y, forward, &forward_bytes));
      return;
    }
    JI_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, x, w, conv, y, forward, &forward_bytes));

    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, &max));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data(max);
    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, y, conv, x, max, &count, data.data()));
    if (const auto* best = first_usable(data, count, math)) backward_data = best->algo;
    JI_CUDNN_CHECK(
        cudnnGetConvolutionBackwardDataWorkspaceSize(handle, w, y, conv, x, backward_data, &backward_data_bytes));

    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, &max));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> filter(max);
    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, y, conv, w, max, &count, filter.data()));
    if (const auto* best = first_usable(filter, count, math)) backward_filter = best->algo;
    JI_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, x, y, conv, w, backward_filter,
                                                                  &backward_filter_bytes));
  }
};

// Plans live for the process, shared by every context on the same device
// (and math mode).
const Plan& plan_for(Context& ctx, const CudnnShape& s, const Window2d& g, MathMode mode) {
  static std::mutex mutex;
  static std::map<std::array<int, 13>, std::unique_ptr<Plan>> plans;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& plan = plans[s.key(ctx.device().index, mode)];
  if (!plan) plan = std::make_unique<Plan>(static_cast<cudnnHandle_t>(ctx.cudnn()), s, g.out_h, g.out_w, mode);
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

// The bfloat16 copies of a bf16 forward, in the workspace after cuDNN's own.
struct Bf16Buffers {
  __nv_bfloat16 *x = nullptr, *w = nullptr, *y = nullptr;
};

// A plan in `mode` and the workspace: the padded input (if any), cuDNN's
// workspace, then (bf16) the bfloat16 input, filter and output.
Call prepare(Context& ctx, const Window2d& g, int64_t n, int64_t c, int64_t f, size_t Plan::*bytes, MathMode mode,
             Bf16Buffers* bf16 = nullptr) {
  Call call{cudnn_shape(g, n, c, f), nullptr, static_cast<cudnnHandle_t>(ctx.cudnn()),
            static_cast<cudaStream_t>(ctx.stream())};
  call.plan = &plan_for(ctx, call.shape, g, mode);
  const size_t input = size_t(n) * c * call.shape.h * call.shape.w;
  const size_t padded_bytes = call.shape.pre_padded ? aligned(sizeof(float) * input) : 0;
  call.workspace_bytes = call.plan->*bytes;
  size_t x_bytes = 0, w_bytes = 0, y_bytes = 0;
  if (bf16) {
    x_bytes = aligned(sizeof(__nv_bfloat16) * input);
    w_bytes = aligned(sizeof(__nv_bfloat16) * size_t(f) * c * g.kernel_h * g.kernel_w);
    y_bytes = aligned(sizeof(__nv_bfloat16) * size_t(n) * f * g.out_h * g.out_w);
  }
  const size_t work = aligned(call.workspace_bytes);
  const size_t total = padded_bytes + work + x_bytes + w_bytes + y_bytes;
  if (total > 0) {
    char* base = static_cast<char*>(ctx.workspace(total));
    if (call.shape.pre_padded) call.padded = reinterpret_cast<float*>(base);
    call.workspace = base + padded_bytes;
    if (bf16) {
      char* next = base + padded_bytes + work;
      bf16->x = reinterpret_cast<__nv_bfloat16*>(next);
      bf16->w = reinterpret_cast<__nv_bfloat16*>(next + x_bytes);
      bf16->y = reinterpret_cast<__nv_bfloat16*>(next + x_bytes + w_bytes);
    }
  }
  return call;
}

// The backward passes train: float32 or TF32 only.
MathMode training_mode(Context& ctx, const char* op) {
  const MathMode mode = ctx.math_mode();
  if (mode == MathMode::bf16)
    throw Error(std::string(op) + ": math mode bf16 is for inference only (no backward pass); train with fp32 or tf32");
  return mode;
}

// y (float32) += bias, one value per filter.
void add_bias(const Call& call, const Tensor& bias, Tensor& y) {
  const float one = 1.0f;
  cudnnTensorDescriptor_t bias_desc = nullptr;
  JI_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias_desc));
  const cudnnStatus_t set =
      cudnnSetTensor4dDescriptor(bias_desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, call.shape.f, 1, 1);
  const cudnnStatus_t added =
      set == CUDNN_STATUS_SUCCESS
          ? cudnnAddTensor(call.handle, &one, bias_desc, bias.data(), &one, call.plan->y32, y.data())
          : set;
  cudnnDestroyTensorDescriptor(bias_desc);
  JI_CUDNN_CHECK(added);
}

void pad_input(const Call& call, const Window2d& g, const Tensor& x) {
  launch_zero_pad(x.data(), x.dim(0) * x.dim(1), g.in_h, g.in_w, g.pad_top, g.pad_left, call.shape.h, call.shape.w,
                  call.padded, call.stream);
}

// The bf16 forward: false (nothing done) when cuDNN has no bfloat16 algorithm
// for the shape.
bool conv2d_forward_bf16(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         Tensor& y) {
  const CudnnShape shape = cudnn_shape(g, x.dim(0), x.dim(1), weight.dim(0));
  if (!plan_for(ctx, shape, g, MathMode::bf16).forward_found) return false;
  Bf16Buffers half;
  const Call call = prepare(ctx, g, x.dim(0), x.dim(1), weight.dim(0), &Plan::forward_bytes, MathMode::bf16, &half);
  const float* input = x.data();
  if (call.shape.pre_padded) {
    pad_input(call, g, x);
    input = call.padded;
  }
  convert_to_bf16(input, half.x, x.dim(0) * x.dim(1) * int64_t(call.shape.h) * call.shape.w, call.stream);
  convert_to_bf16(weight.data(), half.w, weight.numel(), call.stream);
  const float one = 1.0f, zero = 0.0f;
  JI_CUDNN_CHECK(cudnnConvolutionForward(call.handle, &one, call.plan->x, half.x, call.plan->w, half.w,
                                         call.plan->conv, call.plan->forward, call.workspace, call.workspace_bytes,
                                         &zero, call.plan->y, half.y));
  convert_from_bf16(half.y, y.data(), y.numel(), call.stream);
  if (bias.defined()) add_bias(call, bias, y);
  return true;
}

}  // namespace

void conv2d_forward(Context& ctx, const Window2d& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                    Tensor& y) {
  MathMode mode = ctx.math_mode();
  if (mode == MathMode::bf16) {
    if (conv2d_forward_bf16(ctx, g, x, weight, bias, y)) return;
    mode = MathMode::tf32;  // no bfloat16 algorithm for this shape: tensor cores on float32
  }
  const Call call = prepare(ctx, g, x.dim(0), x.dim(1), weight.dim(0), &Plan::forward_bytes, mode);
  const float* input = x.data();
  if (call.shape.pre_padded) {
    pad_input(call, g, x);
    input = call.padded;
  }
  const float one = 1.0f, zero = 0.0f;
  JI_CUDNN_CHECK(cudnnConvolutionForward(call.handle, &one, call.plan->x, input, call.plan->w, weight.data(),
                                         call.plan->conv, call.plan->forward, call.workspace, call.workspace_bytes,
                                         &zero, call.plan->y, y.data()));
  if (bias.defined()) add_bias(call, bias, y);
}

void conv2d_backward_input(Context& ctx, const Window2d& g, const Tensor& weight, const Tensor& dy, Tensor& dx) {
  const Call call = prepare(ctx, g, dx.dim(0), dx.dim(1), weight.dim(0), &Plan::backward_data_bytes,
                            training_mode(ctx, "conv2d backward"));
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
  const Call call = prepare(ctx, g, x.dim(0), x.dim(1), dweight.dim(0), &Plan::backward_filter_bytes,
                            training_mode(ctx, "conv2d backward"));
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
