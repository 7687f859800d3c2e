// The jets -> images stage shared by `jetimg preprocess` and the demo:
// reads a jets file in batches, preprocesses each batch on the device and
// streams the images into an images file.
#pragma once

#include <string>

#include "core/device.h"
#include "core/config.h"
#include "io/preprocess_config.h"

namespace jetimg::app {

struct ImagingSummary {
  int64_t jets = 0;
  double seconds = 0;         // everything: read, copy, kernels, write
  double device_seconds = 0;  // host->device copy, preprocessing, copy back
};

ImagingSummary make_images_file(const std::string& jets_path, const std::string& images_path,
                                const ImagingConfig& config, Device device, int64_t batch_size, bool show_progress);

// Mean image of an images file (channel 0), streamed in chunks on `device`.
std::vector<double> mean_image(const std::string& images_path, Device device, int64_t chunk);

}  // namespace jetimg::app
