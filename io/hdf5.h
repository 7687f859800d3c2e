// A thin RAII layer over the HDF5 C API: files, chunked+compressed datasets
// that grow as rows are appended (so writers stream), row-range reads, and
// string attributes. Every failure throws Error naming the file and dataset.
//
// Files are untrusted input. Before anything is read from a dataset, it is
// inspected once (inspect()): its rank, element type, storage layout and
// declared size are checked against what the file can actually hold, so that
// a crafted or damaged file ends in an Error instead of a huge allocation or
// a fault inside the HDF5 library. Readers then state the full shape and
// element type they expect (require()), and every read checks that the rows
// fit the caller's buffer.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/config.h"

namespace jetimg::h5 {

// The HDF5 type for a C++ element type.
template <typename T> hid_t native_type();
template <> inline hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <> inline hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <> inline hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <> inline hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <> inline hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_, closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// The element types a reader may ask for.
enum class Elements { Float32, Float64, Int32, Int64, Uint8, Number, String };

// A dimension of any size in an expected shape.
constexpr int64_t kAnySize = -1;

// What inspect() found out about a dataset.
struct DatasetInfo {
  std::vector<hsize_t> dims;
  H5T_class_t type_class = H5T_NO_CLASS;
  size_t element_size = 0;
  bool is_signed = true;
  // Elements in one row: the product of every dimension after the first.
  hsize_t row_elements = 1;
  // Storage: chunk shape (empty unless chunked) and whether filters
  // (compression) apply.
  std::vector<hsize_t> chunk;
  bool filtered = false;
};

// "(300, 64) float32": a dataset's shape and element type for messages.
std::string describe(const DatasetInfo& info);
std::string shape_string(const std::vector<hsize_t>& dims);

class File {
 public:
  // Creates (truncating) `path` for writing. Messages name the file as
  // `shown_as` when given: the final name of an output written under a
  // temporary one, which is the name the user knows.
  static File create(const std::string& path, const std::string& shown_as = "");
  // Opens an existing HDF5 file for reading; a clear Error if it is missing,
  // a directory, not HDF5, or so damaged that the HDF5 library fails on
  // opening one of its datasets (tried first in a child process: see
  // probe_datasets in hdf5.cpp).
  static File open(const std::string& path);

  hid_t id() const { return handle_.id(); }
  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;
  // Dimensions of dataset `name` (Error naming the file if it is missing or
  // fails inspection).
  std::vector<hsize_t> dims(const std::string& name) const { return inspect(name).dims; }
  // Checks dataset `name` once and remembers the result: it exists and is a
  // dataset stored in this file (not external, not virtual), of at most 8
  // dimensions, holding numbers or strings, with a consistent chunk layout,
  // and its declared size is what the file's bytes can hold.
  const DatasetInfo& inspect(const std::string& name) const;
  // As inspect(), and the dataset has exactly `shape` (kAnySize for a free
  // dimension) and element type `kind`; the Error names both.
  const DatasetInfo& require(const std::string& name, const std::vector<int64_t>& shape, Elements kind) const;
  // Flushes and closes; errors surface here rather than in a destructor.
  void close();

  void write_attribute(const std::string& name, const std::string& value);
  void write_attribute(const std::string& name, int64_t value);
  // Attributes are read only when they hold one value (a scalar or one element).
  std::string read_string_attribute(const std::string& name) const;
  int64_t read_int_attribute(const std::string& name) const;
  bool has_attribute(const std::string& name) const;
  // The file's attributes format == `format` and version <= `max_version`
  // (a missing version reads as 1); an Error names the file otherwise. `what`
  // describes the file kind for the message ("a jetimg jets file").
  int64_t require_format(const std::string& format, int64_t max_version, const std::string& what) const;
  // A string attribute holding JSON (provenance, configurations), parsed with
  // the nesting bound of configs; Error naming the file and attribute.
  Json read_json_attribute(const std::string& name) const;

