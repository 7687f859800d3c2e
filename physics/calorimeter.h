// The built-in calorimeter simulator: parametrised showers of positrons,
// photons and charged pions in the CaloGAN calorimeter, fast enough to make
// training sets for the shower generators without Geant4.
//
// The detector (Paganini, de Oliveira, Nachman, arXiv:1705.02355 and
// 1712.10321; the Geant4 application in github.com/hep-lbdl/CaloGAN): a
// 480 mm cube of 80 sampling cells of 2 mm lead + 4 mm liquid argon, read
// out in three layers 90, 347 and 43 mm deep (5.8, 22.3 and 2.8 X0), each
// 480 × 480 mm across, divided into 3 × 96 cells of 160 × 5 mm, 12 × 12 of
// 40 × 40 mm and 12 × 6 of 40 × 80 mm. Rows run along x, columns along y;
// the particle enters at the centre, head on.
//
// Electromagnetic showers follow Grindhammer & Peters (hep-ex/0001020):
//   - a Gamma longitudinal profile dE/dt ∝ t^(α-1) e^(-βt) (t in X0) whose
//     (ln T, ln α) are drawn per shower from a correlated normal distribution
//     with the published energy dependence for sampling calorimeters
//     (T = (α-1)/β is the depth of the maximum);
//   - a radial profile f(r) = p·2rRc²/(r²+Rc²)² + (1-p)·2rRt²/(r²+Rt²)² with
//     Rc, Rt (in Molière radii) and p depending on energy and on the depth
//     in units of T;
//   - sampling fluctuations σ/E = a/√(E/GeV): the visible energy of each
//     slab of depth is Gamma-distributed with that variance, and split into
//     spots of ~spot_energy_mev, each spot placed at a random (r, φ).
// Photons convert after an exponential depth of mean 9/7 X0 and then shower
// as electrons. Pions travel as minimum-ionising particles to their first
// nuclear interaction (exponential, mean λ_int) and then shower in two
// parts: an electromagnetic one (π0 photons: a fluctuating share that grows
// with energy, on the radiation-length scale, wider than one electron's) and
// a hadronic one (a Gamma profile on the interaction-length scale, wide,
// partly invisible, in coarse spots); see CaloSimSettings and the README.
//
// Deposits are the energy the calorimeter measures once the sampling fraction
// is calibrated out (MeV): an electron that is fully contained reads its own
// energy on average. Energy outside a layer's cells goes to that layer's
// overflow; energy behind the last layer is lost (leakage).
//
// A shower is a pure function of (settings, particle, energy, seed, index):
// the same for any thread count and any batching.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "physics/calo_showers.h"

namespace jetimg {

enum class CaloParticle { Positron = 1, Photon = 2, PiPlus = 3 };

// "e+", "gamma" or "pi+".
std::string calo_particle_name(CaloParticle particle);
// Throws Error naming the accepted names otherwise.
CaloParticle parse_calo_particle(const std::string& name);

struct CaloSimSettings {
  // Geometry (defaults: the CaloGAN calorimeter).
  double absorber_mm = 2.0;                          // lead per sampling cell
  double gap_mm = 4.0;                               // liquid argon per sampling cell
  std::vector<double> layer_depth_mm = {90, 347, 43};
  double width_mm = 480;                             // the cell grids' size in x and in y
  std::vector<LayerGeometry> cells = calogan_geometry();

  // Electromagnetic showers.
  double sampling_term = 0.11;      // a in σ/E = a/√(E/GeV)
  double spot_energy_mev = 12;      // mean visible energy per spot

  // Hadronic showers (pi+); chosen, not fitted: see the README.
  double hadronic_sampling_term = 0.40;  // for the non-electromagnetic part
  double hadronic_spot_energy_mev = 150;
  double em_fraction_exponent = 0.82;    // <f_em> = 1 - (E/GeV)^(k-1) (Groom's power law)
  double em_fraction_spread = 8;         // f_em ~ Beta with a + b = this
  double h_over_e = 0.60;                // visible share of the non-electromagnetic energy
  double h_over_e_spread = 0.10;         // its shower-to-shower standard deviation

  // Throws Error naming the setting when a value is impossible.
  void validate() const;
};
Json to_json(const CaloSimSettings& settings);

// The sampling structure seen as one effective material, from the PDG
// properties of lead and liquid argon (mass-weighted, as Grindhammer & Peters
// define them).
struct CaloMaterial {
  double x0_mm;                  // radiation length
  double moliere_mm;             // Molière radius
  double critical_mev;           // critical energy Ec
  double z_eff;                  // effective atomic number
  double sampling_frequency;     // F_S = X0 / (absorber + gap)
  double e_over_mip;             // ê = 1 / (1 + 0.007 (Z_absorber - Z_gap))
  double interaction_length_mm;  // nuclear interaction length λ_int
  double mip_mev_per_mm;         // a minimum-ionising particle's mean energy loss
};
CaloMaterial calo_material(const CaloSimSettings& settings);

// What the simulator knows about each shower beyond its deposits.
struct ShowerTruth {
  double start_x0 = 0;     // where the shower starts (photon conversion, pion interaction), X0
  double tmax_x0 = 0;      // this shower's depth of maximum T, X0 from its start (hadronic: the hadronic profile)
  double alpha = 0;        // and its shape parameter α
  double depth_x0 = 0;     // energy-weighted mean depth of the visible deposits, X0 from the front face
  double visible_mev = 0;  // all deposits, cells and overflow
  double leaked_mev = 0;   // expected visible energy behind the last layer (a pion that never
                           // interacts: all it did not lose on the way)
  double invisible_mev = 0;  // hadronic energy that makes no signal (binding energy, neutrons)
};

// Simulates one shower per entry of `energies_gev` (incident energies in
// GeV); shower i uses the random stream of index first_index + i, so a run
// split into chunks gives the same showers as one call. OpenMP threads over
// showers. `truth`, when given, receives one ShowerTruth per shower.
ShowerBatch simulate_showers(const CaloSimSettings& settings, CaloParticle particle,
                             const std::vector<float>& energies_gev, uint64_t seed, int64_t first_index,
                             std::vector<ShowerTruth>* truth = nullptr);

// `count` incident energies uniform in [min_gev, max_gev], number i from the
// stream of index first_index + i (a stream apart from the showers').
std::vector<float> uniform_energies(double min_gev, double max_gev, int64_t count, uint64_t seed,
                                    int64_t first_index);

}  // namespace jetimg
