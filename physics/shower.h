// A small leading-log, angular-ordered parton shower (final state only).
//
// A parton of energy E branches a -> b c (q->qg, g->gg, g->qq̄) with
//   dP = αs(kT)/(2π) · dθ²/θ² · P(z) dz,   kT = min(z, 1-z)·E·θ > cutoff,
// with the standard unregularised splitting functions, one-loop running αs
// and the Sudakov veto algorithm; the daughters shower on with their emission
// angles below θ (angular ordering, i.e. colour coherence). Angles are
// measured in the frame the caller showers in; showering in the frame where
// the emitter has zero rapidity makes them close to ΔR in (y, φ).
//
// Each branching conserves energy and makes the pair's invariant mass
// z(1-z)E²(2-2cosθ) exactly; the 3-momentum of the system shrinks
// accordingly. Callers restore momentum conservation globally with
// restore_two_body() (decays) or move_system_to() (single partons).
#pragma once

#include <cstddef>
#include <vector>

#include "physics/event.h"
#include "physics/random.h"

namespace jetimg {

struct ShowerSettings {
  double cutoff = 1.0;        // GeV: smallest kT of a resolvable emission
  double alpha_s_mz = 0.118;  // αs(mZ), one-loop running with five flavours
  int flavours = 5;           // quark flavours g->qq̄ can make
};

// One-loop αs(q) for five flavours, normalised to αs(mZ).
double alpha_s(double q, double alpha_s_mz);

// Showers `parton` (massless) with emission angles below `theta_max`;
// appends the final partons to `out`.
void shower(const Particle& parton, double theta_max, const ShowerSettings& settings, Random& rng,
            std::vector<Particle>& out);

// The summed four-momentum of particles [begin, end).
FourVector total_momentum(const std::vector<Particle>& particles, size_t begin, size_t end);

// Lorentz-transforms particles [begin, end) so that their total becomes
// `target`, which must have the system's invariant mass (a single massless
// particle is simply set to `target`).
void move_system_to(std::vector<Particle>& particles, size_t begin, size_t end, const FourVector& target);

// After showering the two products of a decay of `parent` into the systems
// [a_begin, a_end) and [a_end, b_end): in the parent's rest frame, puts them
// back to back along system A's direction with their masses kept, so that
// they sum to `parent` exactly. False when their masses no longer fit.
bool restore_two_body(std::vector<Particle>& particles, size_t a_begin, size_t a_end, size_t b_end,
                      const FourVector& parent);

}  // namespace jetimg
