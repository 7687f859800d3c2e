// The built-in event generator: pp events at 13 TeV with one boosted
// hadronic object, the embedded default data of jetimg.
//
//   w    a W boson (W -> qq̄', Breit-Wigner mass) recoiling against an
//        invisible system (as in pp -> WZ, Z -> νν̄)
//   top  a tt̄ pair, both tops decaying t -> bW, W -> qq̄'
//   qcd  a 2 -> 2 pair of light quarks or gluons (gluon_fraction)
//
// The hard object's pT is flat in [pt_min, pt_max] and its rapidity flat in
// |y| < rapidity_max. Decay products are showered as colour singlets (the
// qq̄' of a W inside their opening angle, the b inside its angle to the W)
// and momentum is restored exactly in each decay's rest frame; QCD partons
// shower inside qcd_max_angle. Then soft underlying activity is added and,
// optionally, everything is summed onto an η-φ tower grid with energy
// smearing. No hadronisation: final-state partons stand in for particles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "physics/event.h"
#include "physics/shower.h"

namespace jetimg {

enum class Process { W = 1, Top = 2, QCD = 3 };

std::string process_name(Process process);
// "w", "top" or "qcd"; throws Error naming the accepted values otherwise.
Process parse_process(const std::string& name);

// Bounds of the generator's settings: a 100 TeV collider's reach, and soft
// activity up to 500 particles per unit of (η, φ) (hundreds of pile-up
// vertices give a few tens).
constexpr double kMaxGeneratorPt = 1e5;
constexpr double kMaxUeDensity = 500;

struct GeneratorConfig {
  Process process = Process::W;
  double pt_min = 240, pt_max = 320;  // GeV, of the W / top / QCD partons
  double rapidity_max = 2.0;
  double gluon_fraction = 0.5;        // qcd: share of gluon jets
  double qcd_max_angle = 1.5;         // qcd: largest emission angle of a jet's shower
  ShowerSettings shower;
  double w_mass = 80.379, w_width = 2.085;
  double top_mass = 172.5, top_width = 1.42;
  // Soft underlying activity: Poisson count per unit area in (η, φ), pT exponential.
  bool underlying_event = true;
  double ue_density = 1.0;
  double ue_mean_pt = 0.6;
  double ue_eta_max = 4.0;
  // Optional calorimeter towers: cells of tower_size in η and ~tower_size in φ
  // over |η| < tower_eta_max, energy smeared by σ/E = stochastic/√E ⊕ constant.
  bool towers = false;
  double tower_size = 0.1;
  double tower_eta_max = 2.5;
  double tower_stochastic = 0.5;
  double tower_constant = 0.03;

  // The defaults for a process (the pT range differs between W/QCD and top).
  static GeneratorConfig defaults(Process process);
  // Throws Error when a parameter is impossible (pt_min >= pt_max, ...).
  void validate() const;
};

// Event number `index` of the stream given by `seed` (and the process).
Event generate_event(const GeneratorConfig& config, uint64_t seed, uint64_t index);

// Events [first, first + count), made in parallel with OpenMP; the result does
// not depend on the thread count.
std::vector<Event> generate_events(const GeneratorConfig& config, uint64_t seed, uint64_t first, int64_t count);

}  // namespace jetimg
