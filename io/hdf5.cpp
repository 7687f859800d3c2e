#include "io/hdf5.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
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

constexpr int kMaxRank = 8;
// Deflate cannot shrink data by more than 1032:1, so a dataset cannot hold
// more than this many times the bytes the file stores for it; a little room
// for datasets smaller than one chunk and never-written fill values.
constexpr uint64_t kMaxExpansion = 1100;
constexpr uint64_t kSmallBytes = uint64_t{1} << 20;
// One chunk is read into memory whole; real files use kilobytes to megabytes.
constexpr uint64_t kMaxChunkBytes = uint64_t{256} << 20;
constexpr uint64_t kMaxElementBytes = uint64_t{1} << 20;

// a * b, or false when it does not fit in 63 bits.
bool multiply(hsize_t a, hsize_t b, hsize_t& product) {
  if (a != 0 && b > (std::numeric_limits<hsize_t>::max() >> 1) / a) return false;
  product = a * b;
  return true;
}

std::string bytes_string(uint64_t bytes) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 6) v /= 1000, ++u;
  char text[48];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

std::string element_string(const DatasetInfo& info) {
  switch (info.type_class) {
    case H5T_FLOAT: return "float" + std::to_string(8 * info.element_size);
    case H5T_INTEGER: return (info.is_signed ? "int" : "uint") + std::to_string(8 * info.element_size);
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "unknown-type";
  }
}

std::string kind_string(Elements kind) {
  switch (kind) {
    case Elements::Float32: return "float32";
    case Elements::Float64: return "float64";
    case Elements::Int32: return "int32";
    case Elements::Int64: return "int64";
    case Elements::Uint8: return "uint8";
    case Elements::Number: return "numbers";
    case Elements::String: return "strings";
  }
  return "?";
}

bool matches(const DatasetInfo& info, Elements kind) {
  const H5T_class_t c = info.type_class;
  const size_t s = info.element_size;
  switch (kind) {
    case Elements::Float32: return c == H5T_FLOAT && s == 4;
    case Elements::Float64: return c == H5T_FLOAT && s == 8;
    case Elements::Int32: return c == H5T_INTEGER && s == 4;
    case Elements::Int64: return c == H5T_INTEGER && s == 8;
    case Elements::Uint8: return c == H5T_INTEGER && s == 1;
    case Elements::Number: return c == H5T_FLOAT || c == H5T_INTEGER;
    case Elements::String: return c == H5T_STRING;
  }
  return false;
}

std::string expected_shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] == kAnySize ? std::string(i == 0 ? "N" : "any") : std::to_string(shape[i]));
  return s + (shape.size() == 1 ? ",)" : ")");
}

// The attribute `name` of `object`, opened, holding exactly one value.
Handle open_single_attribute(hid_t object, const std::string& path, const std::string& name) {
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), close_attr);
  if (attr.id() < 0) fail("'", path, "': attribute '", name, "' cannot be read (damaged file?)");
  Handle space(H5Aget_space(attr.id()), close_space);
  if (space.id() < 0 || H5Sget_simple_extent_npoints(space.id()) != 1)
    fail("'", path, "': attribute '", name, "' must hold one value");
  return attr;
}

// Opens every dataset of `path` in a child process first. On some damaged
// metadata the HDF5 library faults while opening a dataset (Debian's 1.10.8
// divides by a chunk dimension of 0 inside H5Dopen2), before any check of
// ours can look at it; a child that dies shows the file is damaged without
// taking jetimg with it. The child writes each dataset's name before opening
// it, so the last name read names the culprit. Where the child cannot be
// started the file is opened without the probe.
extern "C" herr_t probe_one(hid_t file, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  const int fd = *static_cast<int*>(data);
  const size_t length = std::strlen(name);
  if (::write(fd, name, length) < 0 || ::write(fd, "\n", 1) < 0) return -1;
  const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
  if (dataset < 0) return 0;  // refused cleanly: the reader will say so
  const hid_t space = H5Dget_space(dataset), type = H5Dget_type(dataset), plist = H5Dget_create_plist(dataset);
  if (plist >= 0 && H5Pget_layout(plist) == H5D_CHUNKED) {
    hsize_t chunk[32];
    H5Pget_chunk(plist, 32, chunk);
  }
  H5Dget_storage_size(dataset);
  for (hid_t id : {space, type, plist})
    if (id >= 0) H5Idec_ref(id);
  H5Dclose(dataset);
  return 0;
}

