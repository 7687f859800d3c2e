#include "io/toptag_file.h"

#include <map>
#include <sstream>

#include "core/error.h"

namespace jetimg {
namespace {

herr_t close_dataset(hid_t id) { return H5Dclose(id); }
herr_t close_type(hid_t id) { return H5Tclose(id); }
herr_t close_space(hid_t id) { return H5Sclose(id); }
herr_t close_attr(hid_t id) { return H5Aclose(id); }

}  // namespace

bool is_toptag_file(const h5::File& file) {
  return file.has("table") && (file.has("table/block0_values") || file.has("table/table"));
}

std::vector<std::string> unpickle_string_list(const std::string& pickle) {
  // Protocol 0: '(' mark, 'l' list, then per item a string opcode ('V' unicode
  // or 'S' quoted bytes, up to the newline), 'p' memo lines and 'a' appends; '.' ends.
  std::vector<std::string> items;
  std::istringstream in(pickle);
  std::string line;
  if (!std::getline(in, line) || line.rfind("(lp", 0) != 0) fail("not a pickled list (protocol 0)");
  while (std::getline(in, line)) {
    while (!line.empty() && line.front() == 'a') line.erase(0, 1);  // appends of the previous item
    if (line.empty() || line == "." || line[0] == 'p' || line[0] == 'g') continue;
    if (line[0] == 'V') {
      items.push_back(line.substr(1));
    } else if (line[0] == 'S' && line.size() >= 3 && (line[1] == '\'' || line[1] == '"') && line.back() == line[1]) {
      items.push_back(line.substr(2, line.size() - 3));
    } else {
      fail("unexpected pickle opcode in '", line.substr(0, 20), "' (expected a list of strings)");
    }
  }
  return items;
}

TopTagSource::TopTagSource(const std::string& path) : file_(h5::File::open(path)) {
  if (!is_toptag_file(file_))
    fail("'", path, "' is not a top-tagging dataset file (expected pandas' layout under the key 'table': "
         "'table/block0_items' and 'table/block0_values', or the compound dataset 'table/table')");
  if (file_.has("table/block0_values")) open_fixed();
  else open_table();
  std::map<std::string, Column> where;
  for (size_t k = 0; k < block_items_.size(); ++k)
    for (size_t i = 0; i < block_items_[k].size(); ++i) where[block_items_[k][i]] = Column{static_cast<int>(k), i};
  const auto find = [&](const std::string& name) {
    const auto it = where.find(name);
    if (it == where.end()) fail("'", path, "': column '", name, "' is missing from the 'table' DataFrame");
    return it->second;
  };
  for (int i = 0; where.count("E_" + std::to_string(i)); ++i) {
    const std::string n = std::to_string(i);
    e_.push_back(find("E_" + n));
    px_.push_back(find("PX_" + n));
    py_.push_back(find("PY_" + n));
    pz_.push_back(find("PZ_" + n));
  }
  if (e_.empty()) fail("'", path, "': no constituent columns (expected E_0, PX_0, PY_0, PZ_0, ...)");
  label_ = find("is_signal_new");
}

void TopTagSource::open_fixed() {
  layout_ = "fixed";
  const std::string& path = file_.path();
  for (int k = 0;; ++k) {
    const std::string items = "table/block" + std::to_string(k) + "_items";
    const std::string values = "table/block" + std::to_string(k) + "_values";
    if (!file_.has(values)) break;
    if (!file_.has(items)) fail("'", path, "': '", values, "' has no '", items, "' naming its columns");
    block_items_.push_back(file_.read_strings(items));
    const std::vector<hsize_t> d = file_.dims(values);
    if (d.size() != 2 || d[1] != block_items_.back().size())
      fail("'", path, "': '", values, "' must have shape (rows, ", block_items_.back().size(), "), one column per item");
    const H5T_class_t kind = file_.type_class(values);
    if (kind != H5T_FLOAT && kind != H5T_INTEGER) fail("'", path, "': '", values, "' does not hold numbers");
    if (k == 0) rows_ = static_cast<int64_t>(d[0]);
    if (static_cast<int64_t>(d[0]) != rows_)
      fail("'", path, "': '", values, "' has ", d[0], " rows but block0_values has ", rows_);
  }
}

void TopTagSource::open_table() {
  layout_ = "table";
  const std::string& path = file_.path();
  const std::vector<hsize_t> d = file_.dims("table/table");
  if (d.size() != 1) fail("'", path, "': 'table/table' must be a 1-D table of rows");
  rows_ = static_cast<int64_t>(d[0]);
  h5::Handle dataset(H5Dopen2(file_.id(), "table/table", H5P_DEFAULT), close_dataset);
  h5::Handle type(H5Dget_type(dataset.id()), close_type);
  if (H5Tget_class(type.id()) != H5T_COMPOUND) fail("'", path, "': 'table/table' is not a table (compound rows)");
  for (int k = 0;; ++k) {
    const std::string field = "values_block_" + std::to_string(k);
    const int member = H5Tget_member_index(type.id(), field.c_str());
    if (member < 0) break;
    h5::Handle member_type(H5Tget_member_type(type.id(), static_cast<unsigned>(member)), close_type);
    hsize_t width = 1;
    H5T_class_t base_class = H5Tget_class(member_type.id());
    if (base_class == H5T_ARRAY) {
      if (H5Tget_array_ndims(member_type.id()) != 1) fail("'", path, "': field '", field, "' must be a 1-D array");
      H5Tget_array_dims2(member_type.id(), &width);
      h5::Handle base(H5Tget_super(member_type.id()), close_type);
      base_class = H5Tget_class(base.id());
    }
    if (base_class != H5T_FLOAT && base_class != H5T_INTEGER)
      fail("'", path, "': field '", field, "' of 'table/table' does not hold numbers");
    const std::string attribute = field + "_kind";
    if (H5Aexists(dataset.id(), attribute.c_str()) <= 0)
      fail("'", path, "': 'table/table' has no attribute '", attribute, "' naming the columns of '", field, "'");
    h5::Handle attr(H5Aopen(dataset.id(), attribute.c_str(), H5P_DEFAULT), close_attr);
    h5::Handle attr_type(H5Aget_type(attr.id()), close_type);
    h5::Handle attr_space(H5Aget_space(attr.id()), close_space);
    const size_t size = H5Tget_size(attr_type.id()) * static_cast<size_t>(H5Sget_simple_extent_npoints(attr_space.id()));
    if (H5Tget_class(attr_type.id()) != H5T_STRING || H5Tis_variable_str(attr_type.id()) > 0 || size == 0 ||
        size > file_.file_bytes())
      fail("'", path, "': attribute '", attribute, "' is not a pickled list of column names");
    std::string pickle(size, '\0');
    if (H5Aread(attr.id(), attr_type.id(), pickle.data()) < 0) fail("'", path, "': cannot read attribute '", attribute, "'");
    try {
      block_items_.push_back(unpickle_string_list(pickle));
    } catch (const Error& e) {
      fail("'", path, "': attribute '", attribute, "': ", e.what());
    }
    if (block_items_.back().size() != width)
      fail("'", path, "': '", field, "' has ", width, " columns but '", attribute, "' names ", block_items_.back().size());
  }
  if (block_items_.empty()) fail("'", path, "': 'table/table' has no field 'values_block_0'");
}

std::vector<std::vector<double>> TopTagSource::read_blocks(int64_t count) const {
  std::vector<std::vector<double>> blocks(block_items_.size());
  if (layout_ == "fixed") {
    for (size_t k = 0; k < blocks.size(); ++k) {
      blocks[k].resize(static_cast<size_t>(count) * block_items_[k].size());
      file_.read_rows_converted("table/block" + std::to_string(k) + "_values", static_cast<hsize_t>(next_),
                                static_cast<hsize_t>(count), blocks[k].data(), blocks[k].size());
    }
    return blocks;
  }
  // The table layout: one read of the value fields, converted to double by HDF5.
  size_t width = 0;
  for (const auto& items : block_items_) width += items.size();
  h5::Handle memory(H5Tcreate(H5T_COMPOUND, width * sizeof(double)), close_type);
  size_t offset = 0;
  for (size_t k = 0; k < block_items_.size(); ++k) {
    const hsize_t n = block_items_[k].size();
    h5::Handle array(H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, &n), close_type);
    H5Tinsert(memory.id(), ("values_block_" + std::to_string(k)).c_str(), offset, array.id());
    offset += n * sizeof(double);
  }
  std::vector<double> rows(static_cast<size_t>(count) * width);
  h5::Handle dataset(H5Dopen2(file_.id(), "table/table", H5P_DEFAULT), close_dataset);
  h5::Handle file_space(H5Dget_space(dataset.id()), close_space);
  const hsize_t start = static_cast<hsize_t>(next_), extent = static_cast<hsize_t>(count);
  H5Sselect_hyperslab(file_space.id(), H5S_SELECT_SET, &start, nullptr, &extent, nullptr);
  h5::Handle memory_space(H5Screate_simple(1, &extent, nullptr), close_space);
  if (H5Dread(dataset.id(), memory.id(), memory_space.id(), file_space.id(), H5P_DEFAULT, rows.data()) < 0)
    fail("'", file_.path(), "': cannot read rows [", next_, ", ", next_ + count,
         ") of 'table/table' (file damaged or truncated?)");
  size_t first = 0;
  for (size_t k = 0; k < blocks.size(); ++k) {
    const size_t n = block_items_[k].size();
    blocks[k].resize(static_cast<size_t>(count) * n);
    for (int64_t r = 0; r < count; ++r)
      std::copy_n(&rows[static_cast<size_t>(r) * width + first], n, &blocks[k][static_cast<size_t>(r) * n]);
    first += n;
  }
  return blocks;
}

