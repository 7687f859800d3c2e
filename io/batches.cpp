#include "io/batches.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/sampling.h"

namespace jetimg {
namespace {

// Streams of the shuffle: the chunk order and each fill of the buffer get a
// stream of their own, hashed (splitmix64) from the caller's stream and the
// fill's number, so that they stay clear of the small stream numbers other
// draws of the same seed use.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t chunk_stream(uint64_t stream) { return mix(mix(stream)); }
uint64_t pool_stream(uint64_t stream, int64_t fill) { return mix(mix(stream) + static_cast<uint64_t>(fill) + 1); }

}  // namespace

BatchStream::BatchStream(const Dataset& data, StreamOptions options)
    : data_(data), options_(std::move(options)), columns_(data.columns()) {
  if (options_.batch < 1) fail("batch size must be at least 1, got ", options_.batch);
  if (options_.world < 1 || options_.rank < 0 || options_.rank >= options_.world)
    fail("rank ", options_.rank, " of ", options_.world, " processes is not a rank");
  const int64_t row_bytes = std::max<int64_t>(data.row_bytes(), 1);
  chunk_rows_ = std::max<int64_t>(1, std::min<int64_t>(options_.chunk_bytes / row_bytes, std::max<int64_t>(data.size(), 1)));
  const int64_t n_chunks = (data.size() + chunk_rows_ - 1) / chunk_rows_;
  std::vector<int64_t> order(static_cast<size_t>(n_chunks));
  for (int64_t c = 0; c < n_chunks; ++c) order[static_cast<size_t>(c)] = c;
  if (options_.shuffle) order = seeded_permutation(n_chunks, options_.seed, chunk_stream(options_.stream));
  for (size_t p = 0; p < order.size(); ++p)
    if (static_cast<int>(p % static_cast<size_t>(options_.world)) == options_.rank) chunks_.push_back(order[p]);
  for (int64_t c : chunks_) {
    const int64_t begin = c * chunk_rows_, end = std::min(data.size(), begin + chunk_rows_);
    if (!options_.keep) {
      rows_ += end - begin;
      continue;
    }
    for (int64_t r = begin; r < end; ++r) rows_ += options_.keep(r) ? 1 : 0;
  }
}

void BatchStream::fill() {
  // The rows still waiting (fewer than a batch) are copied into one small
  // chunk of their own, so that the chunks they came from can go: the pool
  // never holds more than the buffer and one batch.
  std::vector<TensorMap> kept;
  std::vector<Row> pool;
  const int64_t waiting = static_cast<int64_t>(pool_.size() - delivered_);
  if (waiting > 0) {
    TensorMap carry;
    for (const Column& c : columns_) {
      std::vector<int64_t> dims{waiting};
      dims.insert(dims.end(), c.shape.begin(), c.shape.end());
      Tensor t = Tensor::empty(Shape(dims));
      const int64_t values = c.values();
      for (int64_t i = 0; i < waiting; ++i) {
        const Row& r = pool_[delivered_ + static_cast<size_t>(i)];
        const Tensor& source = loaded_[static_cast<size_t>(r.chunk)].at(c.name);
        std::memcpy(t.data() + i * values, source.data() + r.offset * values,
                    static_cast<size_t>(values) * sizeof(float));
      }
      carry[c.name] = std::move(t);
    }
    for (int64_t i = 0; i < waiting; ++i)
      pool.push_back({0, static_cast<int32_t>(i), pool_[delivered_ + static_cast<size_t>(i)].dataset_row});
    kept.push_back(std::move(carry));
  }
  loaded_.clear();  // the chunks read before go before the next ones are read
  const int64_t chunk_bytes = std::max<int64_t>(chunk_rows_ * data_.row_bytes(), 1);
  // Rows read in file order gain nothing from a buffer: one chunk at a time.
  const int64_t capacity = options_.shuffle ? std::max<int64_t>(1, options_.buffer_bytes / chunk_bytes) : 1;
  for (int64_t k = 0; k < capacity && next_chunk_ < chunks_.size(); ++k) {
    const int64_t c = chunks_[next_chunk_++];
    const int64_t begin = c * chunk_rows_, count = std::min(data_.size(), begin + chunk_rows_) - begin;
    kept.push_back(data_.read(begin, count));
    for (int64_t r = 0; r < count; ++r)
      if (!options_.keep || options_.keep(begin + r))
        pool.push_back({static_cast<int32_t>(kept.size() - 1), static_cast<int32_t>(r), begin + r});
  }
  if (options_.shuffle) {
    const std::vector<int64_t> order =
        seeded_permutation(static_cast<int64_t>(pool.size()), options_.seed, pool_stream(options_.stream, fills_));
    std::vector<Row> mixed(pool.size());
    for (size_t i = 0; i < pool.size(); ++i) mixed[i] = pool[static_cast<size_t>(order[i])];
    pool.swap(mixed);
  }
  ++fills_;
  loaded_.swap(kept);
  pool_.swap(pool);
  delivered_ = 0;
}

int64_t BatchStream::held_rows() const {
  int64_t rows = 0;
  for (const TensorMap& chunk : loaded_)
    if (!chunk.empty()) rows += chunk.begin()->second.dim(0);
  return rows;
}

bool BatchStream::next(TensorMap& batch, std::vector<int64_t>* rows) {
  const auto waiting = [&] { return static_cast<int64_t>(pool_.size() - delivered_); };
  // Fill until a whole batch waits (a buffer smaller than a batch, or chunks
  // whose rows are mostly left out, take several fills) or the rows run out.
  while (waiting() < options_.batch && next_chunk_ < chunks_.size()) fill();
  if (waiting() == 0) return false;
  const int64_t n = std::min(options_.batch, waiting());
  for (const Column& c : columns_) {
    std::vector<int64_t> dims{n};
    dims.insert(dims.end(), c.shape.begin(), c.shape.end());
    Tensor& t = batch_[c.name];
    // A pinned batch may still be read by an asynchronous copy to the device:
    // each batch gets a buffer of its own, which the pool hands out again
    // once that copy is done (core/memory.h).
    if (options_.pinned || !t.defined() || t.shape() != Shape(dims))
      t = options_.pinned ? Tensor::empty_pinned(Shape(dims)) : Tensor::empty(Shape(dims));
    const int64_t values = c.values();
    for (int64_t i = 0; i < n; ++i) {
      const Row& r = pool_[delivered_ + static_cast<size_t>(i)];
      const Tensor& source = loaded_[static_cast<size_t>(r.chunk)].at(c.name);
      std::memcpy(t.data() + i * values, source.data() + r.offset * values, static_cast<size_t>(values) * sizeof(float));
    }
  }
  if (rows) {
    rows->resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) (*rows)[static_cast<size_t>(i)] = pool_[delivered_ + static_cast<size_t>(i)].dataset_row;
  }
  delivered_ += static_cast<size_t>(n);
  batch = batch_;
  return true;
}

}  // namespace jetimg
