// Preprocessing configuration files (configs/preprocess_*.json): a
// convention preset ("w" or "top") and any of its settings overridden.
//
//   convention      "w" | "top"                         the preset to start from
//   constituents    "trimmed" | "all"                   which constituents are imaged
//   centre          "leading_subjet" | "centroid" | "jet_axis"
//   rotation        "subjet" | "principal_axis" | "none"
//   flip            "subjet" | "brighter_half" | "quadrant" | "none"
//   rotation_space  "image" | "constituents"            interpolate the image, or move constituents
//   zoom            true | false, zoom_R, zoom_mass,     scale by max(R·pT/(2·m), zoom_min)
//                   zoom_min
//   image_size      [height, width]
//   pixel_size      [Δη, Δφ]
//   threshold       GeV, per-constituent intensity threshold
//   intensity       "pt" | "et"
//   channels        1-4 of "intensity" (all constituents), "count" (how many),
//                   "charged", "neutral" (intensity of the charged / neutral
//                   ones; need inputs with PDG codes), e.g. ["charged", "neutral", "count"]
//   normalisation   "sum" | "l2" | "none"
//   canvas_size     image-space path: side of the canvas before rotation (0: automatic)
#pragma once

#include <string>

#include "core/preprocess.h"
#include "core/config.h"
#include "io/jet_batch.h"

namespace jetimg {

struct ImagingConfig {
  PreprocessConfig preprocess;
  ConstituentSet constituents = ConstituentSet::Trimmed;
  std::string convention = "w";
};

// The preset for "w" or "top" (Error otherwise).
ImagingConfig imaging_preset(const std::string& convention);
// Reads a preprocessing config file; "" or a bare convention name ("w", "top") give presets.
ImagingConfig load_imaging_config(const std::string& path_or_convention);
// Reads the settings from an already parsed section (e.g. inside a run config).
ImagingConfig imaging_config_from(const Json& json, const std::string& file);
Json to_json(const ImagingConfig& config);

}  // namespace jetimg
