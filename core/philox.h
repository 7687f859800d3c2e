// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11), written
// once for host and device. A number is a pure function of (seed, stream,
// index), so the CPU and the GPU produce the same values for the same seed, and
// any thread can produce any element without shared state.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace jetimg {

struct Philox4 {
  uint32_t v[4];
};

JI_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t product = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(product >> 32);
  return static_cast<uint32_t>(product);
}

// Ten rounds of Philox4x32 on counter `ctr` with key `key`.
JI_HD Philox4 philox4x32_10(Philox4 ctr, uint32_t key0, uint32_t key1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo32(kMul0, ctr.v[0], &hi0);
    const uint32_t lo1 = mulhilo32(kMul1, ctr.v[2], &hi1);
    ctr = Philox4{{hi1 ^ ctr.v[1] ^ key0, lo1, hi0 ^ ctr.v[3] ^ key1, lo0}};
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return ctr;
}

// The four words for element `index` of random stream `stream` under `seed`.
JI_HD Philox4 philox_block(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4 ctr{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                     static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// A float in the open interval (0, 1) from the top 23 bits of a word (23, not
// 24, so that the half-step offset stays exactly representable below 1).
JI_HD float uniform_from_bits(uint32_t bits) {
  return (static_cast<float>(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

// A double in the open interval (0, 1) from two words (52 bits).
JI_HD double uniform_double_from_bits(uint32_t hi, uint32_t lo) {
  const uint64_t bits = ((static_cast<uint64_t>(hi) << 20) ^ (static_cast<uint64_t>(lo) >> 12)) &
                        ((uint64_t(1) << 52) - 1);
  return (static_cast<double>(bits) + 0.5) * (1.0 / 4503599627370496.0);
}

// lo + (hi - lo) * u with the product rounded before the sum, on both sides.
// Fused into one FMA (which nvcc does by default, and a host compiler may do
// with FMA instructions and -ffp-contract=fast) the result differs in the last
// bit for about half of all draws, and the CPU and GPU would initialise
// different weights from the same seed. The device uses the explicitly
// rounded intrinsics, which are never contracted; the host relies on
// -ffp-contract=off (set in CMakeLists.txt) and on the separate statements.
JI_HD float uniform_in(float u, float lo, float hi) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(lo, __fmul_rn(__fsub_rn(hi, lo), u));
#else
  const float width = hi - lo;
  const float offset = width * u;
  return lo + offset;
#endif
}

// Element `index` of a uniform stream on [lo, hi).
JI_HD float philox_uniform(uint64_t seed, uint64_t stream, uint64_t index, float lo, float hi) {
  const Philox4 r = philox_block(seed, stream, index);
  return uniform_in(uniform_from_bits(r.v[0]), lo, hi);
}

// Element `index` of a normal stream (Box-Muller on two 52-bit uniforms, in
// double so that host and device libm round to the same float).
JI_HD float philox_normal(uint64_t seed, uint64_t stream, uint64_t index, float mean, float stddev) {
  const Philox4 r = philox_block(seed, stream, index);
  const double u1 = uniform_double_from_bits(r.v[0], r.v[1]);
  const double u2 = uniform_double_from_bits(r.v[2], r.v[3]);
  const double radius = sqrt(-2.0 * log(u1));
  const double z = radius * cos(6.283185307179586 * u2);
  return static_cast<float>(mean + stddev * z);
}

// A label of a GAN step: `other` where the uniform of (seed, stream, index)
// (seeded_uniform's draw, core/sampling.h) falls below `probability`, else
// `value`. The flipped labels of a step, the same on the CPU and on CUDA.
JI_HD float flipped_label(uint64_t seed, uint64_t stream, uint64_t index, float value, float other,
                          double probability) {
  const Philox4 r = philox_block(seed, stream, index);
  return uniform_double_from_bits(r.v[0], r.v[1]) < probability ? other : value;
}

}  // namespace jetimg