void probe_datasets(const std::string& path) {
  int fds[2];
  if (::pipe(fds) != 0) return;
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]), ::close(fds[1]);
    return;
  }
  if (child == 0) {
    ::close(fds[0]);
    // A fault must end the child by its signal, which the parent reads below:
    // a handler installed in this process (a sanitizer's, say) would turn it
    // into an ordinary exit and a report on the user's terminal.
    for (int sig : {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGABRT}) ::signal(sig, SIG_DFL);
    if (const int null = ::open("/dev/null", O_WRONLY); null >= 0) ::dup2(null, STDERR_FILENO);
    ::alarm(30);  // a damaged file that makes the library loop
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file >= 0) H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, probe_one, &fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string names;
  char buffer[4096];
  for (ssize_t got; (got = ::read(fds[0], buffer, sizeof buffer)) != 0;) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    if (names.size() < (1u << 20)) names.append(buffer, static_cast<size_t>(got));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;  // the probe went through
  if (!names.empty() && names.back() == '\n') names.pop_back();
  const std::string last = names.substr(names.rfind('\n') == std::string::npos ? 0 : names.rfind('\n') + 1);
  const std::string what = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "does not finish" : "fails";
  if (last.empty())
    fail("'", path, "' is damaged: the HDF5 library ", what, " on reading its structure");
  fail("'", path, "' is damaged: the HDF5 library ", what, " on opening its dataset '", last, "'");
}

// Every link on the way to `name` is one inside the file (hard or soft): an
// external link would make a reader read another file.
void check_links(hid_t file, const std::string& path, const std::string& name) {
  for (size_t slash = name.find('/', 1);; slash = name.find('/', slash + 1)) {
    const std::string prefix = name.substr(0, slash);
    H5L_info_t link{};
    if (H5Lget_info(file, prefix.c_str(), &link, H5P_DEFAULT) < 0)
      fail("'", path, "': '", prefix, "' cannot be read (damaged file?)");
    if (link.type != H5L_TYPE_HARD && link.type != H5L_TYPE_SOFT)
      fail("'", path, "': '", prefix, "' is a link to another file; jetimg reads only what is stored in the file "
                                      "itself");
    if (slash == std::string::npos) return;
  }
}

}  // namespace

std::string shape_string(const std::vector<hsize_t>& dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (dims.size() == 1 ? ",)" : ")");
}

std::string describe(const DatasetInfo& info) { return shape_string(info.dims) + " " + element_string(info); }

