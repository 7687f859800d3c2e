#include "physics/shower.h"

#include <algorithm>
#include <cmath>

namespace jetimg {
namespace {

constexpr double kCF = 4.0 / 3.0, kCA = 3.0, kTR = 0.5;
constexpr double kMZ = 91.1876;

struct Vec3 {
  double x, y, z;
};
Vec3 operator*(double s, Vec3 v) { return {s * v.x, s * v.y, s * v.z}; }
Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
double dot(Vec3 a, Vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Vec3 cross(Vec3 a, Vec3 b) { return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; }
Vec3 normalised(Vec3 v) { return (1.0 / std::sqrt(dot(v, v))) * v; }

// A massless particle of energy `energy` along `direction` (a unit vector).
FourVector massless(double energy, Vec3 direction) {
  return {energy, energy * direction.x, energy * direction.y, energy * direction.z};
}

// Samples w in [lo, 1 - lo] with density proportional to 1/w.
double sample_inverse(double lo, Random& rng) { return lo * std::pow((1 - lo) / lo, rng.uniform()); }

}  // namespace

double alpha_s(double q, double alpha_s_mz) {
  const double b0 = (33.0 - 2.0 * 5) / (12.0 * kPi);
  return alpha_s_mz / (1.0 + b0 * alpha_s_mz * std::log(q * q / (kMZ * kMZ)));
}

void shower(const Particle& parton, double theta_max, const ShowerSettings& settings, Random& rng,
            std::vector<Particle>& out) {
  const double energy = parton.p.E;
  const bool gluon = parton.pdg == 21;
  const double alpha_max = alpha_s(settings.cutoff, settings.alpha_s_mz);  // αs falls with kT >= cutoff
  double theta = theta_max;
  while (energy > 0 && theta > 0) {
    // Resolvable z range at the current angle; it only shrinks as θ falls,
    // so rates computed on it overestimate the rest of the evolution.
    const double z_lo = settings.cutoff / (energy * theta);
    if (z_lo >= 0.5) break;
    const double log_range = std::log((1 - z_lo) / z_lo);
    const double rate_soft = (gluon ? 2 * kCA : 2 * kCF) * log_range;        // q->qg or g->gg overestimate
    const double rate_split = gluon ? settings.flavours * kTR * (1 - 2 * z_lo) : 0.0;  // g->qq̄
    const double rate = alpha_max / (2 * kPi) * (rate_soft + rate_split);
    // No-emission probability from θ down to θ' is (θ'/θ)^(2·rate).
    theta *= std::pow(rng.uniform(), 0.5 / rate);
    const double z_now = settings.cutoff / (energy * theta);
    if (z_now >= 0.5) break;

    // Pick a channel and z from the overestimate, then veto down to the true rate.
    const bool split = gluon && rng.uniform() * (rate_soft + rate_split) < rate_split;
    double z, accept;
    if (split) {
      z = rng.uniform(z_lo, 1 - z_lo);
      accept = z * z + (1 - z) * (1 - z);
    } else if (gluon) {
      const double w = sample_inverse(z_lo, rng);
      z = rng.uniform() < 0.5 ? w : 1 - w;
      accept = (z / (1 - z) + (1 - z) / z + z * (1 - z)) / (1 / (1 - z) + 1 / z);
    } else {
      z = 1 - sample_inverse(z_lo, rng);  // the gluon takes 1 - z
      accept = 0.5 * (1 + z * z);
    }
    if (z < z_now || z > 1 - z_now) continue;
    const double kt = std::min(z, 1 - z) * energy * theta;
    accept *= alpha_s(kt, settings.alpha_s_mz) / alpha_max;
    if (rng.uniform() > accept) continue;

    // Branch: b takes z at angle (1-z)θ on one side, c takes 1-z at zθ on the
    // other, so the pair balances transversely and opens at exactly θ.
    const Vec3 n = normalised({parton.p.px, parton.p.py, parton.p.pz});
    const Vec3 seed = std::abs(n.x) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
    const Vec3 e1 = normalised(seed + (-dot(seed, n)) * n);
    const Vec3 e2 = cross(n, e1);
    const double azimuth = rng.uniform(0, 2 * kPi);
    const Vec3 side = std::cos(azimuth) * e1 + std::sin(azimuth) * e2;
    const double theta_b = (1 - z) * theta, theta_c = z * theta;
    Particle b, c;
    b.p = massless(z * energy, std::cos(theta_b) * n + std::sin(theta_b) * side);
    c.p = massless((1 - z) * energy, std::cos(theta_c) * n + (-std::sin(theta_c)) * side);
    if (split) {
      const int flavour = 1 + std::min(settings.flavours - 1, static_cast<int>(rng.uniform() * settings.flavours));
      b.pdg = flavour;
      c.pdg = -flavour;
    } else {
      b.pdg = parton.pdg;  // the quark (or one gluon) keeps z
      c.pdg = 21;
    }
    shower(b, theta, settings, rng, out);
    shower(c, theta, settings, rng, out);
    return;
  }
  out.push_back(parton);
}

FourVector total_momentum(const std::vector<Particle>& particles, size_t begin, size_t end) {
  FourVector sum;
  for (size_t i = begin; i < end; ++i) sum += particles[i].p;
  return sum;
}

void move_system_to(std::vector<Particle>& particles, size_t begin, size_t end, const FourVector& target) {
  if (end - begin == 1) {
    particles[begin].p = target;
    return;
  }
  const FourVector current = total_momentum(particles, begin, end);
  for (size_t i = begin; i < end; ++i) particles[i].p = from_rest_frame(to_rest_frame(particles[i].p, current), target);
}

bool restore_two_body(std::vector<Particle>& particles, size_t a_begin, size_t a_end, size_t b_end,
                      const FourVector& parent) {
  const FourVector a = total_momentum(particles, a_begin, a_end);
  const FourVector b = total_momentum(particles, a_end, b_end);
  const double mass = parent.m(), ma = (a_end - a_begin > 1) ? a.m() : 0.0,
               mb = (b_end - a_end > 1) ? b.m() : 0.0;
  if (ma + mb >= mass) return false;
  const double lambda = (mass * mass - (ma + mb) * (ma + mb)) * (mass * mass - (ma - mb) * (ma - mb));
  const double k = std::sqrt(lambda) / (2 * mass);
  const FourVector a_rest = to_rest_frame(a, parent);
  const double pa = a_rest.p();
  const double ux = a_rest.px / pa, uy = a_rest.py / pa, uz = a_rest.pz / pa;
  const FourVector a_target{std::sqrt(ma * ma + k * k), k * ux, k * uy, k * uz};
  const FourVector b_target{std::sqrt(mb * mb + k * k), -k * ux, -k * uy, -k * uz};
  move_system_to(particles, a_begin, a_end, from_rest_frame(a_target, parent));
  move_system_to(particles, a_end, b_end, from_rest_frame(b_target, parent));
  return true;
}

}  // namespace jetimg
