// Jets with FastJet: anti-kT clustering, trimming, and the leading jet of each
// event inside pT / |η| / mass windows, with its subjets, constituents and
// N-subjettiness.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "physics/event.h"
#include "physics/nsubjettiness.h"

namespace jetimg {

// Bounds on what a jet stores, for configs and files alike: real jets have at
// most a few hundred constituents (a few thousand with heavy pile-up).
constexpr int kMaxConstituentsPerJet = 4096;
constexpr int kMaxSubjetsPerJet = 64;

struct JetConfig {
  double R = 1.0;                   // anti-kT radius
  double trim_R = 0.3;              // kT subjet radius for trimming
  double trim_pt_fraction = 0.05;   // keep subjets above this fraction of the jet pT
  // Windows on the leading jet after trimming; an event whose leading jet
  // falls outside is dropped (not replaced by its next jet).
  double pt_min = 0, pt_max = std::numeric_limits<double>::infinity();
  double eta_max = 2.5;
  double mass_min = 0, mass_max = std::numeric_limits<double>::infinity();
  int max_constituents = 200;       // constituents stored per jet (pT-ordered)
  int max_subjets = 4;              // trimmed subjets stored per jet (pT-ordered)

  void validate() const;
};

struct Jet {
  FourVector jet;                        // the anti-kT jet
  FourVector trimmed;                    // the trimmed jet
  std::vector<FourVector> subjets;       // trimmed subjets, pT-ordered (all of them)
  std::vector<FourVector> constituents;  // of the untrimmed jet, pT-ordered (all of them)
  std::vector<uint8_t> in_trimmed;       // per constituent: survives trimming
  std::vector<int32_t> pdg;              // per constituent: its PDG code (0 where the input names none)
  NSubjettiness tau;                     // τ1..τ3 (β = 1, WTA kT axes) of the trimmed jet's constituents
};

// Why events were dropped, for the summary.
struct JetSelectionCounts {
  int64_t events = 0, no_jet = 0, failed_pt = 0, failed_eta = 0, failed_mass = 0, kept = 0;
  JetSelectionCounts& operator+=(const JetSelectionCounts& o);
};

// The leading anti-kT jet of `event`, trimmed, if it passes the windows.
std::optional<Jet> leading_jet(const Event& event, const JetConfig& config, JetSelectionCounts* counts = nullptr);

// leading_jet over many events with OpenMP; result[i] belongs to events[i].
std::vector<std::optional<Jet>> leading_jets(const std::vector<Event>& events, const JetConfig& config,
                                             JetSelectionCounts* counts = nullptr);

// Silences FastJet's banner (once per process, before any threads cluster).
void quiet_fastjet();

}  // namespace jetimg
