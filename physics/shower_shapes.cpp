#include "physics/shower_shapes.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace jetimg {
namespace {

// The layers' cell grids from the tensors themselves, checked for shape.
std::vector<LayerGeometry> layer_grids(const ShowerBatch& batch) {
  std::vector<LayerGeometry> geometry;
  for (size_t l = 0; l < batch.layers.size(); ++l) {
    const Tensor& layer = batch.layers[l];
    if (layer.ndim() != 3 || layer.dim(0) != batch.size())
      fail("shower batch: layer ", l, " has shape ", layer.shape().str(), ", expected (", batch.size(),
           ", rows, cols) for ", batch.size(), " showers");
    geometry.push_back({static_cast<int>(layer.dim(1)), static_cast<int>(layer.dim(2))});
  }
  return geometry;
}

std::string describe(const std::vector<LayerGeometry>& geometry) {
  std::ostringstream s;
  for (size_t l = 0; l < geometry.size(); ++l) s << (l ? ", " : "") << geometry[l].rows << "x" << geometry[l].cols;
  return geometry.empty() ? "no layers" : s.str();
}

std::vector<float> host_values(const Tensor& t) { return t.defined() ? t.to_vector() : std::vector<float>{}; }

// Positions of the cell centres along one axis, relative to the layer centre.
std::vector<double> cell_centres(int cells, double size) {
  std::vector<double> x(static_cast<size_t>(cells));
  for (int k = 0; k < cells; ++k) x[static_cast<size_t>(k)] = (k + 0.5 - cells / 2.0) * size;
  return x;
}

double ratio(double numerator, double denominator) { return denominator != 0 ? numerator / denominator : 0.0; }

// The table's layout: the whole-shower columns, then a block per layer.
constexpr size_t kShowerColumns = 5, kLayerColumns = 9, kFractionInLayer = 1;

}  // namespace

std::vector<CellSize> calogan_cell_sizes() { return {{160, 5}, {40, 40}, {40, 80}}; }

std::string position_unit(const std::vector<LayerGeometry>& geometry, const ShapeOptions& options,
                          std::vector<CellSize>* sizes) {
  std::vector<CellSize> chosen = options.cell_sizes;
  std::string unit = "mm";
  if (chosen.empty()) {
    const std::vector<LayerGeometry> calogan = calogan_geometry();
    const bool is_calogan =
        geometry.size() == calogan.size() &&
        std::equal(geometry.begin(), geometry.end(), calogan.begin(), [](const LayerGeometry& a, const LayerGeometry& b) {
          return a.rows == b.rows && a.cols == b.cols;
        });
    chosen = is_calogan ? calogan_cell_sizes() : std::vector<CellSize>(geometry.size(), CellSize{1, 1});
    unit = is_calogan ? "mm" : "cells";
  } else if (chosen.size() != geometry.size()) {
    fail("shower shapes: ", chosen.size(), " cell sizes given for ", geometry.size(), " layers (", describe(geometry),
         "), expected one per layer");
  }
  for (size_t l = 0; l < chosen.size(); ++l)
    if (!(chosen[l].eta > 0) || !(chosen[l].phi > 0) || !std::isfinite(chosen[l].eta) || !std::isfinite(chosen[l].phi))
      fail("shower shapes: the cell size of layer ", l, " is ", chosen[l].eta, " x ", chosen[l].phi,
           ", expected positive sizes");
  if (sizes) *sizes = chosen;
  return unit;
}

const ShapeColumn& ShowerShapes::column(const std::string& name) const {
  for (const ShapeColumn& c : columns)
    if (c.name == name) return c;
  std::string names;
  for (const ShapeColumn& c : columns) names += (names.empty() ? "" : ", ") + c.name;
  fail("no shower shape named '", name, "' (there are: ", names, ")");
}