  // A group (folder) `name`, e.g. "layer_01_dense"; datasets inside it are
  // named with a slash: "layer_01_dense/weight".
  void create_group(const std::string& name);
  // A whole dataset of shape `dims` at once (contiguous, for small arrays
  // such as network weights).
  void write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const float* data);
  // The same for int32 (counts, indices) and uint8 (masks), stored as such.
  void write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const int32_t* data);
  void write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const uint8_t* data);

  // Rows [begin, begin + count) of dataset `name` into `out`, which holds
  // `out_size` elements: exactly count rows of the dataset's row size (an
  // Error otherwise, so a file of another shape cannot write past it). The
  // element type must match the stored class and size.
  template <typename T>
  void read_rows(const std::string& name, hsize_t begin, hsize_t count, T* out, size_t out_size) const {
    read_rows_raw(name, begin, count, out, out_size, native_type<T>(), sizeof(T));
  }
  // As read_rows, into a vector sized to fit.
  template <typename T>
  void read_rows(const std::string& name, hsize_t begin, hsize_t count, std::vector<T>& out) const {
    out.resize(static_cast<size_t>(count * inspect(name).row_elements));
    read_rows(name, begin, count, out.data(), out.size());
  }
  // As read_rows, but converting any stored integer or float type to T
  // (for files written by other tools, whose element types vary).
  template <typename T>
  void read_rows_converted(const std::string& name, hsize_t begin, hsize_t count, T* out, size_t out_size) const {
    read_rows_raw(name, begin, count, out, out_size, native_type<T>(), 0);
  }
  // A 1-D dataset of fixed- or variable-length strings (trailing NULs removed).
  std::vector<std::string> read_strings(const std::string& name) const;
  // The stored element type's class: H5T_FLOAT, H5T_INTEGER, H5T_STRING ...
  H5T_class_t type_class(const std::string& name) const { return inspect(name).type_class; }
  // A whole dataset of exactly `shape` elements of T.
  template <typename T>
  std::vector<T> read_all(const std::string& name) const {
    const DatasetInfo& info = inspect(name);
    hsize_t n = 1;
    for (hsize_t x : info.dims) n *= x;
    std::vector<T> values(static_cast<size_t>(n));
    if (n > 0) read_rows(name, 0, info.dims.empty() ? 1 : info.dims[0], values.data(), values.size());
    return values;
  }
  // Size of the file on disk, in bytes.
  uint64_t file_bytes() const { return file_bytes_; }

 private:
  void write_dataset_raw(const std::string& name, const std::vector<hsize_t>& dims, hid_t file_type,
                         hid_t memory_type, const void* data);
  void read_rows_raw(const std::string& name, hsize_t begin, hsize_t count, void* out, size_t out_size, hid_t type,
                     size_t element_size) const;
  // Before a read of rows [begin, begin + count): every stored chunk they
  // touch lies inside the file and has a size its filters can produce.
  void check_chunks(hid_t dataset, const std::string& name, const DatasetInfo& info, hsize_t begin,
                    hsize_t count) const;
  Handle handle_;
  std::string path_;
  uint64_t file_bytes_ = 0;
  mutable std::map<std::string, DatasetInfo> inspected_;
};

// A dataset of shape (rows, trailing...) that grows as rows are appended.
template <typename T>
class Appender {
 public:
  Appender(File& file, const std::string& name, std::vector<hsize_t> trailing, hsize_t chunk_rows = 1024);
  // Appends `rows` rows of prod(trailing) elements each.
  void append(const T* data, hsize_t rows);
  hsize_t rows() const { return rows_; }

 private:
  File* file_;
  std::string name_;
  std::vector<hsize_t> trailing_;
  Handle dataset_;
  hsize_t rows_ = 0;
};

// Makes the HDF5 library quiet: jetimg reports its own errors.
void silence_library_errors();

}  // namespace jetimg::h5
