#include "io/jets_reader.h"

#include <cmath>

#include "core/error.h"

namespace jetimg {

JetsReader::JetsReader(const std::string& path) : file_(h5::File::open(path)) {
  using h5::Elements;
  constexpr int64_t any = h5::kAnySize;
  file_.require_format("jetimg-jets", 3, "a jetimg jets file");
  const auto dims = file_.require("constituents", {any, any, 4}, Elements::Float32).dims;
  const auto n = static_cast<int64_t>(dims[0]);
  if (dims[1] > static_cast<hsize_t>(kMaxConstituentsPerJet))
    fail("'", path, "': dataset 'constituents' has room for ", dims[1], " constituents per jet (at most ",
         kMaxConstituentsPerJet, ")");
  size_ = n;
  max_constituents_ = static_cast<int>(dims[1]);
  const int64_t m = max_constituents_;
  const auto subjet_dims = file_.require("subjets", {n, any, 4}, Elements::Float64).dims;
  if (subjet_dims[1] > static_cast<hsize_t>(kMaxSubjetsPerJet))
    fail("'", path, "': dataset 'subjets' has room for ", subjet_dims[1], " subjets per jet (at most ",
         kMaxSubjetsPerJet, ")");
  max_subjets_ = static_cast<int>(subjet_dims[1]);
  for (const char* name : {"pt", "eta", "phi", "mass", "trimmed_mass", "tau1", "tau2", "tau3", "tau21", "tau32"}) {
    if (!file_.has(name) && std::string(name).rfind("tau", 0) == 0)
      fail("'", path, "': dataset '", name, "' is missing (a jets file of version 1? run jetimg cluster again)");
    file_.require(name, {n}, Elements::Float64);
  }
  file_.require("n_constituents", {n}, Elements::Int32);
  file_.require("constituent_in_trimmed", {n, m}, Elements::Uint8);
  file_.require("jet", {n, 4}, Elements::Float64);
  file_.require("trimmed_jet", {n, 4}, Elements::Float64);
  file_.require("n_subjets", {n}, Elements::Int32);
  file_.require("weight", {n}, Elements::Float32);
  file_.require("label", {n}, Elements::Int32);
  file_.require("event_index", {n}, Elements::Int64);
  if (file_.has("constituent_pdg")) {
    file_.require("constituent_pdg", {n, m}, Elements::Int32);
    has_pdg_ = true;
  }
  provenance_ = file_.read_json_attribute("provenance");
}

ImageAux JetsReader::read_aux(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size_)
    fail("'", file_.path(), "': jets [", begin, ", ", begin + count, ") are outside the file's ", size_, " jets");
  ImageAux a;
  const auto column = [&](const char* name, auto& values) {
    values.resize(static_cast<size_t>(count));
    file_.read_rows(name, static_cast<hsize_t>(begin), static_cast<hsize_t>(count), values.data(), values.size());
  };
  column("pt", a.pt);
  column("eta", a.eta);
  column("phi", a.phi);
  column("mass", a.mass);
  column("trimmed_mass", a.trimmed_mass);
  column("tau21", a.tau21);
  column("tau32", a.tau32);
  column("weight", a.weight);
  column("label", a.label);
  return a;
}

JetsTable JetsReader::read(int64_t begin, int64_t count) const {
  if (begin < 0 || count < 0 || begin + count > size_)
    fail("'", file_.path(), "': jets [", begin, ", ", begin + count, ") are outside the file's ", size_, " jets");
  JetsTable t;
  t.size = count;
  t.source = file_.path();
  t.first_row = begin;
  t.max_constituents = max_constituents_;
  t.max_subjets = max_subjets_;
  t.provenance = provenance_;
  const auto column = [&](const char* name, auto& values, int64_t per_row) {
    values.resize(static_cast<size_t>(count * per_row));
    file_.read_rows(name, static_cast<hsize_t>(begin), static_cast<hsize_t>(count), values.data(), values.size());
  };
  column("constituents", t.constituents, int64_t(max_constituents_) * 4);
  column("n_constituents", t.n_constituents, 1);
  column("constituent_in_trimmed", t.constituent_in_trimmed, max_constituents_);
  if (has_pdg_) column("constituent_pdg", t.constituent_pdg, max_constituents_);
  column("jet", t.jet, 4);
  column("trimmed_jet", t.trimmed_jet, 4);
  column("subjets", t.subjets, int64_t(max_subjets_) * 4);
  column("n_subjets", t.n_subjets, 1);
  column("pt", t.pt, 1);
  column("eta", t.eta, 1);
  column("phi", t.phi, 1);
  column("mass", t.mass, 1);
  column("trimmed_mass", t.trimmed_mass, 1);
  column("tau1", t.tau1, 1);
  column("tau2", t.tau2, 1);
  column("tau3", t.tau3, 1);
  column("tau21", t.tau21, 1);
  column("tau32", t.tau32, 1);
  column("weight", t.weight, 1);
  column("label", t.label, 1);
  column("event_index", t.event_index, 1);
  // Every value a later stage uses is a number it can use: a damaged or
  // crafted file stops here, naming the jet, rather than making NaN images.
  const auto bad = [&](int64_t j, const std::string& what) { fail("'", file_.path(), "': jet ", begin + j, " ", what); };
  const auto finite = [](const auto* v, size_t n) {
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(v[i])) return false;
    return true;
  };
  for (int64_t j = 0; j < count; ++j) {
    const auto row = static_cast<size_t>(j);
    if (t.n_constituents[row] < 0 || t.n_constituents[row] > max_constituents_)
      bad(j, "has n_constituents = " + std::to_string(t.n_constituents[row]) + " (expected 0.." +
                 std::to_string(max_constituents_) + ")");
    if (t.n_subjets[row] < 0 || t.n_subjets[row] > max_subjets_)
      bad(j, "has n_subjets = " + std::to_string(t.n_subjets[row]) + " (expected 0.." + std::to_string(max_subjets_) +
                 ")");
    for (int c = 0; c < t.n_constituents[row]; ++c) {
      const float* p = &t.constituents[(row * static_cast<size_t>(max_constituents_) + static_cast<size_t>(c)) * 4];
      if (!finite(p, 4)) bad(j, "has a NaN or infinite momentum in constituent " + std::to_string(c));
      if (p[0] < 0) bad(j, "has negative energy in constituent " + std::to_string(c));
    }
    if (!finite(&t.jet[row * 4], 4) || !finite(&t.trimmed_jet[row * 4], 4) ||
        !finite(&t.subjets[row * static_cast<size_t>(max_subjets_) * 4], static_cast<size_t>(max_subjets_) * 4))
      bad(j, "has a NaN or infinite jet or subjet momentum");
    for (const auto* column : {&t.pt, &t.eta, &t.phi, &t.mass, &t.trimmed_mass, &t.tau1, &t.tau2, &t.tau3, &t.tau21,
                               &t.tau32})
      if (!std::isfinite((*column)[row])) bad(j, "has a NaN or infinite pt, eta, phi, mass or tau value");
    if (t.pt[row] < 0 || t.mass[row] < 0 || t.trimmed_mass[row] < 0) bad(j, "has a negative pt or mass");
    if (!std::isfinite(t.weight[row])) bad(j, "has a NaN or infinite weight");
  }
  return t;
}

}  // namespace jetimg
