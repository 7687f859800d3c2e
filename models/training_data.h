// Labelled jet images for training, read from images files (`jetimg
// preprocess`) in chunks into host memory: signal and background as two
// files (labels 1 and 0), or one file with its `label` column. Also the
// flat-pT sample weights and the seeded shuffles training uses.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/layer.h"

namespace jetimg {

struct LabelledImages {
  SampleShape sample_shape;    // (H, W) or (C, H, W)
  int64_t image_floats = 0;    // values per image
  std::vector<float> images;   // size() · image_floats
  std::vector<float> labels;   // 1 signal, 0 background
  std::vector<double> pt;      // jet pT [GeV], for flat-pT weights
  std::vector<std::string> files;
  std::vector<int32_t> file_of;  // per image: index into `files`
  std::vector<int64_t> row_of;   // per image: row in its file
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  // "image 17 of 'w.h5'", for messages.
  std::string describe(int64_t i) const;
};

// Signal and background files (each image labelled by the file it is in).
// Errors name the file: missing, not an images file, no images, image shapes
// that differ between the files. `on_chunk` (if set) gets the images read.
LabelledImages read_signal_background(const std::string& signal, const std::string& background,
                                      const std::function<void(int64_t)>& on_chunk = {});
// One file with both classes in its `label` column (which must be 0 or 1,
// with both present).
LabelledImages read_labelled(const std::string& path, const std::function<void(int64_t)>& on_chunk = {});

// Weights that make each class's pT distribution flat: `bins` equal bins
// between the smallest and largest pT of all images; an image weighs
// (N_class / filled bins of its class) / (its class's images in its bin), so
// every filled bin of a class carries the same weight and each class keeps
// its total weight N_class.
std::vector<float> flat_pt_weights(const std::vector<double>& pt, const std::vector<float>& labels, int bins);

// A permutation of 0 .. n-1 (Fisher-Yates on Philox numbers of (seed,
// stream)): the same on every machine for the same seed and stream.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t stream);

}  // namespace jetimg
