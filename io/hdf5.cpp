#include "io/hdf5.h"

#include <sys/stat.h>

#include <mutex>

#include "core/error.h"

namespace jetimg::h5 {
namespace {

herr_t close_file(hid_t id) { return H5Fclose(id); }
herr_t close_dataset(hid_t id) { return H5Dclose(id); }
herr_t close_space(hid_t id) { return H5Sclose(id); }
herr_t close_plist(hid_t id) { return H5Pclose(id); }
herr_t close_attr(hid_t id) { return H5Aclose(id); }
herr_t close_type(hid_t id) { return H5Tclose(id); }
herr_t close_group(hid_t id) { return H5Gclose(id); }

}  // namespace

void silence_library_errors() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

File File::create(const std::string& path) {
  silence_library_errors();
  File f;
  f.path_ = path;
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("cannot create HDF5 file '", path, "' (is the directory writable?)");
  f.handle_ = Handle(id, close_file);
  return f;
}

File File::open(const std::string& path) {
  silence_library_errors();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) fail("'", path, "': no such file");
  if (S_ISDIR(info.st_mode)) fail("'", path, "' is a directory, expected an HDF5 file");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("'", path, "' is not an HDF5 file (or is damaged)");
  File f;
  f.path_ = path;
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail("cannot open HDF5 file '", path, "'");
  f.handle_ = Handle(id, close_file);
  return f;
}

bool File::has(const std::string& name) const { return H5Lexists(id(), name.c_str(), H5P_DEFAULT) > 0; }

std::vector<hsize_t> File::dims(const std::string& name) const {
  if (!has(name)) fail("'", path_, "': dataset '", name, "' is missing");
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  if (dataset.id() < 0) fail("'", path_, "': '", name, "' is not a dataset");
  Handle space(H5Dget_space(dataset.id()), close_space);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) fail("'", path_, "': cannot read the shape of dataset '", name, "'");
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.id(), d.data(), nullptr);
  return d;
}

void File::close() {
  if (handle_.id() >= 0 && H5Fflush(handle_.id(), H5F_SCOPE_LOCAL) < 0) fail("cannot flush HDF5 file '", path_, "'");
  handle_.reset();
}

void File::write_attribute(const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), close_type);
  H5Tset_size(type.id(), value.empty() ? 1 : value.size());
  H5Tset_cset(type.id(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), close_space);
  Handle attr(H5Acreate2(id(), name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), close_attr);
  if (attr.id() < 0 || H5Awrite(attr.id(), type.id(), value.empty() ? "" : value.data()) < 0)
    fail("'", path_, "': cannot write attribute '", name, "'");
}

void File::write_attribute(const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), close_space);
  Handle attr(H5Acreate2(id(), name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), close_attr);
  if (attr.id() < 0 || H5Awrite(attr.id(), H5T_NATIVE_INT64, &value) < 0)
    fail("'", path_, "': cannot write attribute '", name, "'");
}

int64_t File::read_int_attribute(const std::string& name) const {
  if (!has_attribute(name)) fail("'", path_, "': attribute '", name, "' is missing");
  Handle attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT), close_attr);
  Handle type(H5Aget_type(attr.id()), close_type);
  int64_t value = 0;
  if (H5Tget_class(type.id()) != H5T_INTEGER || H5Aread(attr.id(), H5T_NATIVE_INT64, &value) < 0)
    fail("'", path_, "': attribute '", name, "' is not an integer");
  return value;
}

void File::create_group(const std::string& name) {
  Handle group(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), close_group);
  if (group.id() < 0) fail("'", path_, "': cannot create group '", name, "'");
}

