// Tensors to and from HDF5 datasets, keeping their dtype: float32 values,
// int32 counts and indices, uint8 masks (see core/tensor.h). A dataset holds
// one whole tensor, stored contiguously like File::write_dataset; for large
// row-streamed data use Appender and read_rows instead.
#pragma once

#include <string>

#include "core/tensor.h"
#include "io/hdf5.h"

namespace jetimg::h5 {

// The whole dataset `name` as a CPU tensor of the stored dtype: float32,
// int32 or uint8. Any other stored type (float64, int64, int8, uint32,
// strings, ...), a scalar, or more dimensions than a tensor has is an Error
// naming the file and the dataset.
Tensor read_tensor(const File& file, const std::string& name);

// `tensor` (on any device; copied to the host) as dataset `name`, with its
// own dtype and shape. A tensor of no dimensions is refused.
void write_tensor(File& file, const std::string& name, const Tensor& tensor);

}  // namespace jetimg::h5
