// A generated shower sample against a reference one (a full simulation),
// read from two showers files: every shower shape of both, their distances
// (W1, W1/σ, χ²/ndf) and the mean shower per layer of each; and the report
// folder `jetimg compare` writes from it:
//
//   <shape>.png                            overlaid histograms of both samples, one per shape
//   mean_layer_<l>_reference.png           the mean shower of each sample, layer by layer
//   mean_layer_<l>_generated.png
//   report.json                            every number above (shower_report_json)
//
// Computing and writing are separate so that a caller (the tool, the Python
// module) can take the numbers without the files, and run its own guards on
// the folder before anything is written.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "physics/shower_shapes.h"

namespace jetimg {

struct CompareSettings {
  std::string reference, generated;  // showers files (io/showers_file.h), same calorimeter
  // Names for legends, titles and the report; unset: the file's name.
  std::optional<std::string> reference_label, generated_label;
  int64_t max_showers = 0;  // use at most this many showers of each file; 0: all
  int64_t chunk = 10000;    // showers read at a time
  int bins = 50;            // most histogram bins per shape (plots and χ²)
  double threshold = 0;     // MeV: a cell counts as hit (sparsity) above this
  bool log_y = false;       // logarithmic y axes on the histograms
};

struct ShowerSample {
  std::string path, role, label;  // role: "reference" or "generated"
  int64_t showers = 0;
  ShowerShapes shapes;
  std::vector<std::vector<double>> mean_layers;  // per layer, rows × cols row-major: mean MeV per cell
};

struct ShowerReport {
  CompareSettings settings;
  ShowerSample reference, generated;
  std::vector<LayerGeometry> geometry;
  std::vector<ShapeDistance> distances;  // one per shape, in the order of the shape columns
  std::string position_unit;             // "mm" or "cells" (see position_unit in physics/shower_shapes.h)
  std::vector<CellSize> cell_sizes;      // per layer, in position_unit
  double mean_w1_normalised = 0;         // the one-number summary (mean_normalised_w1)
};

// Progress of the reading: called for each sample with done = 0 before its
// first chunk and then after every chunk with the showers read so far, out of
// `total`.
using CompareProgress = std::function<void(const std::string& role, int64_t done, int64_t total)>;

// Reads both files in chunks and compares them. Errors name the file: a
// missing or unreadable file, no showers, layers that differ between the two.
ShowerReport compare_shower_files(const CompareSettings& settings, const CompareProgress& progress = {});

// report.json's contents.
Json shower_report_json(const ShowerReport& report);

// Writes the histograms, the mean-shower maps and report.json into `dir`,
// which must exist (make_output_folder in io/outputs.h), each file atomically;
// other files in `dir` are left alone.
void write_shower_report(const std::string& dir, const ShowerReport& report);

}  // namespace jetimg
