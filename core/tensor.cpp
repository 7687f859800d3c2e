#include "core/tensor.h"

#include <malloc.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <new>
#include <sstream>

#include "core/backend.h"
#include "core/context.h"
#include "core/memory.h"
#include "core/dispatch.h"
#include "core/error.h"

namespace jetimg {
namespace {

// Host tensors come and go every training step with the same sizes. glibc
// serves large blocks with mmap and returns them on free, so every step
// would fault in and zero fresh pages (a tenth of a CNN step on the CPU).
// Serving them from the heap instead, and not trimming it, lets freed
// blocks be reused.
void keep_host_blocks() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
  });
}

// More elements than any machine holds (4 TB of floats): a shape computed
// from a damaged file or an absurd setting, refused before it overflows.
constexpr int64_t kMaxElements = int64_t{1} << 40;

std::string dims_string(const int64_t* dims, size_t n) {
  std::ostringstream out;
  out << '(';
  for (size_t i = 0; i < n; ++i) out << (i ? ", " : "") << dims[i];
  out << ')';
  return out.str();
}

void check_dims(const int64_t* dims, size_t n) {
  if (n > static_cast<size_t>(Shape::kMaxDims))
    fail("tensor shape has ", n, " dimensions; at most ", Shape::kMaxDims, " are supported");
  int64_t elements = 1;
  for (size_t i = 0; i < n; ++i) {
    if (dims[i] < 0) fail("tensor shape has a negative dimension (", dims[i], ")");
    if (dims[i] > 0 && elements > kMaxElements / dims[i])
      fail("tensor shape ", dims_string(dims, n), " has more than 2^40 elements");
    elements *= dims[i];
  }
}

// Host memory of this machine, in bytes (0 if unknown).
uint64_t physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string gigabytes(uint64_t bytes) {
  std::ostringstream out;
  out.precision(3);
  out << static_cast<double>(bytes) / 1e9 << " GB";
  return out.str();
}

// Copies bytes between any two devices (the CUDA runtime handles host memory too).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#if JETIMG_WITH_CUDA
  // With the CUDA side's device current (the destination's when both are GPUs).
  cuda::copy(dst, src, bytes, dst_device.is_cuda() ? dst_device.index : src_device.index);
#else
  (void)dst, (void)src;
  fail("copy to or from a CUDA device, but jetimg was built without CUDA");
#endif
}

}  // namespace

Shape::Shape(std::initializer_list<int64_t> dims) {
  check_dims(dims.begin(), dims.size());
  ndim_ = static_cast<int>(dims.size());
  int i = 0;
  for (int64_t d : dims) dims_[i++] = d;
}

Shape::Shape(const std::vector<int64_t>& dims) {
  check_dims(dims.data(), dims.size());
  ndim_ = static_cast<int>(dims.size());
  for (int i = 0; i < ndim_; ++i) dims_[i] = dims[i];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < ndim_; ++i) n *= dims_[i];
  return ndim_ == 0 ? 0 : n;
}

std::string Shape::str() const {
  std::ostringstream out;
  out << '(';
  for (int i = 0; i < ndim_; ++i) out << (i ? ", " : "") << dims_[i];
  out << ')';
  return out.str();
}

bool Shape::operator==(const Shape& o) const {
  if (ndim_ != o.ndim_) return false;
  for (int i = 0; i < ndim_; ++i)
    if (dims_[i] != o.dims_[i]) return false;
  return true;
}

Storage::Storage(int64_t n_bytes, Device dev, bool pin) : bytes(n_bytes), device(dev) {
  if (n_bytes == 0) return;
  const size_t size = static_cast<size_t>(n_bytes);
  if (dev.is_cpu()) {
#if JETIMG_WITH_CUDA
    if (pin && cuda_device_count() > 0) {
      data = pool::allocate(size, dev, true, nullptr, &granted);
      pinned = true;
      return;
    }
#endif
    (void)pin;
    keep_host_blocks();
    const uint64_t memory = physical_memory();
    if (memory > 0 && static_cast<uint64_t>(n_bytes) > memory)
      fail("a tensor needs ", gigabytes(static_cast<uint64_t>(n_bytes)), ", more than this machine's ",
           gigabytes(memory), " of memory");
    // operator new underneath: malloc's blocks (see keep_host_blocks), aligned for any element type.
    data = pool::allocate(size, dev, false, nullptr, &granted);
    return;
  }
#if JETIMG_WITH_CUDA
  stream = pool::current_stream(dev.index);
  data = pool::allocate(size, dev, false, stream, &granted);
#else
  fail("cannot allocate on ", dev.str(), ": jetimg was built without CUDA");
#endif
}

Storage::~Storage() {
  if (data) pool::release(data, granted, device, pinned, stream, last_stream, last_device);
}

