// Small ops of the CaloGAN generator and discriminator that glue its
// networks together: conditioning the latent vector on the incident energy,
// and the energy features the discriminator adds to its learned ones.
// Declared and checked here, implemented in host/calo_ops.cpp and
// cuda/calo_ops.cu over core/calo_math.h.
#pragma once

#include "core/context.h"
#include "core/tensor.h"

namespace jetimg {

// y[n, k] = x[n, k] · s[n] · factor. x, y: (N, K); s: (N, 1) or (N).
// (CaloGAN multiplies its latent vector by the incident energy in GeV / 100.)
void scale_rows(Context& ctx, const Tensor& x, const Tensor& s, float factor, Tensor& y);

// e: (N, L) layer energies, incident: (N, 1) incident energies (GeV) ->
// feats: (N, L + 3) = [e/10, total/100, |total - incident|, 10·[|total - incident| > 5]],
// total: (N, 1) = Σ_l e. As the published CaloGAN discriminator.
void energy_features_forward(Context& ctx, const Tensor& e, const Tensor& incident, Tensor& feats, Tensor& total);
// de: (N, L) from dfeats (N, L + 3) and dtotal (N, 1) (undefined: zero).
void energy_features_backward(Context& ctx, const Tensor& e, const Tensor& incident, const Tensor& dfeats,
                              const Tensor& dtotal, Tensor& de);

namespace host {
void scale_rows(Context& ctx, const Tensor& x, const Tensor& s, float factor, Tensor& y);
void energy_features_forward(Context& ctx, const Tensor& e, const Tensor& incident, Tensor& feats, Tensor& total);
void energy_features_backward(Context& ctx, const Tensor& e, const Tensor& incident, const Tensor& dfeats,
                              const float* dtotal, Tensor& de);
}  // namespace host

namespace cuda {
void scale_rows(Context& ctx, const Tensor& x, const Tensor& s, float factor, Tensor& y);
void energy_features_forward(Context& ctx, const Tensor& e, const Tensor& incident, Tensor& feats, Tensor& total);
void energy_features_backward(Context& ctx, const Tensor& e, const Tensor& incident, const Tensor& dfeats,
                              const float* dtotal, Tensor& de);
}  // namespace cuda

}  // namespace jetimg
