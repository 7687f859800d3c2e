// Datasets that stream: rows of named tensors read from files by row ranges,
// never whole, so that training and inference work on files larger than
// memory (io/batches.h shuffles and batches them).
//
//   ImagesDataset   jet images: "images" (C, H, W) or (H, W) as stored,
//                   "label" (1) (1 signal, 0 background), "pt" (1) GeV
//   JetsDataset     jets' constituents from jets files (io/jets_file.h), for
//                   the particle-cloud taggers: "constituents" (S, 4) E, px,
//                   py, pz GeV as stored (pT-ordered, zero-padded to the
//                   files' S), "n_constituents" (1), "jet" (4) E, px, py, pz,
//                   "label" (1), "pt" (1) GeV, and where every file holds
//                   PDG codes, "pdg" (S) and "charge" (S) (e)
//   ShowersDataset  calorimeter showers as the networks see them: "energy"
//                   (1) GeV and "layer_0", "layer_1", ... (1, rows, cols) GeV
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor_map.h"
#include "io/images_file.h"
#include "io/jets_reader.h"
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

// Jets of one or more files for a tagger, one file after another, each with
// a label (1 signal, 0 background) and a pT: what training needs beside the
// rows themselves (weights, class counts, the validation split).
class LabelledDataset : public Dataset {
 public:
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  std::string describe(int64_t row) const override;
  // The label and jet pT of every row (small: eight bytes a row), for
  // weights and class counts without reading the rows.
  const std::vector<float>& labels() const { return labels_; }
  const std::vector<double>& pt() const { return pt_; }
  const std::vector<std::string>& files() const { return paths_; }
  // What one row is called in messages: "image", "jet".
  virtual const char* noun() const = 0;
  // An Error naming the files unless both labels (0 and 1) occur.
  void require_both_classes() const;

 protected:
  // Adds file `path` of `rows` rows: each labelled `label` (0 or 1), or by
  // its `stored` label where `label` is -1 (an Error unless 0 or 1).
  void add_file(const std::string& path, int label, const std::vector<int32_t>& stored,
                const std::vector<double>& pt);
  // The file holding `row` and the row within it.
  std::pair<size_t, int64_t> locate(int64_t row) const;
  std::vector<std::string> paths_;
  std::vector<int64_t> first_;  // first row of each file
  std::vector<float> labels_;
  std::vector<double> pt_;
};

// One or more images files, one after another; each file's images are
// labelled by `labels[i]` (0 or 1), or by the file's own label column where
// that is -1 (which must then hold only 0 and 1). Errors name the file.
class ImagesDataset : public LabelledDataset {
 public:
  ImagesDataset(const std::vector<std::string>& files, const std::vector<int>& labels);
  std::vector<Column> columns() const override;
  TensorMap read(int64_t begin, int64_t count) const override;
  const char* noun() const override { return "image"; }
  // One sample's image shape: (H, W) or (C, H, W).
  const std::vector<int64_t>& sample_shape() const { return sample_shape_; }

 private:
  std::vector<std::unique_ptr<ImagesReader>> readers_;
  std::vector<int64_t> sample_shape_;
};

// One or more jets files, labelled as ImagesDataset's images are. The files
// may pad to different S; rows are padded to the largest. A read checks each
// jet (the reader's checks: finite four-vectors, counts within the room;
// and at least one constituent); an Error names the file and the jet.
class JetsDataset : public LabelledDataset {
 public:
  JetsDataset(const std::vector<std::string>& files, const std::vector<int>& labels);
  std::vector<Column> columns() const override;
  TensorMap read(int64_t begin, int64_t count) const override;
  const char* noun() const override { return "jet"; }
  // S: constituents a row has room for.
  int64_t max_constituents() const { return max_constituents_; }
  // Whether every file stores PDG codes (the "pdg" and "charge" columns).
  bool has_identities() const { return has_pdg_; }

 private:
  std::vector<std::unique_ptr<JetsReader>> readers_;
  int64_t max_constituents_ = 0;
  bool has_pdg_ = true;
};

// The "format" attribute of an HDF5 file ("jetimg-jets", "jetimg-images";
// "" when it has none). An Error names a file that is missing or not HDF5.
std::string stored_format(const std::string& path);

// A tagger's rows: jets files (JetsDataset) for a model that reads particles,
// images files (ImagesDataset) for one that reads images. A file of the other
// kind is an Error naming it, `model_name` and what to do.
std::unique_ptr<LabelledDataset> open_tagger_dataset(const std::vector<std::string>& files,
                                                     const std::vector<int>& labels, bool particles,
                                                     const std::string& model_name);

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