Tensor Tensor::empty(const Shape& shape, Device device, DType dtype) {
  Tensor t;
  t.storage_ = std::make_shared<Storage>(shape.numel() * static_cast<int64_t>(dtype_size(dtype)), device);
  t.shape_ = shape;
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::empty_pinned(const Shape& shape, DType dtype) {
  Tensor t;
  t.storage_ = std::make_shared<Storage>(shape.numel() * static_cast<int64_t>(dtype_size(dtype)), Device::cpu(), true);
  t.shape_ = shape;
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device device, DType dtype) {
  Tensor t = empty(shape, device, dtype);
  const size_t bytes = t.bytes();
  if (bytes == 0) return t;
  if (device.is_cpu()) {
    std::memset(t.raw_data(), 0, bytes);
  } else {
#if JETIMG_WITH_CUDA
    cuda::memset_zero(t.raw_data(), bytes, device.index);
#endif
  }
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  return from_host(values.data(), static_cast<int64_t>(values.size()), DType::Float32, shape);
}

Tensor Tensor::from_host(const void* values, int64_t count, DType dtype, const Shape& shape) {
  if (count != shape.numel())
    fail("from_vector: ", count, " ", dtype_name(dtype), " values do not fill shape ", shape.str());
  Tensor t = empty(shape, Device::cpu(), dtype);
  if (count > 0) std::memcpy(t.raw_data(), values, t.bytes());
  return t;
}

void Tensor::wrong_dtype(DType expected) const {
  fail("tensor of shape ", shape_.str(), " holds ", dtype_name(dtype_), ", expected ", dtype_name(expected));
}

Tensor Tensor::view(const Shape& shape) const {
  if (shape.numel() != numel()) fail("view: shape ", shape.str(), " does not have the ", numel(), " elements of ", shape_.str());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  if (ndim() == 0 || begin < 0 || end < begin || end > dim(0))
    fail("slice [", begin, ", ", end, ") is outside the first dimension of ", shape_.str());
  const int64_t row = dim(0) == 0 ? 0 : numel() / dim(0);
  std::vector<int64_t> dims(static_cast<size_t>(ndim()));
  for (int i = 0; i < ndim(); ++i) dims[static_cast<size_t>(i)] = shape_[i];
  dims[0] = end - begin;
  Tensor t = *this;
  t.offset_ = offset_ + begin * row;
  t.shape_ = Shape(dims);
  return t;
}

Tensor Tensor::to(Device device) const {
  Tensor t = empty(shape_, device, dtype_);
  t.copy_from(*this);
  return t;
}

Tensor Tensor::to_pinned() const {
  Tensor t = empty_pinned(shape_, dtype_);
  t.copy_from(*this);
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  check_copy(src, "copy_from");
  if (device().is_cuda() || src.device().is_cuda()) count_synchronization(device().is_cuda() ? device() : src.device());
  copy_bytes(raw_data(), device(), src.raw_data(), src.device(), bytes());
}

void Tensor::copy_from_async(Context& ctx, const Tensor& src) {
  check_copy(src, "copy_from_async");
  const Device dst_device = device(), src_device = src.device();
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    if (bytes() > 0) std::memcpy(raw_data(), src.raw_data(), bytes());
    return;
  }
  const Device gpu = dst_device.is_cuda() ? dst_device : src_device;
  if (gpu != ctx.device())
    fail("copy_from_async: a copy to or from ", gpu.str(), " queued on a context on ", ctx.device().str());
  if (dst_device.is_cuda() && src_device.is_cuda() && dst_device != src_device)
    fail("copy_from_async: from ", src_device.str(), " to ", dst_device.str(), " (copies between GPUs are not supported)");
  if (bytes() == 0) return;
#if JETIMG_WITH_CUDA
  cuda::copy_async(raw_data(), src.raw_data(), bytes(), ctx.stream(), gpu.index);
  // A pinned host side must not be reused before the copy is done (core/memory.h).
  for (Storage* host : {storage_.get(), src.storage_.get()})
    if (host && host->pinned) host->last_stream = ctx.stream(), host->last_device = gpu.index;
#endif
}

void Tensor::check_copy(const Tensor& src, const char* op) const {
  if (src.dtype() != dtype_ || src.shape() != shape_)
    fail(op, ": ", dtype_name(src.dtype()), " ", src.shape().str(), " into ", dtype_name(dtype_), " ",
         shape_.str(), " (the dtype and the shape must match)");
}

void Tensor::copy_to_host(void* dst, DType expected) const {
  if (dtype_ != expected) wrong_dtype(expected);
  count_synchronization(device());
  copy_bytes(dst, Device::cpu(), raw_data(), device(), bytes());
}

}  // namespace jetimg
