#include "physics/nsubjettiness.h"

#include <fastjet/ClusterSequence.hh>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "physics/jets.h"

namespace jetimg {
namespace {

// FastJet 3.4 (Debian) has no WinnerTakeAllRecombiner; this is fjcontrib's
// with α = 1: the merged object takes the pT sum and the rapidity and φ of
// the harder input (massless, as only its direction is used).
class WinnerTakeAllRecombiner : public fastjet::JetDefinition::Recombiner {
 public:
  std::string description() const override { return "winner-take-all (pT)"; }
  void recombine(const fastjet::PseudoJet& a, const fastjet::PseudoJet& b, fastjet::PseudoJet& ab) const override {
    const double pt_a = a.perp(), pt_b = b.perp();
    const fastjet::PseudoJet& winner = pt_a >= pt_b ? a : b;
    ab.reset_PtYPhiM(pt_a + pt_b, winner.rap(), winner.phi(), 0.0);
  }
};

std::vector<fastjet::PseudoJet> pseudojets(const std::vector<FourVector>& particles) {
  std::vector<fastjet::PseudoJet> out;
  out.reserve(particles.size());
  for (const FourVector& p : particles) out.emplace_back(p.px, p.py, p.pz, p.E);
  return out;
}

std::vector<fastjet::PseudoJet> axes_of(const std::vector<fastjet::PseudoJet>& inputs, int n) {
  if (static_cast<int>(inputs.size()) <= n) return inputs;
  quiet_fastjet();
  static const WinnerTakeAllRecombiner recombiner;
  const fastjet::JetDefinition definition(fastjet::kt_algorithm, fastjet::JetDefinition::max_allowable_R,
                                          &recombiner);
  const fastjet::ClusterSequence sequence(inputs, definition);
  return sequence.exclusive_jets(n);
}

double tau(const std::vector<fastjet::PseudoJet>& inputs, int n) {
  if (static_cast<int>(inputs.size()) <= n) return 0.0;
  const std::vector<fastjet::PseudoJet> axes = axes_of(inputs, n);
  double sum = 0;
  for (const fastjet::PseudoJet& p : inputs) {
    double closest = std::numeric_limits<double>::infinity();
    for (const fastjet::PseudoJet& axis : axes) closest = std::min(closest, p.squared_distance(axis));
    sum += p.perp() * std::sqrt(closest);
  }
  return sum;
}

}  // namespace

std::vector<FourVector> wta_kt_axes(const std::vector<FourVector>& particles, int n) {
  if (n < 1) fail("wta_kt_axes: N must be >= 1, got ", n);
  std::vector<FourVector> out;
  for (const fastjet::PseudoJet& a : axes_of(pseudojets(particles), n)) out.push_back({a.E(), a.px(), a.py(), a.pz()});
  return out;
}

double nsubjettiness(const std::vector<FourVector>& particles, int n) {
  if (n < 1) fail("nsubjettiness: N must be >= 1, got ", n);
  return tau(pseudojets(particles), n);
}

NSubjettiness nsubjettiness_123(const std::vector<FourVector>& particles) {
  const std::vector<fastjet::PseudoJet> inputs = pseudojets(particles);
  NSubjettiness t;
  t.tau1 = tau(inputs, 1);
  t.tau2 = tau(inputs, 2);
  t.tau3 = tau(inputs, 3);
  t.tau21 = t.tau1 > 0 ? t.tau2 / t.tau1 : 0.0;
  t.tau32 = t.tau2 > 0 ? t.tau3 / t.tau2 : 0.0;
  return t;
}

}  // namespace jetimg
