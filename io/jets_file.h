// The project's jets file (HDF5), one row per jet (N jets, M = max
// constituents, S = max subjets; four-vectors are E, px, py, pz in GeV):
//
//   constituents            (N, M, 4) float32  untrimmed jet's constituents, pT-ordered, zero-padded
//   n_constituents          (N)       int32    constituents stored (<= M)
//   constituent_in_trimmed  (N, M)    uint8    1 if the constituent survives trimming
//   constituent_pdg         (N, M)    int32    PDG code of the constituent (0: the input names none,
//                                              as FastJet text, the top-tagging dataset and towers)
//   jet                     (N, 4)    float64  anti-kT jet
//   trimmed_jet             (N, 4)    float64  trimmed jet
//   subjets                 (N, S, 4) float64  trimmed subjets, pT-ordered, zero-padded
//   n_subjets               (N)       int32    subjets stored (<= S)
//   pt, eta, phi            (N)       float64  of the trimmed jet
//   mass, trimmed_mass      (N)       float64  of the jet and of the trimmed jet
//   tau1, tau2, tau3        (N)       float64  N-subjettiness of the trimmed jet (β = 1, WTA kT axes, unnormalised, GeV)
//   tau21, tau32            (N)       float64  τ2/τ1 and τ3/τ2 (0 where the denominator is 0)
//   weight                  (N)       float32  event weight (1 for built-in events)
//   label                   (N)       int32    1 signal (W, top), 0 background (QCD)
//   event_index             (N)       int64    row of the event in the input
//   attributes: format = "jetimg-jets", version = 3, provenance = JSON
//   (version 1 had no tau columns, version 2 no constituent_pdg)
#pragma once

#include <string>
#include <vector>

#include "io/atomic_output.h"
#include "core/config.h"
#include "io/hdf5.h"
#include "physics/jets.h"

namespace jetimg {

class JetsWriter {
 public:
  JetsWriter(const std::string& path, int max_constituents, int max_subjets, const Json& provenance);
  // Appends jets with their label, weight and input event number.
  void write(const std::vector<Jet>& jets, int label, const std::vector<float>& weights,
             const std::vector<int64_t>& event_indices);
  // The same with one label per jet (inputs that label each event).
  void write(const std::vector<Jet>& jets, const std::vector<int32_t>& labels, const std::vector<float>& weights,
             const std::vector<int64_t>& event_indices);
  void finish();
  int64_t jets_written() const { return label_.rows(); }

 private:
  AtomicOutput output_;
  h5::File file_;
  int max_constituents_, max_subjets_;
  h5::Appender<float> constituents_;
  h5::Appender<int32_t> n_constituents_;
  h5::Appender<uint8_t> in_trimmed_;
  h5::Appender<int32_t> pdg_;
  h5::Appender<double> jet_, trimmed_, subjets_;
  h5::Appender<int32_t> n_subjets_;
  h5::Appender<double> pt_, eta_, phi_, mass_, trimmed_mass_;
  h5::Appender<double> tau1_, tau2_, tau3_, tau21_, tau32_;
  h5::Appender<float> weight_;
  h5::Appender<int32_t> label_;
  h5::Appender<int64_t> event_index_;
};

// A whole jets file in memory (the per-jet columns most stages need).
struct JetsTable {
  int64_t size = 0;
  std::string source;      // the file it was read from (for messages)
  int64_t first_row = 0;   // the file's row of the table's first jet
  int max_constituents = 0, max_subjets = 0;
  std::vector<float> constituents;  // (N, M, 4)
  std::vector<int32_t> n_constituents, n_subjets, label;
  std::vector<uint8_t> constituent_in_trimmed;
  std::vector<int32_t> constituent_pdg;  // (N, M); empty for files of version 2 and older
  std::vector<double> jet, trimmed_jet, subjets, pt, eta, phi, mass, trimmed_mass;
  std::vector<double> tau1, tau2, tau3, tau21, tau32;
  std::vector<float> weight;
  std::vector<int64_t> event_index;
  Json provenance;
};

JetsTable read_jets(const std::string& path);

}  // namespace jetimg
