// Batches streamed from datasets (io/batches.h): every kept row comes once
// per pass, with its own values; the order is a function of (seed, stream,
// rank, world) only; the processes of a run split the rows without overlap;
// memory stays at the buffer's size; and an images file streams the same
// rows as reading it whole.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "core/error.h"
#include "io/batches.h"
#include "io/datasets.h"
#include "io/images_file.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// Rows whose values say which row they are: "x" (2, 3) holds 10·row + k,
// "y" (1) holds -row.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(int64_t rows) : rows_(rows) {}
  int64_t size() const override { return rows_; }
  std::vector<Column> columns() const override { return {{"x", {2, 3}}, {"y", {1}}}; }
  TensorMap read(int64_t begin, int64_t count) const override {
    ++reads;
    std::vector<float> x(static_cast<size_t>(count * 6)), y(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      for (int k = 0; k < 6; ++k) x[static_cast<size_t>(i * 6 + k)] = static_cast<float>(10 * (begin + i) + k);
      y[static_cast<size_t>(i)] = -static_cast<float>(begin + i);
    }
    return {{"x", Tensor::from_vector(x, {count, 2, 3})}, {"y", Tensor::from_vector(y, {count, 1})}};
  }
  std::string describe(int64_t row) const override { return "row " + std::to_string(row); }
  mutable int64_t reads = 0;

 private:
  int64_t rows_;
};

// Every row a stream delivers, in order, checking each batch's values
// against the rows it names.
std::vector<int64_t> drain(BatchStream& stream, int64_t batch, int64_t* most_held = nullptr) {
  std::vector<int64_t> order, rows;
  TensorMap b;
  while (stream.next(b, &rows)) {
    const int64_t n = static_cast<int64_t>(rows.size());
    EXPECT_LE(n, batch);
    EXPECT_EQ(b.at("x").shape(), Shape({n, 2, 3}));
    EXPECT_EQ(b.at("y").shape(), Shape({n, 1}));
    const std::vector<float> x = b.at("x").to_vector(), y = b.at("y").to_vector();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t r = rows[static_cast<size_t>(i)];
      EXPECT_EQ(y[static_cast<size_t>(i)], -static_cast<float>(r));
      for (int k = 0; k < 6; ++k) EXPECT_EQ(x[static_cast<size_t>(i * 6 + k)], static_cast<float>(10 * r + k));
      order.push_back(r);
    }
    if (most_held) *most_held = std::max(*most_held, stream.held_rows());
  }
  return order;
}

StreamOptions small_chunks(int64_t batch, int64_t chunk_rows, int64_t buffer_chunks) {
  // A row of CountingDataset is 7 floats, 28 bytes.
  StreamOptions o;
  o.batch = batch;
  o.chunk_bytes = chunk_rows * 28;
  o.buffer_bytes = buffer_chunks * chunk_rows * 28;
  return o;
}

TEST(BatchStream, EveryRowOnceWithItsOwnValues) {
  const CountingDataset data(1000);
  for (int64_t batch : {1, 7, 64, 1000, 5000}) {
    BatchStream stream(data, small_chunks(batch, 50, 3));
    EXPECT_EQ(stream.rows(), 1000);
    EXPECT_EQ(stream.batches(), (1000 + batch - 1) / batch);
    std::vector<int64_t> order = drain(stream, batch);
    ASSERT_EQ(order.size(), 1000u) << "batch " << batch;
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> all(1000);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(sorted, all) << "batch " << batch;
    EXPECT_NE(order, all) << "batch " << batch << ": shuffling left the file order";
  }
}

TEST(BatchStream, OrderIsAFunctionOfSeedAndStream) {
  const CountingDataset data(600);
  const auto order_of = [&](uint64_t seed, uint64_t stream_number) {
    StreamOptions o = small_chunks(32, 40, 4);
    o.seed = seed, o.stream = stream_number;
    BatchStream stream(data, o);
    return drain(stream, 32);
  };
  EXPECT_EQ(order_of(3, 1), order_of(3, 1));
  EXPECT_NE(order_of(3, 1), order_of(3, 2));  // another epoch
  EXPECT_NE(order_of(3, 1), order_of(4, 1));  // another seed
}

TEST(BatchStream, WithoutShuffleRowsComeInFileOrder) {
  const CountingDataset data(333);
  StreamOptions o = small_chunks(10, 16, 2);
  o.shuffle = false;
  BatchStream stream(data, o);
  std::vector<int64_t> all(333);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(drain(stream, 10), all);
}

TEST(BatchStream, KeepSelectsRowsAndTheRestAreNeverDelivered) {
  const CountingDataset data(500);
  StreamOptions o = small_chunks(16, 25, 3);
  o.keep = [](int64_t r) { return r % 3 == 0; };
  BatchStream stream(data, o);
  EXPECT_EQ(stream.rows(), 167);
  std::vector<int64_t> order = drain(stream, 16);
  std::sort(order.begin(), order.end());
  std::vector<int64_t> expected;
  for (int64_t r = 0; r < 500; r += 3) expected.push_back(r);
  EXPECT_EQ(order, expected);
}

