// The scores file (HDF5) written by `jetimg predict`: a network's scores for
// every image of an images file, in file order, beside the per-jet values a
// physicist plots them against. One row per image (N images):
//
//   score         (N, outputs) float32  the network's outputs after its score
//                                       transform (sigmoid, softmax or none)
//   label         (N) int32    1 signal, 0 background (from the images file)
//   weight        (N) float32
//   pt, trimmed_mass, tau21    (N) float64
//   attributes: format = "jetimg-scores" (no version attribute: version 1),
//               checkpoint = the checkpoint that scored, images = the images file
//
// io/ sits below models/, so the scores come in as plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/images_file.h"

namespace jetimg {

struct ScoresFile {
  int64_t rows = 0, outputs = 0;
  std::vector<float> score;  // (rows, outputs), row-major
  std::vector<int32_t> label;
  std::vector<float> weight;
  std::vector<double> pt, trimmed_mass, tau21;
  std::string checkpoint, images;  // the attributes
};

// Writes `path` atomically: `scores` holds aux.size() rows of `outputs`
// values; the other columns come from `aux`. Error when the sizes disagree.
void write_scores_file(const std::string& path, const std::vector<float>& scores, int64_t outputs,
                       const ImageAux& aux, const std::string& checkpoint, const std::string& images);

// Reads a whole scores file, checking the format attribute and every
// dataset's shape and element type first; Errors name the file and dataset.
ScoresFile read_scores_file(const std::string& path);

}  // namespace jetimg
