// Jet mass and τ21 measured on a finished jet image rather than on the jet's
// constituents: every non-empty pixel of the intensity channel counts as a
// massless particle at the pixel's centre. This is how the W-tagging study
// compared its networks with mass and τ21: both then see the same pixels, so
// the comparison isolates what the network learns beyond the two variables
// instead of the resolution the pixelation takes away.
//
// Pixel (row, col) of an H×W image with pixel size (Δη, Δφ) sits at
// x = (col + ½ − W/2)·Δη, y = (H/2 − row − ½)·Δφ (core/preprocess.h). The
// image plane is the jet's frame (centred, rotated, flipped, zoomed); x and y
// are divided by the zoom factor to undo the zoom, and the image is rescaled
// to carry `total_pt` (its normalisation removed the scale). Rotation in the
// (η, φ) plane changes the mass only at order (ΔR)⁴, below the pixel size.
#pragma once

#include <vector>

#include "physics/fourvector.h"

namespace jetimg {

struct ImageGeometry {
  int height = 25, width = 25;
  double pixel_eta = 0.1, pixel_phi = 0.1;
};

struct ImageSubstructure {
  double mass = 0;   // GeV
  double tau21 = 0;  // τ2/τ1 (β = 1, WTA kT axes); 0 where τ1 is 0
};

// The pixels of one channel (H·W floats, row-major) as massless particles
// carrying `total_pt` in all. Empty for an image without positive pixels.
std::vector<FourVector> image_particles(const float* image, const ImageGeometry& geometry, double total_pt,
                                        double zoom = 1.0);

ImageSubstructure image_substructure(const float* image, const ImageGeometry& geometry, double total_pt,
                                     double zoom = 1.0);

}  // namespace jetimg
