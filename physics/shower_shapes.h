// Shower shapes: the per-shower observables by which fast calorimeter
// simulations (CaloGAN and its successors) are checked against a full
// simulation, and their distances between two samples of showers.
//
// Layers are indexed i = 0, 1, ... from the front of the calorimeter. Cell
// energies are MeV; energies in the table are GeV. Within a layer, rows run
// along η and columns along φ; a cell's position is its centre relative to
// the centre of the layer, in mm where the cell sizes are known (CaloGAN's
// geometry, or ShapeOptions::cell_sizes) and in cells otherwise.
//
// Per shower (columns of the table, in this order):
//   energy_total            E_tot = Σ_i E_i                          GeV
//   energy_ratio            E_tot / E_incident (0 when E_incident = 0)
//   depth_weighted_energy   l_d = Σ_i i·E_i                          GeV
//   depth                   s_d = l_d / E_tot, the energy-weighted mean layer index
//   depth_width             σ_sd = sqrt(Σ_i i²·E_i / E_tot - s_d²), its spread
// and for each layer i:
//   energy_layer_i          E_i, the sum of the layer's cells        GeV
//   fraction_layer_i        E_i / E_tot
//   centroid_eta_layer_i    ⟨η⟩ = Σ_c E_c·η_c / E_i, energy-weighted mean row position
//   centroid_phi_layer_i    ⟨φ⟩, the same along the columns
//   width_eta_layer_i       sqrt(Σ_c E_c·(η_c - ⟨η⟩)² / E_i), energy-weighted standard deviation
//   width_phi_layer_i       the same along the columns
//   sparsity_layer_i        fraction of the layer's cells with E_c > threshold
//   max_cell_fraction_layer_i  E_max / E_i, the brightest cell's share of the layer
//   e_ratio_layer_i         (E_max - E_2nd) / (E_max + E_2nd), brightest against second-brightest cell
// Every value is finite: a ratio whose denominator is zero (an empty shower,
// an empty layer) is defined as 0, so an empty layer has centroid 0, width 0,
// max-cell fraction 0 and E_ratio 0. Widths are never negative.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "physics/calo_showers.h"
#include "physics/sample_distances.h"

namespace jetimg {

// The size of one cell of a layer: along the rows (η) and the columns (φ).
struct CellSize {
  double eta = 1, phi = 1;
};

// The CaloGAN calorimeter's cells in mm: every layer covers 480 mm × 480 mm,
// so layer 0 (3 × 96) has 160 × 5 mm cells, layer 1 (12 × 12) 40 × 40 mm and
// layer 2 (12 × 6) 40 × 80 mm (η × φ).
std::vector<CellSize> calogan_cell_sizes();

struct ShapeOptions {
  // Per layer, in mm. Empty: CaloGAN's cells when the showers have CaloGAN's
  // geometry, otherwise positions are counted in cells.
  std::vector<CellSize> cell_sizes;
  // A cell counts towards the sparsity when its energy is above this (MeV).
  double cell_threshold = 0;
};

// One column of the table: a shape's value for every shower, with what a
// histogram of it needs.
struct ShapeColumn {
  std::string name;   // identifier, e.g. "width_eta_layer_1" (file names, JSON keys)
  std::string label;  // axis title, e.g. "lateral width in η, layer 1"
  std::string unit;   // "GeV", "mm", "cells", "layers", or "" for a ratio
  double step = 0;    // > 0: the values are multiples of it (sparsity: 1 / cells); bins align to them
  std::vector<double> values;
};

struct ShowerShapes {
  std::vector<ShapeColumn> columns;
  int64_t showers() const { return columns.empty() ? 0 : static_cast<int64_t>(columns[0].values.size()); }
  // The column named `name`; throws Error listing the names when there is none.
  const ShapeColumn& column(const std::string& name) const;
  // Appends the rows of `more`, which must have the same columns (the shapes
  // of the next chunk of a file).
  void append(const ShowerShapes& more);
};

// The shapes above for every shower of `batch` (CPU or device tensors; the
// cells are read on the CPU). Throws Error naming the shower and layer when a
// cell energy is not finite, and when options.cell_sizes does not give one
// size per layer.
ShowerShapes compute_shower_shapes(const ShowerBatch& batch, const ShapeOptions& options = {});

// The unit in which compute_shower_shapes measures positions for showers of
// `geometry` with `options`: "mm" or "cells". `sizes` (if not null) receives
// the cell size of each layer in that unit.
std::string position_unit(const std::vector<LayerGeometry>& geometry, const ShapeOptions& options,
                          std::vector<CellSize>* sizes = nullptr);

// How far one shape of a candidate sample is from the reference sample.
struct ShapeDistance {
  std::string name, label, unit;
  SampleMoments reference, candidate;  // mean and standard deviation of each sample
  double w1 = 0;             // Wasserstein-1 distance, in the shape's unit
  double w1_normalised = 0;  // W1 / std(reference) (see normalised_wasserstein_1d)
  Binning binning;           // the common histogram bins of the χ²
  ChiSquare chi2;            // two-sample χ² over those bins
};

// Distances per shape, in the order of the columns. The two tables must have
// the same columns; `bins` is the most histogram bins per shape.
std::vector<ShapeDistance> compare_shapes(const ShowerShapes& reference, const ShowerShapes& candidate, int bins = 50);

// For training code measuring progress: the shapes of both batches and their
// distances. The batches must have the same geometry (Error otherwise,
// naming both) and at least one shower each.
std::vector<ShapeDistance> compare_shower_shapes(const ShowerBatch& reference, const ShowerBatch& candidate,
                                                 const ShapeOptions& options = {}, int bins = 50);

// One number for a whole comparison: the mean of w1_normalised over the
// shapes (0 for identical samples; lower is better). 0 for an empty list.
double mean_normalised_w1(const std::vector<ShapeDistance>& distances);

}  // namespace jetimg