void File::write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const float* data) {
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               close_space);
  Handle dataset(H5Dcreate2(id(), name.c_str(), H5T_IEEE_F32LE, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 close_dataset);
  if (dataset.id() < 0) fail("'", path_, "': cannot create dataset '", name, "'");
  if (H5Dwrite(dataset.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail("'", path_, "': cannot write dataset '", name, "' (disk full?)");
}

bool File::has_attribute(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

std::string File::read_string_attribute(const std::string& name) const {
  if (!has_attribute(name)) fail("'", path_, "': attribute '", name, "' is missing");
  Handle attr(H5Aopen(id(), name.c_str(), H5P_DEFAULT), close_attr);
  Handle type(H5Aget_type(attr.id()), close_type);
  if (H5Tget_class(type.id()) != H5T_STRING) fail("'", path_, "': attribute '", name, "' is not a string");
  if (H5Tis_variable_str(type.id()) > 0) {
    char* text = nullptr;
    Handle mem(H5Tcopy(H5T_C_S1), close_type);
    H5Tset_size(mem.id(), H5T_VARIABLE);
    if (H5Aread(attr.id(), mem.id(), &text) < 0) fail("'", path_, "': cannot read attribute '", name, "'");
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  const size_t size = H5Tget_size(type.id());
  std::string value(size, '\0');
  if (H5Aread(attr.id(), type.id(), value.data()) < 0) fail("'", path_, "': cannot read attribute '", name, "'");
  while (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

void File::read_rows_raw(const std::string& name, hsize_t begin, hsize_t count, void* out, hid_t type,
                         size_t element_size) const {
  const std::vector<hsize_t> d = dims(name);
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  Handle stored(H5Dget_type(dataset.id()), close_type);
  const H5T_class_t want = H5Tget_class(type), have = H5Tget_class(stored.id());
  if (element_size == 0) {  // converting: any number will do
    if (have != H5T_FLOAT && have != H5T_INTEGER)
      fail("'", path_, "': dataset '", name, "' does not hold numbers");
  } else if (want != have || H5Tget_size(stored.id()) != element_size) {
    fail("'", path_, "': dataset '", name, "' has the wrong element type (expected ",
         want == H5T_FLOAT ? "float" : "integer", " of ", element_size, " bytes)");
  }
  if (d.empty()) {  // scalar
    if (H5Dread(dataset.id(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
      fail("'", path_, "': cannot read dataset '", name, "'");
    return;
  }
  if (begin + count > d[0])
    fail("'", path_, "': rows [", begin, ", ", begin + count, ") are past the end of dataset '", name, "' (", d[0],
         " rows)");
  if (count == 0) return;
  Handle file_space(H5Dget_space(dataset.id()), close_space);
  std::vector<hsize_t> start(d.size(), 0), extent = d;
  start[0] = begin;
  extent[0] = count;
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr);
  Handle mem_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), close_space);
  if (H5Dread(dataset.id(), type, mem_space.id(), file_space.id(), H5P_DEFAULT, out) < 0)
    fail("'", path_, "': cannot read rows [", begin, ", ", begin + count, ") of dataset '", name,
         "' (file damaged or truncated?)");
}

H5T_class_t File::type_class(const std::string& name) const {
  if (!has(name)) fail("'", path_, "': dataset '", name, "' is missing");
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  if (dataset.id() < 0) fail("'", path_, "': '", name, "' is not a dataset");
  Handle stored(H5Dget_type(dataset.id()), close_type);
  return H5Tget_class(stored.id());
}

std::vector<std::string> File::read_strings(const std::string& name) const {
  const std::vector<hsize_t> d = dims(name);
  if (d.size() != 1) fail("'", path_, "': dataset '", name, "' must be a 1-D list of strings");
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  Handle stored(H5Dget_type(dataset.id()), close_type);
  if (H5Tget_class(stored.id()) != H5T_STRING) fail("'", path_, "': dataset '", name, "' does not hold strings");
  std::vector<std::string> values(static_cast<size_t>(d[0]));
  if (d[0] == 0) return values;
  if (H5Tis_variable_str(stored.id()) > 0) {
    std::vector<char*> text(values.size(), nullptr);
    Handle mem(H5Tcopy(H5T_C_S1), close_type);
    H5Tset_size(mem.id(), H5T_VARIABLE);
    if (H5Dread(dataset.id(), mem.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) < 0)
      fail("'", path_, "': cannot read dataset '", name, "'");
    for (size_t i = 0; i < values.size(); ++i) values[i] = text[i] ? text[i] : "";
    Handle space(H5Dget_space(dataset.id()), close_space);
    H5Dvlen_reclaim(mem.id(), space.id(), H5P_DEFAULT, text.data());
    return values;
  }
  const size_t size = H5Tget_size(stored.id());
  std::vector<char> raw(size * values.size());
  if (H5Dread(dataset.id(), stored.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    fail("'", path_, "': cannot read dataset '", name, "'");
  for (size_t i = 0; i < values.size(); ++i) {
    std::string v(raw.data() + i * size, size);
    while (!v.empty() && v.back() == '\0') v.pop_back();
    values[i] = v;
  }
  return values;
}

template <typename T>
Appender<T>::Appender(File& file, const std::string& name, std::vector<hsize_t> trailing, hsize_t chunk_rows)
    : file_(&file), name_(name), trailing_(std::move(trailing)) {
  std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{chunk_rows};
  for (hsize_t t : trailing_) {
    dims.push_back(t);
    max_dims.push_back(t);
    chunk.push_back(t);
  }
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), close_space);
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), close_plist);
  H5Pset_chunk(plist.id(), static_cast<int>(chunk.size()), chunk.data());
  H5Pset_shuffle(plist.id());
  H5Pset_deflate(plist.id(), 4);
  dataset_ = Handle(H5Dcreate2(file.id(), name.c_str(), native_type<T>(), space.id(), H5P_DEFAULT, plist.id(),
                               H5P_DEFAULT),
                    close_dataset);
  if (dataset_.id() < 0) fail("'", file.path(), "': cannot create dataset '", name, "'");
}

template <typename T>
void Appender<T>::append(const T* data, hsize_t rows) {
  if (rows == 0) return;
  std::vector<hsize_t> size{rows_ + rows}, start{rows_}, extent{rows};
  for (hsize_t t : trailing_) {
    size.push_back(t);
    start.push_back(0);
    extent.push_back(t);
  }
  if (H5Dset_extent(dataset_.id(), size.data()) < 0) fail("'", file_->path(), "': cannot grow dataset '", name_, "'");
  Handle file_space(H5Dget_space(dataset_.id()), close_space);
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr);
  Handle mem_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), close_space);
  if (H5Dwrite(dataset_.id(), native_type<T>(), mem_space.id(), file_space.id(), H5P_DEFAULT, data) < 0)
    fail("'", file_->path(), "': cannot write dataset '", name_, "' (disk full?)");
  rows_ += rows;
}

template class Appender<float>;
template class Appender<double>;
template class Appender<int32_t>;
template class Appender<int64_t>;
template class Appender<uint8_t>;

}  // namespace jetimg::h5