void silence_library_errors() {
  static std::once_flag once;
  std::call_once(once, [] {
    // No library shutdown at exit: after a failed write (a full disk) the
    // library keeps the file it could not close, and closing it again at
    // exit crashes inside HDF5. Every file jetimg completes is flushed and
    // closed explicitly; one it could not complete is a temporary file that
    // is removed anyway. (Must come before the library's first use.)
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

File File::create(const std::string& path, const std::string& shown_as) {
  silence_library_errors();
  File f;
  f.path_ = shown_as.empty() ? path : shown_as;
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("cannot create HDF5 file '", f.path_, "' (is the directory writable, the disk not full?)");
  f.handle_ = Handle(id, close_file);
  return f;
}

File File::open(const std::string& path) {
  silence_library_errors();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) fail("'", path, "': no such file");
  if (S_ISDIR(info.st_mode)) fail("'", path, "' is a directory, expected an HDF5 file");
  if (!S_ISREG(info.st_mode)) fail("'", path, "' is not a regular file, expected an HDF5 file");
  if (H5Fis_hdf5(path.c_str()) <= 0) fail("'", path, "' is not an HDF5 file (or is damaged)");
  probe_datasets(path);
  File f;
  f.path_ = path;
  f.file_bytes_ = static_cast<uint64_t>(info.st_size);
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail("cannot open HDF5 file '", path, "' (damaged or truncated?)");
  f.handle_ = Handle(id, close_file);
  return f;
}

bool File::has(const std::string& name) const {
  // H5Lexists fails (negative) when a group on the way is missing.
  return !name.empty() && H5Lexists(id(), name.c_str(), H5P_DEFAULT) > 0;
}

const DatasetInfo& File::inspect(const std::string& name) const {
  const auto known = inspected_.find(name);
  if (known != inspected_.end()) return known->second;
  const std::string where = "'" + path_ + "': dataset '" + name + "'";
  if (!has(name)) fail(where, " is missing");
  check_links(id(), path_, name);
  H5O_info_t object{};
  if (H5Oget_info_by_name(id(), name.c_str(), &object, H5P_DEFAULT) < 0)
    fail(where, " cannot be read (damaged file?)");
  if (object.type != H5O_TYPE_DATASET) fail("'", path_, "': '", name, "' is not a dataset");
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  if (dataset.id() < 0) fail(where, " cannot be opened (damaged file?)");

  DatasetInfo info;
  Handle space(H5Dget_space(dataset.id()), close_space);
  const int rank = space.id() < 0 ? -1 : H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) fail(where, ": its shape cannot be read (damaged file?)");
  if (rank > kMaxRank) fail(where, " has ", rank, " dimensions (at most ", kMaxRank, " are read)");
  info.dims.resize(static_cast<size_t>(rank));
  std::vector<hsize_t> max_dims(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.id(), info.dims.data(), max_dims.data()) < 0)
    fail(where, ": its shape cannot be read (damaged file?)");

  Handle type(H5Dget_type(dataset.id()), close_type);
  if (type.id() < 0) fail(where, ": its element type cannot be read (damaged file?)");
  info.type_class = H5Tget_class(type.id());
  info.element_size = H5Tget_size(type.id());
  if (info.type_class == H5T_INTEGER) info.is_signed = H5Tget_sign(type.id()) == H5T_SGN_2;
  const bool known_class = info.type_class == H5T_INTEGER || info.type_class == H5T_FLOAT ||
                           info.type_class == H5T_STRING || info.type_class == H5T_COMPOUND;
  if (!known_class) fail(where, " holds elements of a kind jetimg does not read (expected numbers or strings)");
  if (info.element_size == 0 || info.element_size > kMaxElementBytes)
    fail(where, " has elements of ", info.element_size, " bytes (damaged file?)");

  hsize_t elements = 1, raw_bytes = 0;
  for (size_t i = 0; i < info.dims.size(); ++i) {
    if (!multiply(elements, info.dims[i], elements)) fail(where, " declares an impossible shape ", shape_string(info.dims));
    if (i > 0 && !multiply(info.row_elements, info.dims[i], info.row_elements))
      fail(where, " declares an impossible shape ", shape_string(info.dims));
    if (max_dims[i] != H5S_UNLIMITED && max_dims[i] < info.dims[i])
      fail(where, " is larger than its own maximum shape (damaged file?)");
  }
  if (!multiply(elements, info.element_size, raw_bytes))
    fail(where, " declares an impossible size ", describe(info));

  Handle plist(H5Dget_create_plist(dataset.id()), close_plist);
  if (plist.id() < 0) fail(where, ": its storage layout cannot be read (damaged file?)");
  if (H5Pget_external_count(plist.id()) > 0)
    fail(where, " keeps its values in external files; jetimg reads only values stored in the file itself");
  const H5D_layout_t layout = H5Pget_layout(plist.id());
  const uint64_t storage = H5Dget_storage_size(dataset.id());
  const int filters = H5Pget_nfilters(plist.id());
  if (filters < 0) fail(where, ": its filters cannot be read (damaged file?)");
  info.filtered = filters > 0;
  switch (layout) {
    case H5D_CHUNKED: {
      std::vector<hsize_t> chunk(kMaxRank + 1);
      const int chunk_rank = H5Pget_chunk(plist.id(), kMaxRank + 1, chunk.data());
      if (chunk_rank != rank) fail(where, " has a chunk layout that does not match its shape (damaged file?)");
      hsize_t chunk_bytes = info.element_size;
      for (int i = 0; i < rank; ++i) {
        const auto d = static_cast<size_t>(i);
        if (chunk[d] == 0 || (max_dims[d] != H5S_UNLIMITED && max_dims[d] > 0 && chunk[d] > max_dims[d]))
          fail(where, " has a chunk layout that does not fit its shape ", shape_string(info.dims), " (damaged file?)");
        if (!multiply(chunk_bytes, chunk[d], chunk_bytes) || chunk_bytes > kMaxChunkBytes)
          fail(where, " is stored in chunks of more than ", bytes_string(kMaxChunkBytes), " (damaged file?)");
      }
      // Unfiltered chunks are stored whole.
      if (!info.filtered && storage % chunk_bytes != 0)
        fail(where, " is stored in ", bytes_string(storage), ", not a whole number of its chunks (damaged file?)");
      info.chunk.assign(chunk.begin(), chunk.begin() + rank);
      break;
    }
    case H5D_COMPACT:
      if (storage != raw_bytes) fail(where, " is stored in fewer bytes than its shape needs (damaged file?)");
      break;
    case H5D_CONTIGUOUS:
      if (storage != 0 && storage != raw_bytes)
        fail(where, " is stored in ", bytes_string(storage), " but its shape needs ", bytes_string(raw_bytes),
             " (damaged file?)");
      break;
    case H5D_VIRTUAL:
      fail(where, " is a virtual dataset (its values live in other files); jetimg reads only values stored in the "
                  "file itself");
    default:
      fail(where, ": its storage layout cannot be read (damaged file?)");
  }
  if (storage > file_bytes_)
    fail(where, " claims ", bytes_string(storage), " of storage but the whole file has ", bytes_string(file_bytes_),
         " (damaged or truncated file)");
  if (raw_bytes > kSmallBytes && raw_bytes / kMaxExpansion > storage)
    fail(where, " declares ", describe(info), " (", bytes_string(raw_bytes), ") but the file stores only ",
         bytes_string(storage), " for it: the file is damaged, truncated, or was never completely written");
  return inspected_.emplace(name, std::move(info)).first->second;
}

