// Datasets that stream: rows of named tensors read from files by row ranges,
// never whole, so that training and inference work on files larger than
// memory (io/batches.h shuffles and batches them).
//
//   ImagesDataset   jet images: "images" (C, H, W) or (H, W) as stored,
//                   "label" (1) (1 signal, 0 background), "pt" (1) GeV
//   ShowersDataset  calorimeter showers as the networks see them: "energy"
//                   (1) GeV and "layer_0", "layer_1", ... (1, rows, cols) GeV
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor_map.h"
#include "io/images_file.h"
#include "io/showers_file.h"

namespace jetimg {

// One column: its name and the shape of one row.
struct Column {
  std::string name;
  std::vector<int64_t> shape;
  int64_t values() const;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual std::vector<Column> columns() const = 0;
  // Rows [begin, begin + count) of every column as CPU tensors (count, shape...).
  virtual TensorMap read(int64_t begin, int64_t count) const = 0;
  // A row for messages: "image 17 of 'w.h5'".
  virtual std::string describe(int64_t row) const = 0;
  // Bytes of one row of all columns (float32).
  int64_t row_bytes() const;
};

// One or more images files, one after another; each file's images are
// labelled by `labels[i]` (0 or 1), or by the file's own label column where
// that is -1 (which must then hold only 0 and 1). Errors name the file.
class ImagesDataset : public Dataset {
 public:
  ImagesDataset(const std::vector<std::string>& files, const std::vector<int>& labels);
  int64_t size() const override { return total_; }
  std::vector<Column> columns() const override;
  TensorMap read(int64_t begin, int64_t count) const override;
  std::string describe(int64_t row) const override;
  // One sample's image shape: (H, W) or (C, H, W).
  const std::vector<int64_t>& sample_shape() const { return sample_shape_; }
  // The label and jet pT of every row (small: eight bytes a row), for
  // weights and class counts without reading the images.
  const std::vector<float>& labels() const { return labels_; }
  const std::vector<double>& pt() const { return pt_; }
  const std::vector<std::string>& files() const { return paths_; }
  // An Error naming the files unless both labels (0 and 1) occur.
  void require_both_classes() const;

 private:
  std::vector<std::unique_ptr<ImagesReader>> readers_;
  std::vector<std::string> paths_;
  std::vector<int64_t> first_;  // first row of each file
  std::vector<int64_t> sample_shape_;
  std::vector<float> labels_;
  std::vector<double> pt_;
  int64_t total_ = 0;
};

// A showers file (CaloGAN or CaloChallenge layout), its first `max_rows`
// showers (all when max_rows <= 0), in GeV.
class ShowersDataset : public Dataset {
 public:
  explicit ShowersDataset(const std::string& path, int64_t max_rows = 0);
  int64_t size() const override { return size_; }
  std::vector<Column> columns() const override;
  TensorMap read(int64_t begin, int64_t count) const override;
  std::string describe(int64_t row) const override;
  const std::vector<LayerGeometry>& geometry() const { return reader_.geometry(); }

 private:
  ShowersReader reader_;
  int64_t size_ = 0;
};

}  // namespace jetimg
