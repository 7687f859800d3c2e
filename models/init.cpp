#include "models/init.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace jetimg {

void initialise(Context& ctx, Tensor& t, Init init, int64_t fan_in, int64_t fan_out) {
  switch (init) {
    case Init::HeUniform: {
      const float limit = static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in)));
      random_uniform(ctx, t, -limit, limit);
      return;
    }
    case Init::GlorotUniform: {
      const float limit = static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)));
      random_uniform(ctx, t, -limit, limit);
      return;
    }
    case Init::GlorotNormal:
      random_normal(ctx, t, 0.0f, static_cast<float>(std::sqrt(2.0 / static_cast<double>(fan_in + fan_out))));
      return;
    case Init::Zeros: fill(ctx, t, 0.0f); return;
  }
}

Init parse_init(const std::string& name, const std::string& where) {
  for (Init init : {Init::HeUniform, Init::GlorotUniform, Init::GlorotNormal, Init::Zeros})
    if (name == init_name(init)) return init;
  fail(where, ": unknown initialiser '", name, "' (known: he_uniform, glorot_uniform, glorot_normal, zeros)");
}

std::string init_name(Init init) {
  switch (init) {
    case Init::HeUniform: return "he_uniform";
    case Init::GlorotUniform: return "glorot_uniform";
    case Init::GlorotNormal: return "glorot_normal";
    case Init::Zeros: return "zeros";
  }
  return "?";
}

}  // namespace jetimg
