// Batches from a dataset that streams (io/datasets.h), as training and
// inference read them: the rows are read in chunks of a few megabytes; a
// seeded shuffle orders the chunks, a shuffle buffer of several chunks mixes
// their rows, and each process of a run takes its own share of the chunks
// (rank of world). Memory stays at the buffer's size whatever the file's.
//
// The order is a pure function of (seed, stream, rank, world): the training
// loop passes the epoch as the stream, so an epoch's batches are the same in
// a resumed run as in an uninterrupted one. Without shuffling the rows come
// in file order (validation, inference).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "io/datasets.h"

namespace jetimg {

struct StreamOptions {
  int64_t batch = 100;
  bool shuffle = true;
  uint64_t seed = 1, stream = 0;
  int64_t buffer_bytes = int64_t{256} << 20;  // the shuffle buffer (at least one chunk; unused without shuffle)
  int64_t chunk_bytes = int64_t{4} << 20;     // rows read at once
  int rank = 0, world = 1;                    // this process's share of the chunks
  std::function<bool(int64_t)> keep;          // the rows to use (all when empty)
  bool pinned = false;                        // batches in page-locked memory (for copies to a GPU)
};

class BatchStream {
 public:
  BatchStream(const Dataset& data, StreamOptions options);
  // Rows this stream delivers (kept rows of this process's chunks) and batches.
  int64_t rows() const { return rows_; }
  int64_t batches() const { return (rows_ + options_.batch - 1) / options_.batch; }
  // The next batch: every column as CPU tensors (n, shape...) with n the
  // batch size (less for the last), and the dataset rows they hold; false
  // when every row has been delivered. The tensors are reused by the next call.
  bool next(TensorMap& batch, std::vector<int64_t>* rows = nullptr);
  // Rows held in memory now (the chunks read and the rows carried over):
  // never more than the buffer's rows and one batch.
  int64_t held_rows() const;

 private:
  void fill();
  const Dataset& data_;
  StreamOptions options_;
  std::vector<Column> columns_;
  int64_t chunk_rows_ = 1, rows_ = 0;
  std::vector<int64_t> chunks_;  // this process's chunks, in the order they are read
  size_t next_chunk_ = 0;
  int64_t fills_ = 0;
  // The pool: the rows of the chunks read, in the order they are delivered.
  std::vector<TensorMap> loaded_;  // the chunks read
  struct Row {
    int32_t chunk;    // index into loaded_
    int32_t offset;   // row within it
    int64_t dataset_row;
  };
  std::vector<Row> pool_;
  size_t delivered_ = 0;
  TensorMap batch_;
};

}  // namespace jetimg