void ShowerShapes::append(const ShowerShapes& more) {
  if (columns.empty()) {
    *this = more;
    return;
  }
  if (more.columns.size() != columns.size())
    fail("shower shapes: cannot append ", more.columns.size(), " columns to ", columns.size());
  for (size_t k = 0; k < columns.size(); ++k) {
    if (more.columns[k].name != columns[k].name || more.columns[k].unit != columns[k].unit)
      fail("shower shapes: cannot append column '", more.columns[k].name, "' (", more.columns[k].unit, ") to '",
           columns[k].name, "' (", columns[k].unit, ")");
    columns[k].values.insert(columns[k].values.end(), more.columns[k].values.begin(), more.columns[k].values.end());
  }
}

ShowerShapes compute_shower_shapes(const ShowerBatch& batch, const ShapeOptions& options) {
  const std::vector<LayerGeometry> geometry = layer_grids(batch);
  std::vector<CellSize> sizes;
  const std::string pos = position_unit(geometry, options, &sizes);
  const int64_t n = batch.size();
  const size_t layers = geometry.size();

  ShowerShapes shapes;
  const auto add = [&](std::string name, std::string label, std::string unit, double step = 0) {
    shapes.columns.push_back({std::move(name), std::move(label), std::move(unit), step, {}});
    shapes.columns.back().values.reserve(static_cast<size_t>(n));
  };
  add("energy_total", "total energy  E_tot", "GeV");
  add("energy_ratio", "E_tot / E_incident", "");
  add("depth_weighted_energy", "depth-weighted energy  l_d = Σ i E_i", "GeV");
  add("depth", "shower depth  s_d = l_d / E_tot", "layers");
  add("depth_width", "depth width  σ_sd", "layers");
  for (size_t l = 0; l < layers; ++l) {
    const std::string s = std::to_string(l), in = ", layer " + s;
    add("energy_layer_" + s, "energy  E_" + s, "GeV");
    add("fraction_layer_" + s, "energy fraction  E_" + s + " / E_tot", "");
    add("centroid_eta_layer_" + s, "centroid in η" + in, pos);
    add("centroid_phi_layer_" + s, "centroid in φ" + in, pos);
    add("width_eta_layer_" + s, "lateral width in η" + in, pos);
    add("width_phi_layer_" + s, "lateral width in φ" + in, pos);
    add("sparsity_layer_" + s, "fraction of cells hit" + in, "", 1.0 / std::max<int64_t>(1, geometry[l].cells()));
    add("max_cell_fraction_layer_" + s, "brightest cell's share" + in, "");
    add("e_ratio_layer_" + s, "E_ratio (1st - 2nd) / (1st + 2nd)" + in, "");
  }

  const std::vector<float> incident = host_values(batch.energy);
  if (static_cast<int64_t>(incident.size()) < n)
    fail("shower batch: ", incident.size(), " incident energies for ", n, " showers, expected one each");
  std::vector<std::vector<float>> cells(layers);
  std::vector<std::vector<double>> eta(layers), phi(layers);
  for (size_t l = 0; l < layers; ++l) {
    cells[l] = host_values(batch.layers[l]);
    eta[l] = cell_centres(geometry[l].rows, sizes[l].eta);
    phi[l] = cell_centres(geometry[l].cols, sizes[l].phi);
  }

  std::vector<double> energy(layers);
  for (int64_t i = 0; i < n; ++i) {
    size_t column = kShowerColumns;  // the per-layer blocks, filled as the layers are measured
    for (size_t l = 0; l < layers; ++l) {
      const int rows = geometry[l].rows, cols = geometry[l].cols;
      const float* e = cells[l].data() + i * geometry[l].cells();
      // First pass: sums, the hit count and the two brightest cells.
      double sum = 0, sum_eta = 0, sum_phi = 0, first = 0, second = 0;
      int64_t hits = 0;
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const double v = e[r * cols + c];
          if (!std::isfinite(v))
            fail("shower ", i, ", layer ", l, ", cell (", r, ", ", c, "): energy is ", v, ", expected a finite number");
          sum += v, sum_eta += v * eta[l][r], sum_phi += v * phi[l][c];
          hits += v > options.cell_threshold;
          if (v > first)
            second = first, first = v;
          else if (v > second)
            second = v;
        }
      const double mean_eta = ratio(sum_eta, sum), mean_phi = ratio(sum_phi, sum);
      // Second pass about the centroid: no cancellation in the widths.
      double var_eta = 0, var_phi = 0;
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
          const double v = e[r * cols + c];
          var_eta += v * (eta[l][r] - mean_eta) * (eta[l][r] - mean_eta);
          var_phi += v * (phi[l][c] - mean_phi) * (phi[l][c] - mean_phi);
        }
      energy[l] = sum / 1000;  // MeV -> GeV
      const double layer_values[] = {energy[l],
                                     0.0,  // the fraction, once E_tot is known
                                     mean_eta,
                                     mean_phi,
                                     std::sqrt(std::max(0.0, ratio(var_eta, sum))),
                                     std::sqrt(std::max(0.0, ratio(var_phi, sum))),
                                     ratio(static_cast<double>(hits), static_cast<double>(rows) * cols),
                                     ratio(first, sum),
                                     ratio(first - second, first + second)};
      for (double v : layer_values) shapes.columns[column++].values.push_back(v);
    }
    double total = 0, depth_sum = 0, depth2_sum = 0;
    for (size_t l = 0; l < layers; ++l) total += energy[l], depth_sum += l * energy[l], depth2_sum += l * l * energy[l];
    const double depth = ratio(depth_sum, total);
    const double shower_values[] = {total, ratio(total, incident[static_cast<size_t>(i)]), depth_sum, depth,
                                    std::sqrt(std::max(0.0, ratio(depth2_sum, total) - depth * depth))};
    for (size_t k = 0; k < kShowerColumns; ++k) shapes.columns[k].values.push_back(shower_values[k]);
    for (size_t l = 0; l < layers; ++l) shapes.columns[kShowerColumns + kLayerColumns * l + kFractionInLayer].values.back() = ratio(energy[l], total);
  }
  return shapes;
}

