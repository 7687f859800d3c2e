// Per-sample math of the CaloGAN energy features, written once for the host
// loops and the CUDA kernels (see core/calo_ops.h for what it computes).
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace jetimg {

// The discriminator's view of the energies of one shower: from the layer
// energies e[0..L) and the incident energy, writes
//   feats = [e_0/10, ..., e_{L-1}/10, total/100, |total - incident|, 10·[|total - incident| > 5]]
// (L + 3 values) and total = Σ e_l. Energies in GeV.
JI_HD void energy_features_row(const float* e, int64_t layers, float incident, float* feats, float* total) {
  float t = 0.0f;
  for (int64_t l = 0; l < layers; ++l) {
    t += e[l];
    feats[l] = e[l] / 10.0f;
  }
  const float well = t > incident ? t - incident : incident - t;
  feats[layers] = t / 100.0f;
  feats[layers + 1] = well;
  feats[layers + 2] = well > 5.0f ? 10.0f : 0.0f;
  *total = t;
}

// Its backward: de[l] = dfeats[l]/10 + dfeats[L]/100 + sign(total - incident)·dfeats[L+1] + dtotal
// (the step feature is constant almost everywhere: no gradient).
JI_HD void energy_features_backward_row(const float* e, int64_t layers, float incident, const float* dfeats,
                                        float dtotal, float* de) {
  float t = 0.0f;
  for (int64_t l = 0; l < layers; ++l) t += e[l];
  const float sign = t > incident ? 1.0f : (t < incident ? -1.0f : 0.0f);
  const float shared = dfeats[layers] / 100.0f + sign * dfeats[layers + 1] + dtotal;
  for (int64_t l = 0; l < layers; ++l) de[l] = dfeats[l] / 10.0f + shared;
}

}  // namespace jetimg
