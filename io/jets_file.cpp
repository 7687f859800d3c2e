#include "io/jets_file.h"

#include <algorithm>

#include "core/error.h"
#include "io/jets_reader.h"

namespace jetimg {
namespace {

void put(std::vector<double>& out, const FourVector& p) { out.insert(out.end(), {p.E, p.px, p.py, p.pz}); }

}  // namespace

JetsWriter::JetsWriter(const std::string& path, int max_constituents, int max_subjets, const Json& provenance)
    : output_(path),
      file_(h5::File::create(output_.temp_path(), output_.path())),
      max_constituents_(max_constituents),
      max_subjets_(max_subjets),
      constituents_(file_, "constituents", {hsize_t(max_constituents), 4}, 256),
      n_constituents_(file_, "n_constituents", {}),
      in_trimmed_(file_, "constituent_in_trimmed", {hsize_t(max_constituents)}, 256),
      pdg_(file_, "constituent_pdg", {hsize_t(max_constituents)}, 256),
      jet_(file_, "jet", {4}),
      trimmed_(file_, "trimmed_jet", {4}),
      subjets_(file_, "subjets", {hsize_t(max_subjets), 4}),
      n_subjets_(file_, "n_subjets", {}),
      pt_(file_, "pt", {}),
      eta_(file_, "eta", {}),
      phi_(file_, "phi", {}),
      mass_(file_, "mass", {}),
      trimmed_mass_(file_, "trimmed_mass", {}),
      tau1_(file_, "tau1", {}),
      tau2_(file_, "tau2", {}),
      tau3_(file_, "tau3", {}),
      tau21_(file_, "tau21", {}),
      tau32_(file_, "tau32", {}),
      weight_(file_, "weight", {}),
      label_(file_, "label", {}),
      event_index_(file_, "event_index", {}) {
  file_.write_attribute("format", std::string("jetimg-jets"));
  file_.write_attribute("version", int64_t{3});
  file_.write_attribute("provenance", provenance.dump());
}

void JetsWriter::write(const std::vector<Jet>& jets, int label, const std::vector<float>& weights,
                       const std::vector<int64_t>& event_indices) {
  write(jets, std::vector<int32_t>(jets.size(), label), weights, event_indices);
}

void JetsWriter::write(const std::vector<Jet>& jets, const std::vector<int32_t>& labels,
                       const std::vector<float>& weights, const std::vector<int64_t>& event_indices) {
  const size_t n = jets.size(), m = static_cast<size_t>(max_constituents_), s = static_cast<size_t>(max_subjets_);
  if (weights.size() != n || event_indices.size() != n || labels.size() != n)
    fail("JetsWriter: labels, weights and event indices must match the jets");
  std::vector<float> constituents(n * m * 4, 0.0f);
  std::vector<uint8_t> in_trimmed(n * m, 0);
  std::vector<int32_t> pdg(n * m, 0);
  std::vector<int32_t> n_constituents(n), n_subjets(n);
  std::vector<double> jet, trimmed, subjets(n * s * 4, 0.0), pt(n), eta(n), phi(n), mass(n), trimmed_mass(n);
  std::vector<double> tau1(n), tau2(n), tau3(n), tau21(n), tau32(n);
  for (size_t j = 0; j < n; ++j) {
    const Jet& jt = jets[j];
    const size_t kept = std::min(m, jt.constituents.size());
    n_constituents[j] = static_cast<int32_t>(kept);
    for (size_t c = 0; c < kept; ++c) {
      const FourVector& p = jt.constituents[c];
      float* out = &constituents[(j * m + c) * 4];
      out[0] = static_cast<float>(p.E), out[1] = static_cast<float>(p.px);
      out[2] = static_cast<float>(p.py), out[3] = static_cast<float>(p.pz);
      in_trimmed[j * m + c] = jt.in_trimmed[c];
      if (c < jt.pdg.size()) pdg[j * m + c] = jt.pdg[c];
    }
    const size_t subjets_kept = std::min(s, jt.subjets.size());
    n_subjets[j] = static_cast<int32_t>(subjets_kept);
    for (size_t k = 0; k < subjets_kept; ++k) {
      const FourVector& p = jt.subjets[k];
      double* out = &subjets[(j * s + k) * 4];
      out[0] = p.E, out[1] = p.px, out[2] = p.py, out[3] = p.pz;
    }
    put(jet, jt.jet);
    put(trimmed, jt.trimmed);
    pt[j] = jt.trimmed.pt(), eta[j] = jt.trimmed.eta(), phi[j] = jt.trimmed.phi();
    mass[j] = jt.jet.m(), trimmed_mass[j] = jt.trimmed.m();
    tau1[j] = jt.tau.tau1, tau2[j] = jt.tau.tau2, tau3[j] = jt.tau.tau3;
    tau21[j] = jt.tau.tau21, tau32[j] = jt.tau.tau32;
  }
  constituents_.append(constituents.data(), n);
  n_constituents_.append(n_constituents.data(), n);
  in_trimmed_.append(in_trimmed.data(), n);
  pdg_.append(pdg.data(), n);
  jet_.append(jet.data(), n);
  trimmed_.append(trimmed.data(), n);
  subjets_.append(subjets.data(), n);
  n_subjets_.append(n_subjets.data(), n);
  pt_.append(pt.data(), n);
  eta_.append(eta.data(), n);
  phi_.append(phi.data(), n);
  mass_.append(mass.data(), n);
  trimmed_mass_.append(trimmed_mass.data(), n);
  tau1_.append(tau1.data(), n);
  tau2_.append(tau2.data(), n);
  tau3_.append(tau3.data(), n);
  tau21_.append(tau21.data(), n);
  tau32_.append(tau32.data(), n);
  weight_.append(weights.data(), n);
  label_.append(labels.data(), n);
  event_index_.append(event_indices.data(), n);
}

void JetsWriter::finish() {
  file_.close();
  output_.commit();
}

JetsTable read_jets(const std::string& path) {
  const JetsReader reader(path);
  return reader.read(0, reader.size());
}

}  // namespace jetimg
