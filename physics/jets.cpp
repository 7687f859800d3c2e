#include "physics/jets.h"

#include <fastjet/ClusterSequence.hh>
#include <fastjet/tools/Filter.hh>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/error.h"

namespace jetimg {
namespace {

FourVector to_four_vector(const fastjet::PseudoJet& j) { return {j.E(), j.px(), j.py(), j.pz()}; }

}  // namespace

void JetConfig::validate() const {
  if (!(R > 0 && R <= 2)) fail("jets: R must be in (0, 2], got ", R);
  if (!(trim_R > 0 && trim_R < R)) fail("jets: trim_R must be in (0, R), got ", trim_R);
  if (!(trim_pt_fraction >= 0 && trim_pt_fraction < 1)) fail("jets: trim_pt_fraction must be in [0, 1), got ", trim_pt_fraction);
  if (!(pt_min >= 0 && pt_max > pt_min)) fail("jets: need 0 <= pt_min < pt_max, got [", pt_min, ", ", pt_max, "]");
  if (!(eta_max > 0)) fail("jets: eta_max must be > 0, got ", eta_max);
  if (!(mass_min >= 0 && mass_max > mass_min)) fail("jets: need 0 <= mass_min < mass_max, got [", mass_min, ", ", mass_max, "]");
  if (max_constituents < 1 || max_constituents > kMaxConstituentsPerJet)
    fail("jets: max_constituents must be in [1, ", kMaxConstituentsPerJet, "], got ", max_constituents);
  if (max_subjets < 1 || max_subjets > kMaxSubjetsPerJet)
    fail("jets: max_subjets must be in [1, ", kMaxSubjetsPerJet, "], got ", max_subjets);
}

JetSelectionCounts& JetSelectionCounts::operator+=(const JetSelectionCounts& o) {
  events += o.events, no_jet += o.no_jet, failed_pt += o.failed_pt, failed_eta += o.failed_eta;
  failed_mass += o.failed_mass, kept += o.kept;
  return *this;
}

void quiet_fastjet() {
  static std::once_flag once;
  std::call_once(once, [] { fastjet::ClusterSequence::set_fastjet_banner_stream(nullptr); });
}

std::optional<Jet> leading_jet(const Event& event, const JetConfig& config, JetSelectionCounts* counts) {
  quiet_fastjet();
  JetSelectionCounts local;
  JetSelectionCounts& c = counts ? *counts : local;
  ++c.events;
  std::vector<fastjet::PseudoJet> inputs;
  inputs.reserve(event.size());
  for (size_t i = 0; i < event.size(); ++i) {
    const FourVector& p = event[i].p;
    fastjet::PseudoJet pj(p.px, p.py, p.pz, p.E);
    pj.set_user_index(static_cast<int>(i));
    inputs.push_back(pj);
  }
  const fastjet::JetDefinition definition(fastjet::antikt_algorithm, config.R);
  const fastjet::ClusterSequence sequence(inputs, definition);
  const std::vector<fastjet::PseudoJet> jets = fastjet::sorted_by_pt(sequence.inclusive_jets());
  if (jets.empty()) {
    ++c.no_jet;
    return std::nullopt;
  }
  const fastjet::PseudoJet& leading = jets.front();
  const fastjet::Filter trimmer(fastjet::JetDefinition(fastjet::kt_algorithm, config.trim_R),
                                fastjet::SelectorPtFractionMin(config.trim_pt_fraction));
  const fastjet::PseudoJet trimmed = trimmer(leading);
  if (trimmed.pt() < config.pt_min || trimmed.pt() >= config.pt_max) {
    ++c.failed_pt;
    return std::nullopt;
  }
  if (std::abs(trimmed.eta()) >= config.eta_max) {
    ++c.failed_eta;
    return std::nullopt;
  }
  // The mass as everywhere in jetimg, √max(m², 0): FastJet's m() is negative
  // when m² rounds below zero, which would fail a window that starts at 0.
  const double trimmed_mass = to_four_vector(trimmed).m();
  if (trimmed_mass < config.mass_min || trimmed_mass >= config.mass_max) {
    ++c.failed_mass;
    return std::nullopt;
  }
  ++c.kept;

  Jet jet;
  jet.jet = to_four_vector(leading);
  jet.trimmed = to_four_vector(trimmed);
  for (const fastjet::PseudoJet& piece : fastjet::sorted_by_pt(trimmed.pieces()))
    jet.subjets.push_back(to_four_vector(piece));
  std::vector<bool> kept(event.size(), false);
  std::vector<FourVector> trimmed_constituents;
  for (const fastjet::PseudoJet& c : trimmed.constituents()) {
    kept[static_cast<size_t>(c.user_index())] = true;
    trimmed_constituents.push_back(to_four_vector(c));
  }
  jet.tau = nsubjettiness_123(trimmed_constituents);
  for (const fastjet::PseudoJet& c : fastjet::sorted_by_pt(leading.constituents())) {
    jet.constituents.push_back(to_four_vector(c));
    jet.in_trimmed.push_back(kept[static_cast<size_t>(c.user_index())] ? 1 : 0);
    jet.pdg.push_back(event[static_cast<size_t>(c.user_index())].pdg);
  }
  return jet;
}

std::vector<std::optional<Jet>> leading_jets(const std::vector<Event>& events, const JetConfig& config,
                                             JetSelectionCounts* counts) {
  config.validate();
  quiet_fastjet();
  std::vector<std::optional<Jet>> jets(events.size());
  JetSelectionCounts total;
#pragma omp parallel
  {
    JetSelectionCounts mine;
#pragma omp for schedule(dynamic, 16)
    for (int64_t i = 0; i < static_cast<int64_t>(events.size()); ++i)
      jets[static_cast<size_t>(i)] = leading_jet(events[static_cast<size_t>(i)], config, &mine);
#pragma omp critical
    total += mine;
  }
  if (counts) *counts += total;
  return jets;
}

}  // namespace jetimg
