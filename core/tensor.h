// Tensor: row-major and contiguous, up to 6-D, on the CPU or a CUDA device,
// holding one of three element types. Copies between devices are explicit
// (`to`); `view` and `slice` share storage and are cheap. Shapes are written
// in comments as `x: (N, C, H, W)`.
//
// Element types (DType):
//   float32  values: pixels, energies, features, weights, gradients. Every op
//            computes on float32, and `data()` is float32 access.
//   int32    counts and indices: constituents per jet, neighbour indices
//            (N, P, k), class labels used as indices.
//   uint8    masks: 1 where a padded constituent or a pixel is real, 0 where
//            it is padding.
// `data()` throws for an int32 or uint8 tensor, naming both dtypes: that one
// check is what makes every float op refuse them. `data_as<T>()` is the typed
// access for every dtype and `raw_data()` the bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/device.h"

namespace jetimg {

enum class DType { Float32, Int32, UInt8 };

// "float32", "int32", "uint8".
constexpr const char* dtype_name(DType dtype) {
  return dtype == DType::Float32 ? "float32" : dtype == DType::Int32 ? "int32" : "uint8";
}
// Bytes per element.
constexpr size_t dtype_size(DType dtype) { return dtype == DType::UInt8 ? 1 : 4; }

// The DType of a C++ element type; only float, int32_t and uint8_t have one.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::UInt8; };

class Shape {
 public:
  static constexpr int kMaxDims = 6;
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

class Context;

// Owns one block of at least `bytes` bytes on one device, from the device's
// pool (core/memory.h), and gives it back there. `pinned` host memory
// (page-locked, from the CUDA runtime) lets copies to and from a GPU run
// asynchronously at full bus speed.
struct Storage {
  void* data = nullptr;
  int64_t bytes = 0;
  Device device;
  bool pinned = false;
  size_t granted = 0;           // the block's size in the pool
  void* stream = nullptr;       // device blocks: the stream they belong to
  void* last_stream = nullptr;  // pinned blocks: the stream of the last asynchronous copy
  int last_device = 0;          //   and its device
  Storage(int64_t bytes, Device device, bool pinned = false);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

class Tensor {
 public:
  Tensor() = default;
  // Uninitialised memory.
  static Tensor empty(const Shape& shape, Device device = Device::cpu(), DType dtype = DType::Float32);
  static Tensor zeros(const Shape& shape, Device device = Device::cpu(), DType dtype = DType::Float32);
  // Uninitialised page-locked host memory (ordinary host memory without CUDA).
  static Tensor empty_pinned(const Shape& shape, DType dtype = DType::Float32);
  // A CPU tensor holding `values`, of the vector's dtype; their count must
  // match the shape. A braced list, from_vector({1, 2, 3}, {3}), is float32;
  // write std::vector<int32_t>{1, 2, 3} for int32.
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  template <typename T, typename = std::enable_if_t<std::is_same<T, int32_t>::value || std::is_same<T, uint8_t>::value>>
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
    return from_host(values.data(), static_cast<int64_t>(values.size()), DTypeOf<T>::value, shape);
  }

  const Shape& shape() const { return shape_; }
  int ndim() const { return shape_.ndim(); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  size_t element_size() const { return dtype_size(dtype_); }
  size_t bytes() const { return static_cast<size_t>(numel()) * element_size(); }
  Device device() const { return storage_ ? storage_->device : Device::cpu(); }
  bool defined() const { return storage_ != nullptr; }
  bool pinned() const { return storage_ && storage_->pinned; }

  // float32 elements; an Error for any other dtype (see the top of this file).
  float* data() { return data_as<float>(); }
  const float* data() const { return data_as<float>(); }
  // Elements of type T (float, int32_t or uint8_t); an Error unless T is the
  // tensor's dtype.
  template <typename T>
  T* data_as() {
    if (dtype_ != DTypeOf<T>::value) wrong_dtype(DTypeOf<T>::value);
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data_as() const {
    if (dtype_ != DTypeOf<T>::value) wrong_dtype(DTypeOf<T>::value);
    return static_cast<const T*>(raw_data());
  }
  // The first element's bytes, whatever the dtype (bytes() of them).
  void* raw_data() { return storage_ ? static_cast<char*>(storage_->data) + offset_ * element_size() : nullptr; }
  const void* raw_data() const {
    return storage_ ? static_cast<const char*>(storage_->data) + offset_ * element_size() : nullptr;
  }

  // Same elements, another shape of the same size (shares storage).
  Tensor view(const Shape& shape) const;
  // Rows [begin, end) along the first dimension (shares storage).
  Tensor slice(int64_t begin, int64_t end) const;
  // A copy on `device` (always a copy, even on the same device).
  Tensor to(Device device) const;
  Tensor clone() const { return to(device()); }
  // A copy in page-locked host memory (see empty_pinned).
  Tensor to_pinned() const;
  // Copies `src` (same dtype and shape, any device) into this tensor. With a
  // CUDA device on either side the host waits for the copy (a
  // synchronisation, counted: core/memory.h).
  void copy_from(const Tensor& src);
  // The same, queued on the context's stream: the host goes on at once, and
  // the context's later ops see the copied values. From or to pinned host
  // memory the copy overlaps with the host's work; the pool keeps a pinned
  // buffer from being reused until its copy is done. On the CPU, a memcpy.
  void copy_from_async(Context& ctx, const Tensor& src);
  // The elements on the host: to_vector() for float32 tensors, to_vector_as<T>
  // for any dtype T is (an Error otherwise).
  std::vector<float> to_vector() const { return to_vector_as<float>(); }
  template <typename T>
  std::vector<T> to_vector_as() const {
    std::vector<T> values(static_cast<size_t>(numel()));
    copy_to_host(values.data(), DTypeOf<T>::value);
    return values;
  }

 private:
  static Tensor from_host(const void* values, int64_t count, DType dtype, const Shape& shape);
  void copy_to_host(void* dst, DType expected) const;
  void check_copy(const Tensor& src, const char* op) const;
  [[noreturn]] void wrong_dtype(DType expected) const;

  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in elements
  Shape shape_;
  DType dtype_ = DType::Float32;
};

}  // namespace jetimg
