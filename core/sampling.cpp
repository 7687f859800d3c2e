#include "core/sampling.h"

#include <utility>

#include "core/philox.h"

namespace jetimg {

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t stream) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    // A 64-bit draw per position; the modulo bias is below 2^-40 for any n here.
    const Philox4 r = philox_block(seed, stream, static_cast<uint64_t>(i));
    const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    const int64_t j = static_cast<int64_t>(bits % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

double seeded_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  const Philox4 r = philox_block(seed, stream, index);
  return uniform_double_from_bits(r.v[0], r.v[1]);
}

}  // namespace jetimg
