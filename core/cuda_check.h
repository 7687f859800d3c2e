// Check macros for CUDA, cuBLAS and cuDNN calls: a failure throws DeviceError
// naming the call, the file and the line. Included only by cuda/ sources.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

#include "core/cuda_sync.h"
#include "core/error.h"

namespace jetimg::detail {

inline std::string where(const char* call, const char* file, int line) {
  return std::string(call) + " at " + file + ":" + std::to_string(line);
}

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess)
    throw DeviceError(std::string("CUDA error ") + cudaGetErrorName(status) + " (" +
                      cudaGetErrorString(status) + ") in " + where(call, file, line));
}

inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw DeviceError(std::string("cuBLAS error ") + cublasGetStatusName(status) + " in " + where(call, file, line));
}

inline void check_cudnn(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw DeviceError(std::string("cuDNN error ") + cudnnGetErrorString(status) + " in " + where(call, file, line));
}

// After a kernel launch by `op`: a bad launch configuration throws here; with
// JETIMG_CUDA_SYNC=1 (core/cuda_sync.h) the device is also waited for, so a
// fault inside the kernel throws here too, naming the op.
inline void check_launch(const char* op, const char* file, int line) {
  const cudaError_t launch = cudaGetLastError();
  if (launch != cudaSuccess)
    throw DeviceError(std::string("CUDA error ") + cudaGetErrorName(launch) + " (" + cudaGetErrorString(launch) +
                      ") launching a kernel of op '" + op + "' at " + file + ":" + std::to_string(line));
  if (!cuda_sync_launches()) return;
  const cudaError_t run = cudaDeviceSynchronize();
  if (run != cudaSuccess)
    throw DeviceError(std::string("CUDA error ") + cudaGetErrorName(run) + " (" + cudaGetErrorString(run) +
                      ") running a kernel of op '" + op + "' launched at " + file + ":" + std::to_string(line) +
                      " (JETIMG_CUDA_SYNC=1)");
}

}  // namespace jetimg::detail

#define JI_CUDA_CHECK(call) ::jetimg::detail::check_cuda((call), #call, __FILE__, __LINE__)
#define JI_CUBLAS_CHECK(call) ::jetimg::detail::check_cublas((call), #call, __FILE__, __LINE__)
#define JI_CUDNN_CHECK(call) ::jetimg::detail::check_cudnn((call), #call, __FILE__, __LINE__)
// After a kernel launch, in the op's launcher function (whose name, __func__,
// names the op in the error): see detail::check_launch.
#define JI_CUDA_CHECK_LAUNCH() ::jetimg::detail::check_launch(__func__, __FILE__, __LINE__)
