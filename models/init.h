// Weight initialisers, drawn from the context's seeded random streams (the
// same numbers on the CPU and CUDA). Fans are those of one output unit:
// fan_in = inputs, fan_out = outputs (per piece, for maxout).
//   he_uniform      U(-l, l), l = sqrt(6 / fan_in)
//   glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))   (Keras' default)
//   glorot_normal   N(0, s),  s = sqrt(2 / (fan_in + fan_out))   (not truncated, as PyTorch's xavier_normal_)
//   zeros
#pragma once

#include <string>

#include "core/context.h"
#include "core/tensor.h"

namespace jetimg {

enum class Init { HeUniform, GlorotUniform, GlorotNormal, Zeros };

void initialise(Context& ctx, Tensor& t, Init init, int64_t fan_in, int64_t fan_out);

// "he_uniform" and so on; Error naming `where` and the known names otherwise.
Init parse_init(const std::string& name, const std::string& where);
std::string init_name(Init init);

}  // namespace jetimg
