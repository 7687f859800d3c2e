// Tensor: float32, up to 4-D, row-major and contiguous, on the CPU or a CUDA
// device. Copies between devices are explicit (`to`); `view` and `slice`
// share storage and are cheap. Shapes are written in comments as
// `x: (N, C, H, W)`.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"

namespace jetimg {

class Shape {
 public:
  static constexpr int kMaxDims = 4;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int ndim() const { return ndim_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t numel() const;
  std::string str() const;
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

// Owns one allocation on one device; frees it on the device it came from.
// `pinned` host memory (page-locked, from the CUDA runtime) lets copies to
// and from a GPU run asynchronously at full bus speed.
struct Storage {
  float* data = nullptr;
  int64_t size = 0;
  Device device;
  bool pinned = false;
  Storage(int64_t size, Device device, bool pinned = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised memory.
  static Tensor empty(const Shape& shape, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, Device device = Device::cpu());
  // Uninitialised page-locked host memory (ordinary host memory without CUDA).
  static Tensor empty_pinned(const Shape& shape);
  // A CPU tensor holding `values`; their count must match the shape.
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);

  const Shape& shape() const { return shape_; }
  int ndim() const { return shape_.ndim(); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  Device device() const { return storage_ ? storage_->device : Device::cpu(); }
  bool defined() const { return storage_ != nullptr; }
  bool pinned() const { return storage_ && storage_->pinned; }

  float* data() { return storage_ ? storage_->data + offset_ : nullptr; }
  const float* data() const { return storage_ ? storage_->data + offset_ : nullptr; }

  // Same elements, another shape of the same size (shares storage).
  Tensor view(const Shape& shape) const;
  // Rows [begin, end) along the first dimension (shares storage).
  Tensor slice(int64_t begin, int64_t end) const;
  // A copy on `device` (always a copy, even on the same device).
  Tensor to(Device device) const;
  Tensor clone() const { return to(device()); }
  // A copy in page-locked host memory (see empty_pinned).
  Tensor to_pinned() const;
  // Copies `src` (same shape, any device) into this tensor.
  void copy_from(const Tensor& src);
  std::vector<float> to_vector() const;

 private:
  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;
  Shape shape_;
};

}  // namespace jetimg
