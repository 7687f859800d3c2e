// A thin RAII layer over the HDF5 C API: files, chunked+compressed datasets
// that grow as rows are appended (so writers stream), row-range reads, and
// string attributes. Every failure throws Error naming the file and dataset.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

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

class File {
 public:
  // Creates (truncating) `path` for writing.
  static File create(const std::string& path);
  // Opens an existing HDF5 file for reading; a clear Error if it is missing,
  // a directory, or not HDF5.
  static File open(const std::string& path);

  hid_t id() const { return handle_.id(); }
  const std::string& path() const { return path_; }
  bool has(const std::string& name) const;
  // Dimensions of dataset `name` (Error naming the file if it is missing).
  std::vector<hsize_t> dims(const std::string& name) const;
  // Flushes and closes; errors surface here rather than in a destructor.
  void close();

  void write_attribute(const std::string& name, const std::string& value);
  void write_attribute(const std::string& name, int64_t value);
  std::string read_string_attribute(const std::string& name) const;
  int64_t read_int_attribute(const std::string& name) const;
  bool has_attribute(const std::string& name) const;

  // A group (folder) `name`, e.g. "layer_01_dense"; datasets inside it are
  // named with a slash: "layer_01_dense/weight".
  void create_group(const std::string& name);
  // A whole dataset of shape `dims` at once (contiguous, for small arrays
  // such as network weights).
  void write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const float* data);

  // Rows [begin, begin + count) of dataset `name` into `out` (whose element
  // type must match the stored class and size; the trailing dimensions are
  // those of the dataset).
  template <typename T>
  void read_rows(const std::string& name, hsize_t begin, hsize_t count, T* out) const {
    read_rows_raw(name, begin, count, out, native_type<T>(), sizeof(T));
  }
  // As read_rows, but converting any stored integer or float type to T
  // (for files written by other tools, whose element types vary).
  template <typename T>
  void read_rows_converted(const std::string& name, hsize_t begin, hsize_t count, T* out) const {
    read_rows_raw(name, begin, count, out, native_type<T>(), 0);
  }
  // A 1-D dataset of fixed- or variable-length strings (trailing NULs removed).
  std::vector<std::string> read_strings(const std::string& name) const;
  // The stored element type's class: H5T_FLOAT, H5T_INTEGER, H5T_STRING ...
  H5T_class_t type_class(const std::string& name) const;
  template <typename T>
  std::vector<T> read_all(const std::string& name) const {
    const std::vector<hsize_t> d = dims(name);
    hsize_t n = 1;
    for (hsize_t x : d) n *= x;
    std::vector<T> values(static_cast<size_t>(n));
    if (n > 0) read_rows(name, 0, d.empty() ? 1 : d[0], values.data());
    return values;
  }

 private:
  void read_rows_raw(const std::string& name, hsize_t begin, hsize_t count, void* out, hid_t type,
                     size_t element_size) const;
  Handle handle_;
  std::string path_;
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
