#include "io/jet_batch.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "physics/pdg.h"

namespace jetimg {
namespace {

// Fills row `j` of a batch from four-vectors given as (E, px, py, pz) arrays.
struct BatchBuilder {
  JetBatch batch;
  int m, s;
  BatchBuilder(int64_t n, int max_constituents, int max_subjets, bool charges)
      : m(max_constituents), s(max_subjets) {
    batch.constituents = Tensor::zeros({n, m, 4});
    if (charges) batch.charged = Tensor::zeros({n, m});
    batch.n_constituents = Tensor::zeros({n});
    batch.subjets = Tensor::zeros({n, s, 3});
    batch.n_subjets = Tensor::zeros({n});
    batch.jets = Tensor::zeros({n, 4});
  }
  void constituent(int64_t j, int k, const FourVector& p) {
    float* out = batch.constituents.data() + (j * m + k) * 4;
    out[0] = static_cast<float>(p.pt()), out[1] = static_cast<float>(p.eta());
    out[2] = static_cast<float>(p.phi()), out[3] = static_cast<float>(p.E);
  }
  void charge(int64_t j, int k, int pdg) { batch.charged.data()[j * m + k] = pdg_is_charged(pdg) ? 1.0f : 0.0f; }
  void subjet(int64_t j, int k, const FourVector& p) {
    float* out = batch.subjets.data() + (j * s + k) * 3;
    out[0] = static_cast<float>(p.pt()), out[1] = static_cast<float>(p.eta()), out[2] = static_cast<float>(p.phi());
  }
  void jet(int64_t j, const FourVector& p, int n_constituents, int n_subjets) {
    float* out = batch.jets.data() + j * 4;
    out[0] = static_cast<float>(p.pt()), out[1] = static_cast<float>(p.eta());
    out[2] = static_cast<float>(p.phi()), out[3] = static_cast<float>(p.m());
    batch.n_constituents.data()[j] = static_cast<float>(n_constituents);
    batch.n_subjets.data()[j] = static_cast<float>(n_subjets);
  }
};

FourVector four_vector(const float* v) { return {v[0], v[1], v[2], v[3]}; }
FourVector four_vector(const double* v) { return {v[0], v[1], v[2], v[3]}; }

[[noreturn]] void no_identity(const std::string& where, int64_t jet, int constituent) {
  fail(where, "jet ", jet, ", constituent ", constituent,
       ": PDG code 0, so its charge is unknown; the charged and neutral channels need inputs that name every "
       "particle (HepMC, Pythia or the built-in generator, not FastJet text, the top-tagging dataset or towers)");
}

}  // namespace

JetBatch batch_from_table(const JetsTable& t, int64_t begin, int64_t end, ConstituentSet set, bool charges) {
  const std::string where = t.source.empty() ? std::string() : "'" + t.source + "', ";
  if (charges && t.constituent_pdg.empty())
    fail(where, "the charged and neutral channels need each constituent's PDG code, and these jets have none "
                "(a jets file from before version 3? run jetimg cluster again)");
  BatchBuilder b(end - begin, t.max_constituents, t.max_subjets, charges);
  for (int64_t j = begin; j < end; ++j) {
    const int64_t row = j - begin;
    int kept = 0;
    for (int k = 0; k < t.n_constituents[j]; ++k) {
      const int64_t at = j * t.max_constituents + k;
      if (set == ConstituentSet::Trimmed && !t.constituent_in_trimmed[at]) continue;
      if (charges) {
        if (t.constituent_pdg[at] == 0) no_identity(where, t.first_row + j, k);
        b.charge(row, kept, t.constituent_pdg[at]);
      }
      b.constituent(row, kept++, four_vector(&t.constituents[at * 4]));
    }
    for (int k = 0; k < t.n_subjets[j]; ++k) b.subjet(row, k, four_vector(&t.subjets[(j * t.max_subjets + k) * 4]));
    b.jet(row, four_vector(&t.trimmed_jet[j * 4]), kept, t.n_subjets[j]);
  }
  return b.batch;
}

JetBatch batch_from_jets(const std::vector<Jet>& jets, ConstituentSet set, int max_constituents, int max_subjets,
                         bool charges) {
  BatchBuilder b(static_cast<int64_t>(jets.size()), max_constituents, max_subjets, charges);
  for (size_t j = 0; j < jets.size(); ++j) {
    const Jet& jet = jets[j];
    int kept = 0;
    for (size_t k = 0; k < jet.constituents.size() && kept < max_constituents; ++k) {
      if (set == ConstituentSet::Trimmed && !jet.in_trimmed[k]) continue;
      if (charges) {
        const int pdg = k < jet.pdg.size() ? jet.pdg[k] : 0;
        if (pdg == 0) no_identity("", static_cast<int64_t>(j), static_cast<int>(k));
        b.charge(static_cast<int64_t>(j), kept, pdg);
      }
      b.constituent(static_cast<int64_t>(j), kept++, jet.constituents[k]);
    }
    const int n_subjets = std::min<int>(max_subjets, static_cast<int>(jet.subjets.size()));
    for (int k = 0; k < n_subjets; ++k) b.subjet(static_cast<int64_t>(j), k, jet.subjets[static_cast<size_t>(k)]);
    b.jet(static_cast<int64_t>(j), jet.trimmed, kept, n_subjets);
  }
  return b.batch;
}

}  // namespace jetimg
