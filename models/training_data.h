// Sample weights for training taggers: the flat-pT weights. (The images
// themselves stream from their files: io/datasets.h.)
#pragma once

#include <cstdint>
#include <vector>

namespace jetimg {

// Weights that make each class's pT distribution flat: `bins` equal bins
// between the smallest and largest pT of all images; an image weighs
// (N_class / filled bins of its class) / (its class's images in its bin), so
// every filled bin of a class carries the same weight and each class keeps
// its total weight N_class.
std::vector<float> flat_pt_weights(const std::vector<double>& pt, const std::vector<float>& labels, int bins);

}  // namespace jetimg
