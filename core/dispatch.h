// The one place that chooses between the host/ and cuda/ implementation of an
// op. A build without CUDA (JETIMG_WITH_CUDA=0) compiles no CUDA branch at all;
// asking it for a CUDA device fails in resolve_device() before any op runs.
#pragma once

#include "core/device.h"
#include "core/error.h"

#ifndef JETIMG_WITH_CUDA
#define JETIMG_WITH_CUDA 0
#endif

#if JETIMG_WITH_CUDA
#include "core/backend.h"
// The CUDA branch runs with the context's device current (the guard is a
// temporary, alive until the end of the full expression, that is until the op
// returns): its launches, library calls and streams go to that device whichever
// device the caller had current, and the caller's current device is restored.
#define JI_DISPATCH(device, op, ...)                                                              \
  ((device).is_cuda() ? (::jetimg::cuda::DeviceGuard((device).index), ::jetimg::cuda::op(__VA_ARGS__)) \
                      : ::jetimg::host::op(__VA_ARGS__))
#else
#define JI_DISPATCH(device, op, ...)                                                   \
  ((device).is_cuda() ? ::jetimg::detail::no_cuda<decltype(::jetimg::host::op(__VA_ARGS__))>(#op) \
                      : ::jetimg::host::op(__VA_ARGS__))
namespace jetimg::detail {
template <typename R>
R no_cuda(const char* op) {
  throw Error(std::string("op '") + op + "' asked for a CUDA device, but jetimg was built without CUDA");
}
}  // namespace jetimg::detail
#endif
