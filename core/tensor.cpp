#include "core/tensor.h"

#include <malloc.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <new>
#include <sstream>

#include "core/backend.h"
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
  if (n > static_cast<size_t>(Shape::kMaxDims)) fail("tensor shape has ", n, " dimensions; at most 4 are supported");
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
  cuda::copy(dst, src, bytes);
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

Storage::Storage(int64_t n, Device dev, bool pin) : size(n), device(dev) {
  if (n == 0) return;
  if (dev.is_cpu()) {
#if JETIMG_WITH_CUDA
    if (pin && cuda_device_count() > 0) {
      data = static_cast<float*>(cuda::allocate_pinned(static_cast<size_t>(n) * sizeof(float)));
      pinned = true;
      return;
    }
#endif
    (void)pin;
    keep_host_blocks();
    const uint64_t bytes = static_cast<uint64_t>(n) * sizeof(float), memory = physical_memory();
    if (memory > 0 && bytes > memory)
      fail("a tensor of ", n, " floats needs ", gigabytes(bytes), ", more than this machine's ", gigabytes(memory),
           " of memory");
    try {
      data = new float[static_cast<size_t>(n)];
    } catch (const std::bad_alloc&) {
      fail("out of memory: a tensor of ", n, " floats (", gigabytes(bytes), ") cannot be allocated");
    }
    return;
  }
#if JETIMG_WITH_CUDA
  data = static_cast<float*>(cuda::allocate(static_cast<size_t>(n) * sizeof(float), dev.index));
#else
  fail("cannot allocate on ", dev.str(), ": jetimg was built without CUDA");
#endif
}

Storage::~Storage() {
  if (!data) return;
#if JETIMG_WITH_CUDA
  if (pinned) {
    cuda::release_pinned(data);
    return;
  }
#endif
  if (device.is_cpu()) {
    delete[] data;
    return;
  }
#if JETIMG_WITH_CUDA
  cuda::release(data, device.index);
#endif
}

Tensor Tensor::empty(const Shape& shape, Device device) {
  Tensor t;
  t.storage_ = std::make_shared<Storage>(shape.numel(), device);
  t.shape_ = shape;
  return t;
}

Tensor Tensor::empty_pinned(const Shape& shape) {
  Tensor t;
  t.storage_ = std::make_shared<Storage>(shape.numel(), Device::cpu(), true);
  t.shape_ = shape;
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Device device) {
  Tensor t = empty(shape, device);
  const size_t bytes = static_cast<size_t>(t.numel()) * sizeof(float);
  if (bytes == 0) return t;
  if (device.is_cpu()) {
    std::memset(t.data(), 0, bytes);
  } else {
#if JETIMG_WITH_CUDA
    cuda::memset_zero(t.data(), bytes);
#endif
  }
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape) {
  if (static_cast<int64_t>(values.size()) != shape.numel())
    fail("from_vector: ", values.size(), " values do not fill shape ", shape.str());
  Tensor t = empty(shape, Device::cpu());
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
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
  Tensor t = empty(shape_, device);
  t.copy_from(*this);
  return t;
}

Tensor Tensor::to_pinned() const {
  Tensor t = empty_pinned(shape_);
  t.copy_from(*this);
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  if (src.shape() != shape_) fail("copy_from: shape ", src.shape().str(), " into ", shape_.str());
  copy_bytes(data(), device(), src.data(), src.device(), static_cast<size_t>(numel()) * sizeof(float));
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> values(static_cast<size_t>(numel()));
  copy_bytes(values.data(), Device::cpu(), data(), device(), values.size() * sizeof(float));
  return values;
}

}  // namespace jetimg
