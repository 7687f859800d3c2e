// Four-momenta (E, px, py, pz) in GeV, with the kinematics jet physics needs:
// pT, pseudorapidity, rapidity, azimuth, invariant mass and Lorentz boosts.
#pragma once

#include <cmath>

namespace jetimg {

constexpr double kPi = 3.14159265358979323846;

struct FourVector {
  double E = 0, px = 0, py = 0, pz = 0;

  static FourVector from_pt_eta_phi_m(double pt, double eta, double phi, double m) {
    const double pz = pt * std::sinh(eta);
    return {std::sqrt(pt * pt + pz * pz + m * m), pt * std::cos(phi), pt * std::sin(phi), pz};
  }
  static FourVector from_pt_y_phi_m(double pt, double y, double phi, double m) {
    const double mt = std::sqrt(pt * pt + m * m);
    return {mt * std::cosh(y), pt * std::cos(phi), pt * std::sin(phi), mt * std::sinh(y)};
  }

  double pt2() const { return px * px + py * py; }
  double pt() const { return std::sqrt(pt2()); }
  double p2() const { return pt2() + pz * pz; }
  double p() const { return std::sqrt(p2()); }
  double m2() const { return E * E - p2(); }
  // Invariant mass; a tiny negative m² from rounding counts as zero.
  double m() const {
    const double mm = m2();
    return mm > 0 ? std::sqrt(mm) : 0.0;
  }
  double phi() const { return (px == 0 && py == 0) ? 0.0 : std::atan2(py, px); }
  double eta() const {
    const double pabs = p();
    if (pabs == 0) return 0;
    if (pabs == std::abs(pz)) return pz > 0 ? 1e6 : -1e6;  // along the beam
    return 0.5 * std::log((pabs + pz) / (pabs - pz));
  }
  double rapidity() const {
    if (E <= std::abs(pz)) return pz >= 0 ? 1e6 : -1e6;
    return 0.5 * std::log((E + pz) / (E - pz));
  }

  FourVector& operator+=(const FourVector& o) {
    E += o.E, px += o.px, py += o.py, pz += o.pz;
    return *this;
  }
  friend FourVector operator+(FourVector a, const FourVector& b) { return a += b; }
  friend FourVector operator-(const FourVector& a, const FourVector& b) {
    return {a.E - b.E, a.px - b.px, a.py - b.py, a.pz - b.pz};
  }
  friend FourVector operator*(double s, const FourVector& a) { return {s * a.E, s * a.px, s * a.py, s * a.pz}; }
};

// φ difference wrapped into (-π, π].
inline double delta_phi(double phi1, double phi2) {
  double d = phi1 - phi2;
  while (d > kPi) d -= 2 * kPi;
  while (d <= -kPi) d += 2 * kPi;
  return d;
}

// The opening angle between two 3-momenta.
inline double opening_angle(const FourVector& a, const FourVector& b) {
  const double pa = a.p(), pb = b.p();
  if (pa == 0 || pb == 0) return 0;
  double c = (a.px * b.px + a.py * b.py + a.pz * b.pz) / (pa * pb);
  c = c > 1 ? 1 : (c < -1 ? -1 : c);
  return std::acos(c);
}

// Boosts `p` by velocity (bx, by, bz): a particle at rest ends up moving with it.
inline FourVector boost(const FourVector& p, double bx, double by, double bz) {
  const double b2 = bx * bx + by * by + bz * bz;
  if (b2 <= 0) return p;
  const double gamma = 1.0 / std::sqrt(1.0 - b2);
  const double bp = bx * p.px + by * p.py + bz * p.pz;
  const double k = (gamma - 1.0) * bp / b2 + gamma * p.E;
  return {gamma * (p.E + bp), p.px + k * bx, p.py + k * by, p.pz + k * bz};
}

// `p` seen from the rest frame of `frame` (which must be time-like).
inline FourVector to_rest_frame(const FourVector& p, const FourVector& frame) {
  return boost(p, -frame.px / frame.E, -frame.py / frame.E, -frame.pz / frame.E);
}

// `p` given in the rest frame of `frame`, expressed in the frame where `frame` has its momentum.
inline FourVector from_rest_frame(const FourVector& p, const FourVector& frame) {
  return boost(p, frame.px / frame.E, frame.py / frame.E, frame.pz / frame.E);
}

// A boost along the beam that adds `dy` to every rapidity.
inline FourVector boost_rapidity(const FourVector& p, double dy) {
  return boost(p, 0, 0, std::tanh(dy));
}

}  // namespace jetimg
