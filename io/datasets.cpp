#include "io/datasets.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "io/hdf5.h"
#include "physics/pdg.h"

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

// --- labelled rows ---------------------------------------------------------------------

void LabelledDataset::add_file(const std::string& path, int label, const std::vector<int32_t>& stored,
                               const std::vector<double>& pt) {
  paths_.push_back(path);
  first_.push_back(size());
  for (size_t i = 0; i < stored.size(); ++i) {
    if (label < 0 && stored[i] != 0 && stored[i] != 1)
      fail("'", path, "': ", noun(), " ", i, " has label ", stored[i], ", expected 0 (background) or 1 (signal)");
    labels_.push_back(static_cast<float>(label >= 0 ? label : stored[i]));
    pt_.push_back(pt[i]);
  }
}

std::pair<size_t, int64_t> LabelledDataset::locate(int64_t row) const {
  const size_t f = static_cast<size_t>(std::upper_bound(first_.begin(), first_.end(), row) - first_.begin() - 1);
  return {f, row - first_[f]};
}

std::string LabelledDataset::describe(int64_t row) const {
  const auto [f, in_file] = locate(row);
  return std::string(noun()) + " " + std::to_string(in_file) + " of '" + paths_[f] + "'";
}

void LabelledDataset::require_both_classes() const {
  const auto signal = std::count(labels_.begin(), labels_.end(), 1.0f);
  if (signal > 0 && signal < static_cast<int64_t>(labels_.size())) return;
  std::string names;
  for (const std::string& p : paths_) names += (names.empty() ? "'" : ", '") + p + "'";
  fail(names, " hold", paths_.size() == 1 ? "s" : "", " only ", signal == 0 ? "background (label 0)" : "signal (label 1)",
       " ", noun(), "s; training needs both classes (or give --signal and --background files)");
}

// --- images --------------------------------------------------------------------------------

ImagesDataset::ImagesDataset(const std::vector<std::string>& files, const std::vector<int>& labels) {
  if (files.empty() || files.size() != labels.size()) fail("images dataset: give one label (or -1) per file");
  for (size_t f = 0; f < files.size(); ++f) {
    readers_.push_back(std::make_unique<ImagesReader>(files[f]));
    const ImagesReader& r = *readers_.back();
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
    // The small per-jet columns, read in chunks.
    std::vector<int32_t> stored;
    std::vector<double> pt;
    for (int64_t b = 0; b < r.size(); b += 65536) {
      const int64_t n = std::min<int64_t>(65536, r.size() - b);
      const ImageAux aux = r.read_aux(b, n);
      stored.insert(stored.end(), aux.label.begin(), aux.label.begin() + n);
      pt.insert(pt.end(), aux.pt.begin(), aux.pt.begin() + n);
    }
    add_file(files[f], labels[f], stored, pt);
  }
}

std::vector<Column> ImagesDataset::columns() const { return {{"images", sample_shape_}, {"label", {1}}, {"pt", {1}}}; }

