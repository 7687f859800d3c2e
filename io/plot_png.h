// Plots as PNG files (cairo): heat maps of images (a jet image or an average
// image with axes in the image plane (η′, φ′), a colour bar, and a log or a
// diverging linear colour scale), and ROC curves in the form taggers are
// compared in (background rejection 1/ε_B on a log axis against ε_S).
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

struct RocSeries {
  std::string label;  // legend entry, e.g. "maxout network (AUC 0.953)"
  std::vector<double> signal_efficiency, background_efficiency;
};

// Writes 1/ε_B against ε_S for each series (points with ε_B = 0 are left
// out), with a legend and a dashed line for a random tagger, atomically.
void write_roc_png(const std::string& path, const std::vector<RocSeries>& series, const std::string& title);

}  // namespace jetimg
