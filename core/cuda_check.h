// Check macros for CUDA, cuBLAS and cuDNN calls: a failure throws DeviceError
// naming the call, the file and the line. Included only by cuda/ sources.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

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

}  // namespace jetimg::detail

#define JI_CUDA_CHECK(call) ::jetimg::detail::check_cuda((call), #call, __FILE__, __LINE__)
#define JI_CUBLAS_CHECK(call) ::jetimg::detail::check_cublas((call), #call, __FILE__, __LINE__)
#define JI_CUDNN_CHECK(call) ::jetimg::detail::check_cudnn((call), #call, __FILE__, __LINE__)
// After a kernel launch: catches bad launch configurations at the launch site.
#define JI_CUDA_CHECK_LAUNCH() JI_CUDA_CHECK(cudaGetLastError())
