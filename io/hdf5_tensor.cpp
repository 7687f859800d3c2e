#include "io/hdf5_tensor.h"

#include <cstdint>
#include <vector>

#include "core/error.h"

namespace jetimg::h5 {
namespace {

template <typename T>
void read_into(const File& file, const std::string& name, const DatasetInfo& info, Tensor& out) {
  // read_rows checks again that the rows fill exactly the tensor's elements.
  file.read_rows(name, 0, info.dims[0], out.data_as<T>(), static_cast<size_t>(out.numel()));
}

}  // namespace

Tensor read_tensor(const File& file, const std::string& name) {
  const DatasetInfo& info = file.inspect(name);
  const std::string where = "'" + file.path() + "': dataset '" + name + "'";
  DType dtype;
  Elements kind;
  if (info.type_class == H5T_FLOAT && info.element_size == 4) {
    dtype = DType::Float32, kind = Elements::Float32;
  } else if (info.type_class == H5T_INTEGER && info.element_size == 4 && info.is_signed) {
    dtype = DType::Int32, kind = Elements::Int32;
  } else if (info.type_class == H5T_INTEGER && info.element_size == 1 && !info.is_signed) {
    dtype = DType::UInt8, kind = Elements::Uint8;
  } else {
    fail(where, " is ", describe(info), "; a tensor is read from float32, int32 or uint8");
  }
  if (info.dims.empty()) fail(where, " holds a single value; a tensor is read from a dataset of 1 to ",
                              Shape::kMaxDims, " dimensions");
  if (info.dims.size() > static_cast<size_t>(Shape::kMaxDims))
    fail(where, " is ", describe(info), ": ", info.dims.size(), " dimensions, but a tensor has at most ",
         Shape::kMaxDims);
  std::vector<int64_t> dims;
  for (hsize_t d : info.dims) dims.push_back(static_cast<int64_t>(d));  // fits: inspect() bounds the size
  file.require(name, dims, kind);
  Shape shape;
  try {
    shape = Shape(dims);
  } catch (const Error& e) {
    fail(where, ": ", e.what());
  }
  Tensor out = Tensor::empty(shape, Device::cpu(), dtype);
  if (out.numel() == 0) return out;
  switch (dtype) {
    case DType::Float32: read_into<float>(file, name, info, out); break;
    case DType::Int32: read_into<int32_t>(file, name, info, out); break;
    case DType::UInt8: read_into<uint8_t>(file, name, info, out); break;
  }
  return out;
}

void write_tensor(File& file, const std::string& name, const Tensor& tensor) {
  if (!tensor.defined() || tensor.ndim() == 0)
    fail("'", file.path(), "': dataset '", name, "': a tensor of no dimensions cannot be written");
  const Tensor host = tensor.device().is_cpu() ? tensor : tensor.to(Device::cpu());
  std::vector<hsize_t> dims;
  for (int i = 0; i < host.ndim(); ++i) dims.push_back(static_cast<hsize_t>(host.dim(i)));
  // HDF5 refuses a null buffer even for an empty dataset.
  const uint32_t nothing = 0;
  const void* data = host.numel() > 0 ? host.raw_data() : &nothing;
  switch (host.dtype()) {
    case DType::Float32: file.write_dataset(name, dims, static_cast<const float*>(data)); break;
    case DType::Int32: file.write_dataset(name, dims, static_cast<const int32_t*>(data)); break;
    case DType::UInt8: file.write_dataset(name, dims, static_cast<const uint8_t*>(data)); break;
  }
}

}  // namespace jetimg::h5