const DatasetInfo& File::require(const std::string& name, const std::vector<int64_t>& shape, Elements kind) const {
  const DatasetInfo& info = inspect(name);
  bool fits = info.dims.size() == shape.size() && matches(info, kind);
  for (size_t i = 0; fits && i < shape.size(); ++i)
    fits = shape[i] == kAnySize || info.dims[i] == static_cast<hsize_t>(shape[i]);
  if (!fits)
    fail("'", path_, "': dataset '", name, "' is ", describe(info), ", expected ", expected_shape_string(shape), " ",
         kind_string(kind));
  return info;
}

void File::close() {
  if (handle_.id() >= 0 && H5Fflush(handle_.id(), H5F_SCOPE_LOCAL) < 0) {
    handle_.reset();
    fail("cannot write HDF5 file '", path_, "' (disk full?)");
  }
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
  Handle attr = open_single_attribute(id(), path_, name);
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

void File::write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const int32_t* data) {
  write_dataset_raw(name, dims, H5T_STD_I32LE, H5T_NATIVE_INT32, data);
}

void File::write_dataset(const std::string& name, const std::vector<hsize_t>& dims, const uint8_t* data) {
  write_dataset_raw(name, dims, H5T_STD_U8LE, H5T_NATIVE_UINT8, data);
}

