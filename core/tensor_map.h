// Named tensors: a model's inputs and outputs, a dataset's columns.
#pragma once

#include <map>
#include <string>

#include "core/tensor.h"

namespace jetimg {

using TensorMap = std::map<std::string, Tensor>;

}  // namespace jetimg