TensorMap ImagesDataset::read(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size())
    fail("images dataset: rows [", begin, ", ", begin + count, ") are outside its ", size(), " images");
  std::vector<int64_t> dims{count};
  dims.insert(dims.end(), sample_shape_.begin(), sample_shape_.end());
  Tensor images = Tensor::empty(Shape(dims)), label = Tensor::empty({count, 1}), pt = Tensor::empty({count, 1});
  const int64_t floats = images.numel() / std::max<int64_t>(count, 1);
  for (int64_t done = 0; done < count;) {
    const auto [f, in_file] = locate(begin + done);
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

// --- jets ----------------------------------------------------------------------------------

JetsDataset::JetsDataset(const std::vector<std::string>& files, const std::vector<int>& labels) {
  if (files.empty() || files.size() != labels.size()) fail("jets dataset: give one label (or -1) per file");
  for (size_t f = 0; f < files.size(); ++f) {
    readers_.push_back(std::make_unique<JetsReader>(files[f]));
    const JetsReader& r = *readers_.back();
    if (r.size() == 0) fail("'", files[f], "' holds no jets");
    max_constituents_ = std::max<int64_t>(max_constituents_, r.max_constituents());
    has_pdg_ = has_pdg_ && r.has_pdg();
    add_file(files[f], labels[f], r.labels(), r.pt());
  }
  if (max_constituents_ < 1) fail("'", files[0], "' has room for no constituents per jet");
}

std::vector<Column> JetsDataset::columns() const {
  std::vector<Column> out{{"constituents", {max_constituents_, 4}}, {"n_constituents", {1}}, {"jet", {4}},
                          {"label", {1}}, {"pt", {1}}};
  if (has_pdg_) out.insert(out.end(), {{"pdg", {max_constituents_}}, {"charge", {max_constituents_}}});
  return out;
}

TensorMap JetsDataset::read(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size())
    fail("jets dataset: rows [", begin, ", ", begin + count, ") are outside its ", size(), " jets");
  const int64_t s = max_constituents_;
  Tensor constituents = Tensor::zeros({count, s, 4}), n_constituents = Tensor::empty({count, 1});
  Tensor jet = Tensor::empty({count, 4}), label = Tensor::empty({count, 1}), pt = Tensor::empty({count, 1});
  Tensor pdg, charge;
  if (has_pdg_) pdg = Tensor::zeros({count, s}), charge = Tensor::zeros({count, s});
  for (int64_t done = 0; done < count;) {
    const auto [f, in_file] = locate(begin + done);
    const int64_t n = std::min(count - done, readers_[f]->size() - in_file);
    const JetsTable t = readers_[f]->read(in_file, n);
    const int64_t m = t.max_constituents;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = done + i;
      const int32_t c = t.n_constituents[static_cast<size_t>(i)];
      const auto where = [&] { return "'" + paths_[f] + "': jet " + std::to_string(in_file + i); };
      if (c < 1 || c > m)
        fail(where(), " has ", c, " constituents, expected 1 to ", m, " (the room the file has per jet)");
      // (The reader has checked that every value is finite.)
      for (int64_t k = 0; k < 4; ++k) jet.data()[row * 4 + k] = static_cast<float>(t.jet[static_cast<size_t>(i * 4 + k)]);
      const float* src = t.constituents.data() + i * m * 4;
      std::memcpy(constituents.data() + row * s * 4, src, static_cast<size_t>(c * 4) * sizeof(float));
      n_constituents.data()[row] = static_cast<float>(c);
      label.data()[row] = labels_[static_cast<size_t>(begin + row)];
      pt.data()[row] = static_cast<float>(pt_[static_cast<size_t>(begin + row)]);
      if (has_pdg_)
        for (int64_t k = 0; k < c; ++k) {
          const int32_t code = t.constituent_pdg[static_cast<size_t>(i * m + k)];
          pdg.data()[row * s + k] = static_cast<float>(code);
          charge.data()[row * s + k] = static_cast<float>(pdg_three_charge(code)) / 3.0f;
        }
    }
    done += n;
  }
  TensorMap out{{"constituents", constituents}, {"n_constituents", n_constituents}, {"jet", jet},
                {"label", label}, {"pt", pt}};
  if (has_pdg_) out["pdg"] = pdg, out["charge"] = charge;
  return out;
}

std::string stored_format(const std::string& path) {
  const h5::File file = h5::File::open(path);
  return file.has_attribute("format") ? file.read_string_attribute("format") : std::string();
}

std::unique_ptr<LabelledDataset> open_tagger_dataset(const std::vector<std::string>& files,
                                                     const std::vector<int>& labels, bool particles,
                                                     const std::string& model_name) {
  for (const std::string& path : files) {
    const std::string format = stored_format(path);
    if (particles && format == "jetimg-images")
      fail(model_name, " is a particle-cloud model, which reads jets files (jetimg cluster), but '", path,
           "' is an images file");
    if (!particles && format == "jetimg-jets")
      fail(model_name, " takes images, but '", path, "' is a jets file: make images from it with jetimg "
           "preprocess, or give a particle-cloud model (e.g. configs/nets/pfn.json)");
  }
  if (particles) return std::make_unique<JetsDataset>(files, labels);
  return std::make_unique<ImagesDataset>(files, labels);
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