EventBatch TopTagSource::read_batch(int64_t n) {
  EventBatch batch;
  // Rows that are all skipped must not look like the end of the file.
  while (batch.empty() && next_ < rows_) read_rows(std::min(n, rows_ - next_), batch);
  return batch;
}

void TopTagSource::read_rows(int64_t count, EventBatch& batch) {
  const std::vector<std::vector<double>> blocks = read_blocks(count);
  const auto value = [&](const Column& c, int64_t row) {
    const size_t k = static_cast<size_t>(c.block);
    return blocks[k][static_cast<size_t>(row) * block_items_[k].size() + c.index];
  };
  for (int64_t r = 0; r < count; ++r) {
    const int64_t record = next_ + r;
    Event event;
    std::string bad;
    for (size_t i = 0; i < e_.size(); ++i) {
      const FourVector p{value(e_[i], r), value(px_[i], r), value(py_[i], r), value(pz_[i], r)};
      if (p.E == 0 && p.px == 0 && p.py == 0 && p.pz == 0) continue;  // padding
      const std::string why = particle_problem(p);
      if (!why.empty()) {
        bad = "constituent " + std::to_string(i) + " has " + why;
        break;
      }
      event.push_back({p, 0});
    }
    const double label = value(label_, r);
    const std::string where = "'" + file_.path() + "', row " + std::to_string(record) + ": ";
    if (!bad.empty()) {
      counts_.skip(where + bad);
    } else if (label != 0 && label != 1) {
      counts_.skip(where + "is_signal_new is " + std::to_string(label) + ", expected 0 or 1");
    } else if (event.empty()) {
      counts_.skip(where + "no constituents");
    } else {
      batch.add(std::move(event), record, 1.0f, static_cast<int32_t>(label));
      ++counts_.read;
    }
  }
  next_ += count;
}

Json TopTagSource::provenance() const {
  return Json{{"format", "toptag"}, {"pandas_layout", layout_}, {"path", file_.path()}, {"rows", rows_},
              {"constituents_per_row", e_.size()}};
}

}  // namespace jetimg