TEST(BatchStream, ProcessesOfARunShareTheRowsWithoutOverlap) {
  const CountingDataset data(1003);
  for (int world : {2, 3, 8}) {
    std::multiset<int64_t> seen;
    int64_t total = 0;
    for (int rank = 0; rank < world; ++rank) {
      StreamOptions o = small_chunks(20, 30, 2);
      o.rank = rank, o.world = world, o.seed = 9, o.stream = 5;
      BatchStream stream(data, o);
      const std::vector<int64_t> order = drain(stream, 20);
      EXPECT_EQ(static_cast<int64_t>(order.size()), stream.rows());
      total += stream.rows();
      seen.insert(order.begin(), order.end());
    }
    EXPECT_EQ(total, 1003) << world << " processes";
    ASSERT_EQ(seen.size(), 1003u) << world << " processes";
    for (int64_t r = 0; r < 1003; ++r) EXPECT_EQ(seen.count(r), 1u) << "row " << r << ", " << world << " processes";
  }
}

TEST(BatchStream, MemoryStaysAtTheBufferAndOneBatch) {
  const CountingDataset data(20000);
  const int64_t chunk_rows = 100, buffer_chunks = 4;
  for (int64_t batch : {1, 33, 256, 1000}) {
    BatchStream stream(data, small_chunks(batch, chunk_rows, buffer_chunks));
    int64_t most_held = 0;
    EXPECT_EQ(drain(stream, batch, &most_held).size(), 20000u);
    EXPECT_GT(most_held, 0);
    EXPECT_LE(most_held, chunk_rows * buffer_chunks + batch) << "batch " << batch;
  }
  // Each chunk is read once per pass.
  const CountingDataset counted(1000);
  BatchStream stream(counted, small_chunks(64, 100, 3));
  drain(stream, 64);
  EXPECT_EQ(counted.reads, 10);
}

TEST(BatchStream, BadOptionsAreRefused) {
  const CountingDataset data(10);
  StreamOptions o;
  o.batch = 0;
  EXPECT_THROW(BatchStream(data, o), Error);
  o.batch = 4, o.world = 2, o.rank = 2;
  EXPECT_THROW(BatchStream(data, o), Error);
}

TEST(ImagesDatasetStream, StreamsTheRowsOfTwoFilesWithTheirLabels) {
  const std::string dir = testing::scratch_dir("batches_images");
  const int64_t n_signal = 700, n_background = 500;
  const auto write = [&](const std::string& path, int64_t n, float offset) {
    std::vector<float> images(static_cast<size_t>(n * 3 * 4));
    for (size_t i = 0; i < images.size(); ++i) images[i] = offset + static_cast<float>(i / 12);
    ImageAux aux;
    for (int64_t i = 0; i < n; ++i) {
      aux.pt.push_back(250 + static_cast<double>(i) * 0.01);
      aux.eta.push_back(0), aux.phi.push_back(0), aux.mass.push_back(80), aux.trimmed_mass.push_back(80);
      aux.tau21.push_back(0.5), aux.tau32.push_back(0.5), aux.weight.push_back(1), aux.label.push_back(0);
    }
    ImagesWriter writer(path, 1, 3, 4, Json{{"convention", "w"}}, Json::object());
    writer.write(images.data(), aux);
    writer.finish();
  };
  write(dir + "/s.h5", n_signal, 0.0f);
  write(dir + "/b.h5", n_background, 10000.0f);
  const ImagesDataset data({dir + "/s.h5", dir + "/b.h5"}, {1, 0});
  ASSERT_EQ(data.size(), n_signal + n_background);
  StreamOptions o;
  o.batch = 50;
  o.chunk_bytes = 64 * data.row_bytes();
  o.buffer_bytes = 3 * o.chunk_bytes;
  BatchStream stream(data, o);
  TensorMap b;
  std::vector<int64_t> rows;
  std::set<int64_t> seen;
  while (stream.next(b, &rows)) {
    const std::vector<float> images = b.at("images").to_vector(), label = b.at("label").to_vector(),
                             pt = b.at("pt").to_vector();
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t r = rows[i];
      const bool signal = r < n_signal;
      const int64_t in_file = signal ? r : r - n_signal;
      EXPECT_EQ(label[i], signal ? 1.0f : 0.0f) << "row " << r;
      EXPECT_FLOAT_EQ(pt[i], static_cast<float>(250 + static_cast<double>(in_file) * 0.01)) << "row " << r;
      EXPECT_EQ(images[i * 12 + 7], (signal ? 0.0f : 10000.0f) + static_cast<float>(in_file)) << "row " << r;
      seen.insert(r);
    }
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), n_signal + n_background);
}

}  // namespace
}  // namespace jetimg
