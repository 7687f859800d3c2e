#include "physics/pdg.h"

#include <cstdlib>

namespace jetimg {
namespace {

// 3 × charge of quark flavour 1..8 (d u s c b t b' t').
constexpr int kQuark[9] = {0, -1, 2, -1, 2, -1, 2, -1, 2};

int digit(int code, int position) {  // position 1 = units (nJ), 2 = nq3, 3 = nq2, 4 = nq1, ...
  for (int i = 1; i < position; ++i) code /= 10;
  return code % 10;
}

// Fundamental particles (|code| < 100), for the positive code.
int fundamental(int a) {
  if (a >= 1 && a <= 8) return kQuark[a];
  switch (a) {
    case 11: case 13: case 15: case 17: return -3;  // e-, μ-, τ-, τ'-
    case 24: case 34: case 37: return 3;            // W+, W'+, H+
    default: return 0;                              // neutrinos, g, γ, Z, h, ...
  }
}

}  // namespace

int pdg_three_charge(int pdg) {
  if (pdg == 0) return 0;
  const int sign = pdg < 0 ? -1 : 1;
  const int a = std::abs(pdg);
  if (a < 100) return sign * fundamental(a);
  if (a >= 1000000000) {  // nucleus 10LZZZAAAI
    const int z = (a / 10000) % 1000;
    return sign * 3 * z;
  }
  if (a >= 1000000 && digit(a, 7) != 0 && digit(a, 7) <= 2) {
    // Excited states (n = 1, 2 in the seventh digit) carry the charge of the
    // ground state; anything larger (SUSY, technicolour...) is not a hadron here.
    return pdg_three_charge(sign * (a % 1000000));
  }
  if (a >= 10000000) return 0;
  const int q1 = digit(a, 4), q2 = digit(a, 3), q3 = digit(a, 2);
  if (q3 == 0) return 0;  // not a hadron code (diquark-like or special)
  if (q1 == 0) {
    // Meson q2 q̄3 with q2 >= q3: the heavier quark is the particle, unless
    // it is down-type (odd), in which case it is the antiparticle (B+ = u b̄,
    // K+ = u s̄); same-flavour pairs are neutral.
    if (q2 == q3) return 0;
    const int charge = (q2 % 2 == 0) ? kQuark[q2] - kQuark[q3] : kQuark[q3] - kQuark[q2];
    return sign * charge;
  }
  return sign * (kQuark[q1] + kQuark[q2] + kQuark[q3]);  // baryon q1 q2 q3
}

}  // namespace jetimg
