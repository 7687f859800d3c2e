// Per-pixel statistics of an images file of any size: mean, standard
// deviation and the mean with each jet weighted so that the jet-pT
// distribution is flat, streamed in chunks through a device; and the small
// HDF5 file `jetimg stats` writes them to:
//
//   mean, std, mean_flat_pt   (C, H, W) float32
//   attributes: format = "jetimg-image-stats", images (count), pt_bins,
//               input (the images file)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/context.h"

namespace jetimg {

struct ImageStats {
  std::string input;  // the images file
  int64_t images = 0;
  int channels = 1, height = 0, width = 0;
  int pt_bins = 0;
  // Per pixel, (C, H, W) row-major.
  std::vector<float> mean, stddev, mean_flat_pt;  // datasets mean, std, mean_flat_pt
  // For a one-line summary: the sum of `mean` and the largest `stddev`.
  double total_intensity = 0, max_std = 0;
};

// Weights that make the distribution of `pt` flat over `bins` equal bins
// between its smallest and largest value (each filled bin gets an equal share
// of the total weight, which is pt.size()).
std::vector<float> flat_pt_weights(const std::vector<double>& pt, int bins);

// The statistics of every image of `images_path`, `chunk` images at a time on
// ctx's device. `on_chunk`, when set, is called after each chunk with the
// number of images it held. Error naming the file when it holds no images.
ImageStats image_statistics(Context& ctx, const std::string& images_path, int64_t chunk, int pt_bins,
                            const std::function<void(int64_t)>& on_chunk = {});

// Writes `stats` to `path` in the layout above (atomically).
void write_image_stats(const std::string& path, const ImageStats& stats);

}  // namespace jetimg
