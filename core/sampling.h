// Seeded choices on the host from the counter-based generator (core/philox.h):
// a permutation and a uniform number per index, the same for a given (seed,
// stream) on any machine and in any order of asking.
#pragma once

#include <cstdint>
#include <vector>

namespace jetimg {

// A permutation of 0..n-1 (Fisher-Yates driven by Philox).
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t stream);
// A uniform number in [0, 1) for `index` of (seed, stream).
double seeded_uniform(uint64_t seed, uint64_t stream, uint64_t index);

}  // namespace jetimg
