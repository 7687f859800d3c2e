// Argument checks shared by the op front ends (core/*_ops.cpp): one message
// naming the op and the tensor.
#pragma once

#include "core/context.h"
#include "core/error.h"
#include "core/tensor.h"

namespace jetimg {

inline void check_device(const Context& ctx, const Tensor& t, const char* op, const char* name) {
  if (!t.defined()) fail(op, ": tensor '", name, "' is empty");
  if (t.device() != ctx.device())
    fail(op, ": tensor '", name, "' is on ", t.device().str(), " but the context runs on ", ctx.device().str());
}

inline void check_same_shape(const Tensor& a, const Tensor& b, const char* op, const char* name_a,
                             const char* name_b) {
  if (a.shape() != b.shape())
    fail(op, ": '", name_a, "' has shape ", a.shape().str(), " but '", name_b, "' has ", b.shape().str());
}

}  // namespace jetimg
