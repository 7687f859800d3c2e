// Heat maps of images as PNG files (cairo): a jet image or an average image
// with axes in the image plane (η′, φ′), a colour bar, and a log or a
// diverging linear colour scale.
#pragma once

#include <string>
#include <vector>

namespace jetimg {

struct HeatmapSpec {
  std::string title;
  std::string colour_label = "mean pixel intensity";
  std::string x_label = "translated pseudorapidity  η′";
  std::string y_label = "translated azimuth  φ′";
  int height = 0, width = 0;                 // pixels of the image
  float pixel_eta = 0.1f, pixel_phi = 0.1f;  // their size, for the axes
  bool log_scale = true;                     // log10 colours, else linear
  bool diverging = false;                    // symmetric blue-white-red around zero (linear)
  double log_floor = 1e-4;                   // log scale: smallest value shown, relative to the maximum
};

// Writes `image` (height × width, row 0 at the top) to `path`, atomically.
void write_heatmap_png(const std::string& path, const std::vector<double>& image, const HeatmapSpec& spec);

}  // namespace jetimg
