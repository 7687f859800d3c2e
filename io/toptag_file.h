// The top-tagging reference dataset (Kasieczka, Plehn, Thompson, Russell:
// train/val/test.h5), a pandas DataFrame stored under the key 'table'. Both
// of pandas' HDF5 layouts are read:
//
// format='fixed' — a group `table` holding
//   axis0          (C)      strings  the column names
//   axis1          (N)      int64    the row index
//   blockK_items   (C_K)    strings  the names of the columns in block K
//   blockK_values  (N, C_K) numbers  those columns, one row per jet
//
// format='table' — a compound dataset `table/table` with fields `index` and
// `values_block_K` (an array of C_K numbers per row); the column names of
// block K are the attribute `values_block_K_kind` of that dataset, a Python
// list pickled with protocol 0 (as PyTables stores attributes).
//
// K = 0, 1, ... is one block per dtype. The columns are E_i, PX_i, PY_i, PZ_i
// for constituents i = 0..199 (zero-padded; GeV), truthE, truthPX, truthPY,
// truthPZ, ttv and is_signal_new (1 top, 0 QCD). Each row becomes one event
// of its non-zero constituents, labelled by is_signal_new.
#pragma once

#include <string>
#include <vector>

#include "io/event_source.h"
#include "io/hdf5.h"

namespace jetimg {

class TopTagSource : public EventSource {
 public:
  explicit TopTagSource(const std::string& path);
  EventBatch read_batch(int64_t n) override;
  std::string format() const override { return "toptag"; }
  int64_t size_hint() const override { return rows_; }
  Json provenance() const override;
  int constituents_per_row() const { return static_cast<int>(e_.size()); }
  // "fixed" or "table", pandas' name for the layout.
  const std::string& layout() const { return layout_; }

 private:
  struct Column {
    int block = -1;
    size_t index = 0;  // within the block
  };
  void open_fixed();
  void open_table();
  // Rows [next_, next_ + count) of every block, row-major, as doubles.
  std::vector<std::vector<double>> read_blocks(int64_t count) const;
  // Rows [next_, next_ + count) into `batch`, skipping the unusable ones.
  void read_rows(int64_t count, EventBatch& batch);

  h5::File file_;
  std::string layout_;
  std::vector<std::vector<std::string>> block_items_;
  int64_t rows_ = 0, next_ = 0;
  std::vector<Column> e_, px_, py_, pz_;
  Column label_;
};

// True if `file` has one of the layouts above.
bool is_toptag_file(const h5::File& file);

// The strings of a Python list pickled with protocol 0 ("(lp0\nVE_0\np1\na..."),
// as PyTables stores list attributes; Error if `pickle` is not that.
std::vector<std::string> unpickle_string_list(const std::string& pickle);

}  // namespace jetimg
