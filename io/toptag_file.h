// The top-tagging reference dataset (Kasieczka, Plehn, Thompson, Russell:
// train/val/test.h5), a pandas DataFrame written with to_hdf(key='table',
// format='fixed'). In HDF5 that is a group `table` holding
//
//   axis0          (C)      strings  the column names
//   axis1          (N)      int64    the row index
//   blockK_items   (C_K)    strings  the names of the columns in block K
//   blockK_values  (N, C_K) numbers  those columns, one row per jet
//
// for K = 0, 1, ... (one block per dtype). The columns are E_i, PX_i, PY_i,
// PZ_i for constituents i = 0..199 (zero-padded; GeV), truthE, truthPX,
// truthPY, truthPZ, ttv and is_signal_new (1 top, 0 QCD). Each row becomes
// one event of its constituents, labelled by is_signal_new.
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

 private:
  struct Column {
    int block = -1;
    size_t index = 0;  // within the block
  };
  // Rows [next_, next_ + count) into `batch`, skipping the unusable ones.
  void read_rows(int64_t count, EventBatch& batch);

  h5::File file_;
  std::vector<std::vector<std::string>> block_items_;
  int64_t rows_ = 0, next_ = 0;
  std::vector<Column> e_, px_, py_, pz_;
  Column label_;
};

// True if `file` has the group layout above (a `table` group with block0_values).
bool is_toptag_file(const h5::File& file);

}  // namespace jetimg
