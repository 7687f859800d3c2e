// Plots as PNG files (cairo): heat maps of images (a jet image or an average
// image with axes in the image plane (η′, φ′), a colour bar, and a log or a
// diverging linear colour scale), ROC curves in the form taggers are
// compared in (background rejection 1/ε_B on a log axis against ε_S), and
// overlaid histograms of one observable in several samples (shower shapes of
// a reference simulation against a generated one).
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

struct HistogramSeries {
  std::string label;           // legend entry, e.g. "reference (Geant4)"
  std::vector<double> counts;  // per bin, non-negative
};

struct HistogramSpec {
  std::string title;
  std::string x_label;  // with the unit, e.g. "lateral width in η, layer 1  (mm)"
  std::string y_label = "fraction of showers per bin";
  double lo = 0, hi = 1;           // the range of the bins, which are equal-width
  bool normalise = true;           // each series divided by its total
  bool log_y = false;              // logarithmic y axis (empty bins drop to the bottom)
  std::vector<std::string> notes;  // written under the title, e.g. "W1 = 2.1 mm"
};

// Writes the series as step lines over the same bins (every series has as
// many counts as the first), with a legend, atomically.
void write_histograms_png(const std::string& path, const std::vector<HistogramSeries>& series,
                          const HistogramSpec& spec);

}  // namespace jetimg
