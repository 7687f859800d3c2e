#include "models/layer.h"

namespace jetimg {

Tensor& ensure_tensor(Tensor& t, const Shape& shape, Device device) {
  if (!t.defined() || t.shape() != shape || t.device() != device) t = Tensor::empty(shape, device);
  return t;
}

std::string shape_string(const SampleShape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

}  // namespace jetimg
