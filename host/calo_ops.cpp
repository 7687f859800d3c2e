// Host implementation of core/calo_ops.h: one row (shower) per iteration.
#include "core/calo_math.h"
#include "core/calo_ops.h"

namespace jetimg::host {

void scale_rows(Context&, const Tensor& x, const Tensor& s, float factor, Tensor& y) {
  const int64_t n = x.dim(0), k = x.dim(1);
  const float* xp = x.data();
  const float* sp = s.data();
  float* yp = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < n; ++r) {
    const float m = sp[r] * factor;
    for (int64_t c = 0; c < k; ++c) yp[r * k + c] = xp[r * k + c] * m;
  }
}

void energy_features_forward(Context&, const Tensor& e, const Tensor& incident, Tensor& feats, Tensor& total) {
  const int64_t n = e.dim(0), layers = e.dim(1);
  for (int64_t r = 0; r < n; ++r)
    energy_features_row(e.data() + r * layers, layers, incident.data()[r], feats.data() + r * (layers + 3),
                        total.data() + r);
}

void energy_features_backward(Context&, const Tensor& e, const Tensor& incident, const Tensor& dfeats,
                              const float* dtotal, Tensor& de) {
  const int64_t n = e.dim(0), layers = e.dim(1);
  for (int64_t r = 0; r < n; ++r)
    energy_features_backward_row(e.data() + r * layers, layers, incident.data()[r],
                                 dfeats.data() + r * (layers + 3), dtotal ? dtotal[r] : 0.0f,
                                 de.data() + r * layers);
}

}  // namespace jetimg::host
