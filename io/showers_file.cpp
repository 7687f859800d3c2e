#include "io/showers_file.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"

namespace jetimg {

namespace {

std::string layer_name(size_t i) { return "layer_" + std::to_string(i); }

std::string shape_str(const std::vector<hsize_t>& d) {
  std::string s = "(";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + (d.size() == 1 ? ",)" : ")");
}

// The first value of `values` that is not a finite number >= 0 (or > 0 with
// `positive`), as an index, or -1 when all are fine.
int64_t first_bad(const float* values, int64_t n, bool positive) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = values[i];
    if (!std::isfinite(v) || v < 0 || (positive && v == 0)) return i;
  }
  return -1;
}

std::string describe(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

// ---------------------------------------------------------------------------
// Reading

struct ShowersReader::Impl {
  h5::File file;
  // Where each piece lives in this file's layout.
  std::string energy_name;                 // "energy" or "incident_energies"
  std::vector<std::string> layer_names;    // "layer_0"... or {"showers"}
  bool has_overflow = false;
  float energy_to_gev = 1;                 // CaloChallenge stores MeV
};

ShowersReader::ShowersReader(const std::string& path) : path_(path) {
  impl_ = std::make_shared<Impl>(Impl{h5::File::open(path), {}, {}, false, 1});
  const h5::File& f = impl_->file;
  const std::string where = "'" + path + "'";
  if (f.has("energy") || f.has("layer_0")) {
    layout_ = "calogan";
    impl_->energy_name = "energy";
    for (size_t i = 0; f.has(layer_name(i)) && i < kMaxShowerLayers; ++i) impl_->layer_names.push_back(layer_name(i));
    const size_t found = impl_->layer_names.size();
    for (size_t later = found + 1; later <= kMaxShowerLayers; ++later)
      if (f.has(layer_name(later)))
        fail(where, ": dataset '", layer_name(found), "' is missing (the file has '", layer_name(later),
             "'; a CaloGAN file holds energy, layer_0, layer_1, ...)");
    if (impl_->layer_names.empty())
      fail(where, ": dataset 'layer_0' is missing (a CaloGAN file holds energy, layer_0, layer_1, ...)");
  } else if (f.has("incident_energies") || f.has("showers")) {
    layout_ = "calochallenge";
    impl_->energy_name = "incident_energies";
    impl_->layer_names = {"showers"};
    impl_->energy_to_gev = 1e-3f;
  } else {
    fail(where, " holds no showers: expected the CaloGAN datasets (energy, layer_0, layer_1, layer_2) or the "
                "CaloChallenge ones (incident_energies, showers)");
  }

  // energy: (N, 1) or (N)
  const std::vector<hsize_t> e = f.dims(impl_->energy_name);
  if (e.empty() || e.size() > 2 || (e.size() == 2 && e[1] != 1))
    fail(where, ": dataset '", impl_->energy_name, "' is ", shape_str(e), ", expected (N, 1)");
  f.require(impl_->energy_name, std::vector<int64_t>(e.begin(), e.end()), h5::Elements::Number);
  size_ = static_cast<int64_t>(e[0]);
  const auto check_rows = [&](const std::string& name, const std::vector<hsize_t>& d) {
    if (d[0] != e[0])
      fail(where, ": dataset '", name, "' has ", d[0], " showers but '", impl_->energy_name, "' has ", e[0],
           " (the datasets must have the same length)");
  };
  for (const std::string& name : impl_->layer_names) {
    const std::vector<hsize_t> d = f.dims(name);
    f.require(name, std::vector<int64_t>(d.begin(), d.end()), h5::Elements::Number);
    for (size_t k = 1; k < d.size(); ++k)
      if (d[k] < 1 || d[k] > kMaxCellsPerLayer)
        fail(where, ": dataset '", name, "' is ", shape_str(d), ": a layer needs 1 to ", kMaxCellsPerLayer,
             " cells along each axis");
    if (layout_ == "calogan") {
      if (d.size() != 3) fail(where, ": dataset '", name, "' is ", shape_str(d), ", expected (N, rows, cols)");
      check_rows(name, d);
      geometry_.push_back({static_cast<int>(d[1]), static_cast<int>(d[2])});
    } else {
      if (d.size() != 2) fail(where, ": dataset '", name, "' is ", shape_str(d), ", expected (N, voxels)");
      check_rows(name, d);
      geometry_.push_back({1, static_cast<int>(d[1])});
    }
  }
  if (layout_ == "calogan" && f.has("overflow")) {
    const std::vector<hsize_t> d = f.dims("overflow");
    f.require("overflow", std::vector<int64_t>(d.begin(), d.end()), h5::Elements::Number);
    if (d.size() != 2 || d[1] != impl_->layer_names.size())
      fail(where, ": dataset 'overflow' is ", shape_str(d), ", expected (N, ", impl_->layer_names.size(), ")");
    check_rows("overflow", d);
    impl_->has_overflow = true;
  }
}

Json ShowersReader::provenance() const {
  if (!impl_->file.has_attribute("provenance")) return Json::object();
  return impl_->file.read_json_attribute("provenance");
}

ShowerBatch ShowersReader::read(int64_t begin, int64_t count) const {
  if (count < 0) count = size_ - begin;
  if (begin < 0 || count < 0 || begin + count > size_)
    fail("'", path_, "': showers [", begin, ", ", begin + count, ") are outside the file's ", size_, " showers");
  const h5::File& f = impl_->file;
  const auto b = static_cast<hsize_t>(begin), n = static_cast<hsize_t>(count);
  // Names the dataset and the shower (counted from the start of the file).
  const auto check = [&](const std::string& name, const Tensor& t, bool positive) {
    const int64_t per_shower = count > 0 ? t.numel() / count : 0;
    const int64_t bad = first_bad(t.data(), t.numel(), positive);
    if (bad < 0) return;
    fail("'", path_, "': dataset '", name, "', shower ", begin + bad / per_shower, ": ",
         describe(t.data()[bad]), " where a ", positive ? "positive" : "finite, non-negative",
         " energy was expected");
  };

  ShowerBatch batch;
  batch.energy = Tensor::empty({count, 1});
  f.read_rows_converted(impl_->energy_name, b, n, batch.energy.data(), static_cast<size_t>(batch.energy.numel()));
  check(impl_->energy_name, batch.energy, true);
  if (impl_->energy_to_gev != 1)
    for (int64_t i = 0; i < count; ++i) batch.energy.data()[i] *= impl_->energy_to_gev;

  for (size_t l = 0; l < geometry_.size(); ++l) {
    Tensor layer = Tensor::empty({count, geometry_[l].rows, geometry_[l].cols});
    f.read_rows_converted(impl_->layer_names[l], b, n, layer.data(), static_cast<size_t>(layer.numel()));
    check(impl_->layer_names[l], layer, false);
    batch.layers.push_back(layer);
  }
  const int64_t layers = static_cast<int64_t>(geometry_.size());
  if (impl_->has_overflow) {
    batch.overflow = Tensor::empty({count, layers});
    f.read_rows_converted("overflow", b, n, batch.overflow.data(), static_cast<size_t>(batch.overflow.numel()));
    check("overflow", batch.overflow, false);
  } else {
    batch.overflow = Tensor::zeros({count, layers});
  }
  return batch;
}

ShowerBatch read_showers(const std::string& path, int64_t begin, int64_t count) {
  return ShowersReader(path).read(begin, count);
}

// ---------------------------------------------------------------------------
// Writing

ShowersLayout parse_showers_layout(const std::string& name) {
  if (name == "calogan") return ShowersLayout::CaloGan;
  if (name == "calochallenge") return ShowersLayout::CaloChallenge;
  fail("unknown showers layout '", name, "' (expected calogan or calochallenge)");
}

struct ShowersWriter::Impl {
  // The growing datasets; dropped (closed) before the file is closed.
  struct Datasets {
    std::unique_ptr<h5::Appender<float>> energy, overflow, voxels;  // overflow: CaloGAN; voxels: CaloChallenge
    std::vector<h5::Appender<float>> layers;                         // CaloGAN
    Datasets(h5::File& file, const std::vector<LayerGeometry>& g, ShowersLayout layout) {
      if (layout == ShowersLayout::CaloChallenge) {
        int64_t cells = 0;
        for (const LayerGeometry& l : g) cells += l.cells();
        energy = std::make_unique<h5::Appender<float>>(file, "incident_energies", std::vector<hsize_t>{1});
        voxels = std::make_unique<h5::Appender<float>>(file, "showers", std::vector<hsize_t>{hsize_t(cells)}, 256);
        return;
      }
      energy = std::make_unique<h5::Appender<float>>(file, "energy", std::vector<hsize_t>{1});
      overflow = std::make_unique<h5::Appender<float>>(file, "overflow", std::vector<hsize_t>{hsize_t(g.size())});
      layers.reserve(g.size());
      for (size_t l = 0; l < g.size(); ++l)
        layers.emplace_back(file, layer_name(l), std::vector<hsize_t>{hsize_t(g[l].rows), hsize_t(g[l].cols)}, 256);
    }
  };
  // Declared first, destroyed last: the temporary file is removed only after
  // the datasets and the file are closed.
  AtomicOutput output;
  h5::File file;
  std::vector<LayerGeometry> geometry;
  ShowersLayout layout;
  std::unique_ptr<Datasets> datasets;
  int64_t written = 0;

  Impl(const std::string& path, const std::vector<LayerGeometry>& g, ShowersLayout l)
      : output(path), file(h5::File::create(output.temp_path(), output.path())), geometry(g), layout(l),
        datasets(std::make_unique<Datasets>(file, g, l)) {}
};

ShowersWriter::ShowersWriter(const std::string& path, const std::vector<LayerGeometry>& geometry,
                             const Json& provenance, ShowersLayout layout) {
  if (geometry.empty()) fail("cannot write '", path, "': a shower needs at least one calorimeter layer");
  for (const LayerGeometry& g : geometry)
    if (g.rows <= 0 || g.cols <= 0)
      fail("cannot write '", path, "': a layer of ", g.rows, " x ", g.cols, " cells is impossible");
  impl_ = std::make_unique<Impl>(path, geometry, layout);
  impl_->file.write_attribute("format", std::string("jetimg-showers"));
  impl_->file.write_attribute("version", int64_t{1});
  impl_->file.write_attribute("provenance", provenance.dump());
}

ShowersWriter::~ShowersWriter() = default;

void ShowersWriter::write(const ShowerBatch& batch) {
  Impl& w = *impl_;
  const std::string where = "'" + w.output.path() + "'";
  if (!w.datasets) fail(where, ": write after finish()");
  if (!batch.energy.defined()) fail(where, ": the batch has no incident energies");
  const int64_t n = batch.energy.dim(0);
  const auto expect = [&](const Tensor& t, const Shape& shape, const std::string& what) {
    if (!t.defined() || t.shape() != shape)
      fail(where, ": the batch's ", what, " is ", t.defined() ? t.shape().str() : std::string("missing"),
           ", expected ", shape.str(), " for this file's ", w.geometry.size(), "-layer geometry");
  };
  expect(batch.energy, Shape{n, 1}, "energy");
  if (batch.layers.size() != w.geometry.size())
    fail(where, ": the batch has ", batch.layers.size(), " layers, expected ", w.geometry.size());
  for (size_t l = 0; l < w.geometry.size(); ++l)
    expect(batch.layers[l], Shape{n, w.geometry[l].rows, w.geometry[l].cols}, layer_name(l));
  const int64_t layers = static_cast<int64_t>(w.geometry.size());
  if (batch.overflow.defined()) expect(batch.overflow, Shape{n, layers}, "overflow");
  if (n == 0) return;

  // Everything is checked before anything is written, so a bad batch leaves
  // the file as it was.
  const auto host = [](const Tensor& t) { return t.device().is_cpu() ? t : t.to(Device::cpu()); };
  const auto check = [&](const Tensor& t, const std::string& what, bool positive) {
    const int64_t bad = first_bad(t.data(), t.numel(), positive);
    if (bad >= 0)
      fail(where, ": ", what, " of shower ", bad / (t.numel() / n), " in the batch is ", describe(t.data()[bad]),
           ", expected a ", positive ? "positive" : "finite, non-negative", " energy");
  };
  const Tensor energy = host(batch.energy);
  check(energy, "the incident energy", true);
  std::vector<Tensor> cells;
  for (size_t l = 0; l < w.geometry.size(); ++l) {
    cells.push_back(host(batch.layers[l]));
    check(cells.back(), "a deposit in " + layer_name(l), false);
  }
  const Tensor overflow = batch.overflow.defined() ? host(batch.overflow) : Tensor::zeros({n, layers});
  check(overflow, "the overflow", false);

  const auto rows = static_cast<hsize_t>(n);
  if (w.layout == ShowersLayout::CaloChallenge) {
    // MeV, and each shower's cells as one row: layer 0, then layer 1, ...
    std::vector<float> mev(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) mev[static_cast<size_t>(i)] = energy.data()[i] * 1000.0f;
    int64_t voxels = 0;
    for (const Tensor& c : cells) voxels += c.numel() / n;
    std::vector<float> rows_out(static_cast<size_t>(n * voxels));
    for (int64_t i = 0; i < n; ++i) {
      float* out = rows_out.data() + i * voxels;
      for (const Tensor& c : cells) {
        const int64_t per = c.numel() / n;
        std::copy(c.data() + i * per, c.data() + (i + 1) * per, out);
        out += per;
      }
    }
    w.datasets->energy->append(mev.data(), rows);
    w.datasets->voxels->append(rows_out.data(), rows);
  } else {
    w.datasets->energy->append(energy.data(), rows);
    for (size_t l = 0; l < cells.size(); ++l) w.datasets->layers[l].append(cells[l].data(), rows);
    w.datasets->overflow->append(overflow.data(), rows);
  }
  w.written += n;
}

void ShowersWriter::finish() {
  if (!impl_->datasets) return;
  impl_->datasets.reset();
  impl_->file.close();
  impl_->output.commit();
}

int64_t ShowersWriter::showers_written() const { return impl_->written; }

}  // namespace jetimg