void File::write_dataset_raw(const std::string& name, const std::vector<hsize_t>& dims, hid_t file_type,
                             hid_t memory_type, const void* data) {
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               close_space);
  Handle dataset(H5Dcreate2(id(), name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 close_dataset);
  if (dataset.id() < 0) fail("'", path_, "': cannot create dataset '", name, "'");
  if (H5Dwrite(dataset.id(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail("'", path_, "': cannot write dataset '", name, "' (disk full?)");
}

bool File::has_attribute(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

int64_t File::require_format(const std::string& format, int64_t max_version, const std::string& what) const {
  if (!has_attribute("format") || read_string_attribute("format") != format)
    fail("'", path_, "' is not ", what, " (attribute format = \"", format, "\" is missing)");
  const int64_t version = has_attribute("version") ? read_int_attribute("version") : 1;
  if (version < 1 || version > max_version)
    fail("'", path_, "' is ", what, " of version ", version, ", but this jetimg reads versions 1 to ", max_version,
         version > max_version ? " (written by a newer jetimg?)" : "");
  return version;
}

std::string File::read_string_attribute(const std::string& name) const {
  if (!has_attribute(name)) fail("'", path_, "': attribute '", name, "' is missing");
  Handle attr = open_single_attribute(id(), path_, name);
  Handle type(H5Aget_type(attr.id()), close_type);
  if (H5Tget_class(type.id()) != H5T_STRING) fail("'", path_, "': attribute '", name, "' is not a string");
  if (H5Tis_variable_str(type.id()) > 0) {
    char* text = nullptr;
    Handle mem(H5Tcopy(H5T_C_S1), close_type);
    H5Tset_size(mem.id(), H5T_VARIABLE);
    H5Tset_cset(mem.id(), H5Tget_cset(type.id()));  // h5py writes UTF-8; ASCII -> UTF-8 does not convert
    if (H5Aread(attr.id(), mem.id(), &text) < 0) fail("'", path_, "': cannot read attribute '", name, "'");
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  const size_t size = H5Tget_size(type.id());
  if (size == 0 || size > file_bytes_) fail("'", path_, "': attribute '", name, "' is damaged");
  std::string value(size, '\0');
  if (H5Aread(attr.id(), type.id(), value.data()) < 0) fail("'", path_, "': cannot read attribute '", name, "'");
  while (!value.empty() && value.back() == '\0') value.pop_back();
  return value;
}

Json File::read_json_attribute(const std::string& name) const {
  return parse_json(read_string_attribute(name), "'" + path_ + "': attribute '" + name + "'");
}

void File::read_rows_raw(const std::string& name, hsize_t begin, hsize_t count, void* out, size_t out_size,
                         hid_t type, size_t element_size) const {
  const DatasetInfo& info = inspect(name);
  const H5T_class_t want = H5Tget_class(type);
  if (element_size == 0) {  // converting: any number will do
    if (info.type_class != H5T_FLOAT && info.type_class != H5T_INTEGER)
      fail("'", path_, "': dataset '", name, "' is ", describe(info), ", expected numbers");
  } else if (want != info.type_class || info.element_size != element_size) {
    fail("'", path_, "': dataset '", name, "' is ", describe(info), ", expected ",
         want == H5T_FLOAT ? "float" : "int", 8 * element_size);
  }
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  if (dataset.id() < 0) fail("'", path_, "': dataset '", name, "' cannot be opened (damaged file?)");
  check_chunks(dataset.id(), name, info, begin, info.dims.empty() ? 1 : count);
  if (info.dims.empty()) {  // scalar
    if (out_size != 1) fail("'", path_, "': dataset '", name, "' holds one value, expected ", out_size);
    if (H5Dread(dataset.id(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
      fail("'", path_, "': cannot read dataset '", name, "' (damaged file?)");
    return;
  }
  if (count > info.dims[0] || begin > info.dims[0] - count)
    fail("'", path_, "': rows [", begin, ", ", begin + count, ") are past the end of dataset '", name, "' (",
         info.dims[0], " rows)");
  if (count == 0) return;
  if (out_size % count != 0 || out_size / count != info.row_elements)
    fail("'", path_, "': dataset '", name, "' is ", describe(info), ": rows of ", info.row_elements,
         " values where ", out_size / count, " were expected");
  Handle file_space(H5Dget_space(dataset.id()), close_space);
  std::vector<hsize_t> start(info.dims.size(), 0), extent = info.dims;
  start[0] = begin;
  extent[0] = count;
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr);
  Handle mem_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), close_space);
  if (H5Dread(dataset.id(), type, mem_space.id(), file_space.id(), H5P_DEFAULT, out) < 0)
    fail("'", path_, "': cannot read rows [", begin, ", ", begin + count, ") of dataset '", name,
         "' (file damaged or truncated?)");
}

void File::check_chunks(hid_t dataset, const std::string& name, const DatasetInfo& info, hsize_t begin,
                        hsize_t count) const {
  const std::string where = "'" + path_ + "': dataset '" + name + "'";
  hsize_t raw_bytes = info.element_size;
  for (hsize_t d : info.dims) raw_bytes *= d;  // fits: inspect() checked
  if (info.chunk.empty()) {
    const haddr_t offset = H5Dget_offset(dataset);
    if (offset != HADDR_UNDEF && (offset > file_bytes_ || raw_bytes > file_bytes_ - offset))
      fail(where, " points past the end of the file (damaged or truncated file)");
    return;
  }
  if (count == 0 || info.dims.empty()) return;
  hsize_t chunk_bytes = info.element_size;
  for (hsize_t c : info.chunk) chunk_bytes *= c;
  // A chunk's stored bytes: exactly its size unfiltered; deflate can add a
  // little to data it cannot compress.
  const hsize_t largest = info.filtered ? chunk_bytes + chunk_bytes / 64 + 4096 : chunk_bytes;
  // Every chunk the rows touch: chunk offsets along the first dimension,
  // and all of them along the others.
  const size_t rank = info.dims.size();
  std::vector<hsize_t> offset(rank, 0);
  offset[0] = begin / info.chunk[0] * info.chunk[0];
  const hsize_t end = begin + count;
  while (true) {
    unsigned filter_mask = 0;
    haddr_t address = HADDR_UNDEF;
    hsize_t size = 0;
    if (H5Dget_chunk_info_by_coord(dataset, offset.data(), &filter_mask, &address, &size) < 0)
      fail(where, ": its chunk index cannot be read (damaged file?)");
    if (address != HADDR_UNDEF &&
        (size > largest || (!info.filtered && size != chunk_bytes) || address > file_bytes_ ||
         size > file_bytes_ - address))
      fail(where, " is damaged: the chunk at row ", offset[0], " claims ", bytes_string(size), " at byte ", address,
           " of a file of ", bytes_string(file_bytes_));
    size_t d = rank;
    while (d-- > 0) {
      offset[d] += info.chunk[d];
      if (offset[d] < (d == 0 ? end : info.dims[d])) break;
      if (d == 0) return;
      offset[d] = 0;
    }
  }
}

std::vector<std::string> File::read_strings(const std::string& name) const {
  const DatasetInfo& info = require(name, {kAnySize}, Elements::String);
  Handle dataset(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), close_dataset);
  check_chunks(dataset.id(), name, info, 0, info.dims[0]);
  Handle stored(H5Dget_type(dataset.id()), close_type);
  std::vector<std::string> values(static_cast<size_t>(info.dims[0]));
  if (values.empty()) return values;
  if (H5Tis_variable_str(stored.id()) > 0) {
    std::vector<char*> text(values.size(), nullptr);
    Handle mem(H5Tcopy(H5T_C_S1), close_type);
    H5Tset_size(mem.id(), H5T_VARIABLE);
    if (H5Dread(dataset.id(), mem.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data()) < 0)
      fail("'", path_, "': cannot read dataset '", name, "' (damaged file?)");
    for (size_t i = 0; i < values.size(); ++i) values[i] = text[i] ? text[i] : "";
    Handle space(H5Dget_space(dataset.id()), close_space);
    H5Dvlen_reclaim(mem.id(), space.id(), H5P_DEFAULT, text.data());
    return values;
  }
  const size_t size = info.element_size;
  std::vector<char> raw(size * values.size());
  if (H5Dread(dataset.id(), stored.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    fail("'", path_, "': cannot read dataset '", name, "' (damaged file?)");
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
  // Chunks of at most ~4 MB, so that large rows (big images) still read back
  // within the readers' chunk bound.
  uint64_t row_bytes = sizeof(T);
  for (hsize_t t : trailing_) row_bytes *= std::max<hsize_t>(t, 1);
  chunk_rows = std::max<hsize_t>(1, std::min<hsize_t>(chunk_rows, (uint64_t{4} << 20) / row_bytes));
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
