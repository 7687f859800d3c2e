#include "io/datasets.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace jetimg {

int64_t Column::values() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t Dataset::row_bytes() const {
  int64_t bytes = 0;
  for (const Column& c : columns()) bytes += c.values() * static_cast<int64_t>(sizeof(float));
  return bytes;
}

// --- images --------------------------------------------------------------------------------

ImagesDataset::ImagesDataset(const std::vector<std::string>& files, const std::vector<int>& labels) {
  if (files.empty() || files.size() != labels.size()) fail("images dataset: give one label (or -1) per file");
  for (size_t f = 0; f < files.size(); ++f) {
    readers_.push_back(std::make_unique<ImagesReader>(files[f]));
    const ImagesReader& r = *readers_.back();
    paths_.push_back(files[f]);
    if (r.size() == 0) fail("'", files[f], "' holds no images");
    const std::vector<int64_t> shape =
        r.channels() == 1 ? std::vector<int64_t>{r.height(), r.width()}
                          : std::vector<int64_t>{r.channels(), r.height(), r.width()};
    if (f == 0) sample_shape_ = shape;
    const auto text = [](const std::vector<int64_t>& s) {
      std::string t = "(";
      for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
      return t + ")";
    };
    if (shape != sample_shape_)
      fail("the images in '", files[f], "' are ", text(shape), " but those in '", files[0], "' are ",
           text(sample_shape_));
    first_.push_back(total_);
    total_ += r.size();
    // The small per-jet columns, read in chunks.
    for (int64_t b = 0; b < r.size(); b += 65536) {
      const int64_t n = std::min<int64_t>(65536, r.size() - b);
      const ImageAux aux = r.read_aux(b, n);
      for (int64_t i = 0; i < n; ++i) {
        const int stored = aux.label[static_cast<size_t>(i)];
        if (labels[f] < 0 && stored != 0 && stored != 1)
          fail("'", files[f], "': image ", b + i, " has label ", stored, ", expected 0 (background) or 1 (signal)");
        labels_.push_back(static_cast<float>(labels[f] >= 0 ? labels[f] : stored));
        pt_.push_back(aux.pt[static_cast<size_t>(i)]);
      }
    }
  }
}

void ImagesDataset::require_both_classes() const {
  const auto signal = std::count(labels_.begin(), labels_.end(), 1.0f);
  if (signal > 0 && signal < static_cast<int64_t>(labels_.size())) return;
  std::string names;
  for (const std::string& p : paths_) names += (names.empty() ? "'" : ", '") + p + "'";
  fail(names, " hold", paths_.size() == 1 ? "s" : "", " only ", signal == 0 ? "background (label 0)" : "signal (label 1)",
       " images; training needs both classes (or give --signal and --background files)");
}

std::vector<Column> ImagesDataset::columns() const { return {{"images", sample_shape_}, {"label", {1}}, {"pt", {1}}}; }

TensorMap ImagesDataset::read(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > total_)
    fail("images dataset: rows [", begin, ", ", begin + count, ") are outside its ", total_, " images");
  std::vector<int64_t> dims{count};
  dims.insert(dims.end(), sample_shape_.begin(), sample_shape_.end());
  Tensor images = Tensor::empty(Shape(dims)), label = Tensor::empty({count, 1}), pt = Tensor::empty({count, 1});
  const int64_t floats = images.numel() / std::max<int64_t>(count, 1);
  for (int64_t done = 0; done < count;) {
    const int64_t row = begin + done;
    const size_t f = static_cast<size_t>(std::upper_bound(first_.begin(), first_.end(), row) - first_.begin() - 1);
    const int64_t in_file = row - first_[f];
    const int64_t n = std::min(count - done, readers_[f]->size() - in_file);
    readers_[f]->read_images(in_file, n, images.data() + done * floats);
    done += n;
  }
  for (int64_t i = 0; i < count; ++i) {
    label.data()[i] = labels_[static_cast<size_t>(begin + i)];
    pt.data()[i] = static_cast<float>(pt_[static_cast<size_t>(begin + i)]);
  }
  return {{"images", images}, {"label", label}, {"pt", pt}};
}

std::string ImagesDataset::describe(int64_t row) const {
  const size_t f = static_cast<size_t>(std::upper_bound(first_.begin(), first_.end(), row) - first_.begin() - 1);
  return "image " + std::to_string(row - first_[f]) + " of '" + paths_[f] + "'";
}

// --- showers -------------------------------------------------------------------------------

ShowersDataset::ShowersDataset(const std::string& path, int64_t max_rows) : reader_(path) {
  size_ = max_rows > 0 ? std::min(max_rows, reader_.size()) : reader_.size();
  if (size_ == 0) fail("'", path, "' holds no showers");
}

std::vector<Column> ShowersDataset::columns() const {
  std::vector<Column> out{{"energy", {1}}};
  for (size_t l = 0; l < reader_.geometry().size(); ++l)
    out.push_back({"layer_" + std::to_string(l), {1, reader_.geometry()[l].rows, reader_.geometry()[l].cols}});
  return out;
}

TensorMap ShowersDataset::read(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size_)
    fail("'", reader_.path(), "': showers [", begin, ", ", begin + count, ") are outside the ", size_, " used");
  const ShowerBatch batch = reader_.read(begin, count);
  TensorMap out{{"energy", batch.energy}};
  for (size_t l = 0; l < batch.layers.size(); ++l) {
    const LayerGeometry& g = reader_.geometry()[l];
    Tensor gev = batch.layers[l].view({count, 1, g.rows, g.cols});
    float* v = gev.data();
    for (int64_t k = 0; k < gev.numel(); ++k) v[k] *= 1e-3f;  // MeV -> GeV, as the networks see showers
    out["layer_" + std::to_string(l)] = gev;
  }
  return out;
}

std::string ShowersDataset::describe(int64_t row) const {
  return "shower " + std::to_string(row) + " of '" + reader_.path() + "'";
}

}  // namespace jetimg
