#include "models/training_data.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/philox.h"
#include "io/images_file.h"

namespace jetimg {
namespace {

constexpr int64_t kChunk = 4096;  // images read at a time

SampleShape shape_of(const ImagesReader& reader) {
  if (reader.channels() == 1) return {reader.height(), reader.width()};
  return {reader.channels(), reader.height(), reader.width()};
}

// Appends every image of `path`; label < 0 takes the file's label column.
void append_file(LabelledImages& data, const std::string& path, int label,
                 const std::function<void(int64_t)>& on_chunk) {
  const ImagesReader reader(path);
  if (reader.size() == 0) fail("'", path, "' holds no images");
  const SampleShape shape = shape_of(reader);
  if (data.files.empty()) {
    data.sample_shape = shape;
    data.image_floats = reader.image_floats();
  } else if (shape != data.sample_shape) {
    fail("the images in '", path, "' are ", shape_string(shape), " but those in '", data.files[0], "' are ",
         shape_string(data.sample_shape));
  }
  const int32_t file_index = static_cast<int32_t>(data.files.size());
  data.files.push_back(path);
  const int64_t first_image = data.size();
  data.images.resize(static_cast<size_t>((first_image + reader.size()) * data.image_floats));
  for (int64_t begin = 0; begin < reader.size(); begin += kChunk) {
    const int64_t count = std::min(kChunk, reader.size() - begin);
    reader.read_images(begin, count, data.images.data() + (first_image + begin) * data.image_floats);
    const ImageAux aux = reader.read_aux(begin, count);
    for (int64_t i = 0; i < count; ++i) {
      const int32_t stored = aux.label[static_cast<size_t>(i)];
      if (label < 0 && stored != 0 && stored != 1)
        fail("'", path, "': image ", begin + i, " has label ", stored, ", expected 0 (background) or 1 (signal)");
      data.labels.push_back(static_cast<float>(label < 0 ? stored : label));
      data.pt.push_back(aux.pt[static_cast<size_t>(i)]);
      data.file_of.push_back(file_index);
      data.row_of.push_back(begin + i);
    }
    if (on_chunk) on_chunk(count);
  }
}

}  // namespace

std::string LabelledImages::describe(int64_t i) const {
  return "image " + std::to_string(row_of[static_cast<size_t>(i)]) + " of '" +
         files[static_cast<size_t>(file_of[static_cast<size_t>(i)])] + "'";
}

LabelledImages read_signal_background(const std::string& signal, const std::string& background,
                                      const std::function<void(int64_t)>& on_chunk) {
  LabelledImages data;
  append_file(data, signal, 1, on_chunk);
  append_file(data, background, 0, on_chunk);
  return data;
}

LabelledImages read_labelled(const std::string& path, const std::function<void(int64_t)>& on_chunk) {
  LabelledImages data;
  append_file(data, path, -1, on_chunk);
  const auto signal = std::count(data.labels.begin(), data.labels.end(), 1.0f);
  if (signal == 0 || signal == data.size())
    fail("'", path, "' holds only ", signal == 0 ? "background (label 0)" : "signal (label 1)",
         " images; training needs both classes (or give --signal and --background files)");
  return data;
}

std::vector<float> flat_pt_weights(const std::vector<double>& pt, const std::vector<float>& labels, int bins) {
  if (pt.size() != labels.size()) fail("flat_pt_weights: ", pt.size(), " pT values but ", labels.size(), " labels");
  if (bins < 1) fail("flat_pt_weights: need at least one bin, got ", bins);
  if (pt.empty()) return {};
  const auto [lo_it, hi_it] = std::minmax_element(pt.begin(), pt.end());
  const double lo = *lo_it, width = std::max((*hi_it - lo) / bins, 1e-12);
  const auto bin_of = [&](double v) { return std::min(bins - 1, std::max(0, static_cast<int>((v - lo) / width))); };
  std::map<float, std::vector<int64_t>> counts;  // per class, per bin
  std::map<float, int64_t> totals;
  for (size_t i = 0; i < pt.size(); ++i) {
    auto& c = counts[labels[i]];
    if (c.empty()) c.assign(static_cast<size_t>(bins), 0);
    ++c[static_cast<size_t>(bin_of(pt[i]))];
    ++totals[labels[i]];
  }
  std::map<float, int> filled;
  for (const auto& [label, c] : counts) filled[label] = static_cast<int>(std::count_if(c.begin(), c.end(), [](int64_t n) { return n > 0; }));
  std::vector<float> weights(pt.size());
  for (size_t i = 0; i < pt.size(); ++i) {
    const float label = labels[i];
    const double per_bin = static_cast<double>(totals[label]) / filled[label];
    weights[i] = static_cast<float>(per_bin / counts[label][static_cast<size_t>(bin_of(pt[i]))]);
  }
  return weights;
}

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t stream) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    // A 64-bit draw per position; the modulo bias is below 2^-40 for any n here.
    const Philox4 r = philox_block(seed, stream, static_cast<uint64_t>(i));
    const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    const int64_t j = static_cast<int64_t>(bits % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

}  // namespace jetimg
