#include "models/layer.h"

#include <cstdio>
#include <cstdlib>

#include "core/error.h"

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

double config_number(float value) {
  char text[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(value));
    const double parsed = std::strtod(text, nullptr);
    if (static_cast<float>(parsed) == value) return parsed;
  }
  return value;
}

int64_t checked_sample_values(const SampleShape& shape, const std::string& where) {
  int64_t values = 1;
  for (int64_t d : shape) {
    if (d > 0 && values > kMaxSampleValues / d)
      fail(where, " makes samples of ", shape_string(shape), ", more than 2^28 values each");
    values *= d;
  }
  return values;
}

std::vector<NamedTensor> prefixed(const std::string& prefix, std::vector<NamedTensor> tensors) {
  for (NamedTensor& t : tensors) t.name = prefix + t.name;
  return tensors;
}

}  // namespace jetimg
