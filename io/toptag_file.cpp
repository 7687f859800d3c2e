#include "io/toptag_file.h"

#include <map>

#include "core/error.h"

namespace jetimg {

bool is_toptag_file(const h5::File& file) { return file.has("table") && file.has("table/block0_values"); }

TopTagSource::TopTagSource(const std::string& path) : file_(h5::File::open(path)) {
  if (!is_toptag_file(file_))
    fail("'", path, "' is not a top-tagging dataset file (expected the pandas layout: group 'table' with "
         "'table/block0_items' and 'table/block0_values')");
  std::map<std::string, Column> where;
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
    for (size_t i = 0; i < block_items_.back().size(); ++i) where[block_items_.back()[i]] = Column{k, i};
  }
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

EventBatch TopTagSource::read_batch(int64_t n) {
  EventBatch batch;
  // Rows that are all skipped must not look like the end of the file.
  while (batch.empty() && next_ < rows_) read_rows(std::min(n, rows_ - next_), batch);
  return batch;
}

void TopTagSource::read_rows(int64_t count, EventBatch& batch) {
  std::vector<std::vector<double>> blocks(block_items_.size());
  for (size_t k = 0; k < blocks.size(); ++k) {
    blocks[k].resize(static_cast<size_t>(count) * block_items_[k].size());
    file_.read_rows_converted("table/block" + std::to_string(k) + "_values", static_cast<hsize_t>(next_),
                              static_cast<hsize_t>(count), blocks[k].data());
  }
  const auto value = [&](const Column& c, int64_t row) {
    return blocks[static_cast<size_t>(c.block)][static_cast<size_t>(row) * block_items_[static_cast<size_t>(c.block)].size() + c.index];
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
  return Json{{"format", "toptag"}, {"path", file_.path()}, {"rows", rows_}, {"constituents_per_row", e_.size()}};
}

}  // namespace jetimg
