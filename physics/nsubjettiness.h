// N-subjettiness (Thaler, Van Tilburg) of a jet's constituents, β = 1, with
// winner-take-all exclusive-kT axes as fjcontrib's WTA_KT_Axes:
//
//   τ_N = Σ_i pT_i · min_k ΔR(i, axis_k),   ΔR² = Δy² + Δφ²
//
// unnormalised (fjcontrib's UnnormalizedMeasure(1); its default
// NormalizedMeasure would divide by Σ_i pT_i · R0). The N axes are the
// exclusive N jets of a kT clustering (R = fastjet's largest, so only pairs
// merge) whose recombination gives the pair the pT sum and the direction of
// the harder of the two (winner-take-all), so each axis sits on a particle.
// τ_N = 0 when the jet has N or fewer particles. Ratios are 0 when their
// denominator is.
#pragma once

#include <vector>

#include "physics/fourvector.h"

namespace jetimg {

struct NSubjettiness {
  double tau1 = 0, tau2 = 0, tau3 = 0, tau21 = 0, tau32 = 0;
};

// The N winner-take-all exclusive-kT axes (fewer if there are fewer particles).
std::vector<FourVector> wta_kt_axes(const std::vector<FourVector>& particles, int n);

// τ_N as above.
double nsubjettiness(const std::vector<FourVector>& particles, int n);

// τ1, τ2, τ3 and the ratios τ21 = τ2/τ1, τ32 = τ3/τ2.
NSubjettiness nsubjettiness_123(const std::vector<FourVector>& particles);

}  // namespace jetimg
