// The jets -> images stage: reads a jets file in batches, preprocesses each
// batch on a device and streams the images into an images file; and the mean
// image of an images file. Shared by `jetimg preprocess`, `jetimg show`, the
// demo and the Python module, which bring their own progress display through
// the callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/device.h"
#include "io/preprocess_config.h"

namespace jetimg {

struct ImagingSummary {
  int64_t jets = 0;
  double seconds = 0;         // everything: read, copy, kernels, write
  double device_seconds = 0;  // host->device copy, preprocessing, copy back
};

// Writes `images_path` (atomically) from every jet of `jets_path`, `batch_size`
// jets at a time on `device`. `on_batch`, when set, is called after each batch
// with the number of jets it held.
ImagingSummary make_images_file(const std::string& jets_path, const std::string& images_path,
                                const ImagingConfig& config, Device device, int64_t batch_size,
                                const std::function<void(int64_t)>& on_batch = {});

// Mean image of an images file (channel 0), streamed in chunks on `device`.
std::vector<double> mean_image(const std::string& images_path, Device device, int64_t chunk);

}  // namespace jetimg