std::vector<ShapeDistance> compare_shapes(const ShowerShapes& reference, const ShowerShapes& candidate, int bins) {
  if (reference.columns.size() != candidate.columns.size())
    fail("shower shapes to compare: the reference has ", reference.columns.size(), " shapes, the candidate ",
         candidate.columns.size(), ", expected the same");
  std::vector<ShapeDistance> distances;
  for (size_t k = 0; k < reference.columns.size(); ++k) {
    const ShapeColumn &a = reference.columns[k], &b = candidate.columns[k];
    if (a.name != b.name || a.unit != b.unit)
      fail("shower shapes to compare: shape ", k, " is '", a.name, "' (", a.unit, ") in the reference but '", b.name,
           "' (", b.unit, ") in the candidate");
    ShapeDistance d;
    d.name = a.name, d.label = a.label, d.unit = a.unit;
    d.reference = moments(a.values), d.candidate = moments(b.values);
    d.w1 = wasserstein_1d(a.values, b.values);
    d.w1_normalised = normalised_wasserstein_1d(a.values, b.values);
    d.binning = common_binning(a.values, b.values, bins, std::max(a.step, b.step));
    d.chi2 = chi_square(a.values, b.values, d.binning);
    distances.push_back(std::move(d));
  }
  return distances;
}

std::vector<ShapeDistance> compare_shower_shapes(const ShowerBatch& reference, const ShowerBatch& candidate,
                                                 const ShapeOptions& options, int bins) {
  const std::vector<LayerGeometry> a = layer_grids(reference), b = layer_grids(candidate);
  const bool same = a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
                      return x.rows == y.rows && x.cols == y.cols;
                    });
  if (!same)
    fail("showers to compare come from different calorimeters: the reference has layers ", describe(a),
         ", the candidate ", describe(b));
  if (reference.size() == 0 || candidate.size() == 0)
    fail("showers to compare: the ", reference.size() == 0 ? "reference" : "candidate",
         " sample is empty, expected at least one shower");
  return compare_shapes(compute_shower_shapes(reference, options), compute_shower_shapes(candidate, options), bins);
}

double mean_normalised_w1(const std::vector<ShapeDistance>& distances) {
  double sum = 0;
  for (const ShapeDistance& d : distances) sum += d.w1_normalised;
  return distances.empty() ? 0.0 : sum / distances.size();
}

}  // namespace jetimg
