#include "physics/generator.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"

namespace jetimg {
namespace {

// A Breit-Wigner mass, truncated to `mass ± window`.
double breit_wigner(double mass, double width, double window, Random& rng) {
  for (;;) {
    const double m = mass + 0.5 * width * std::tan(kPi * (rng.uniform() - 0.5));
    if (std::abs(m - mass) < window) return m;
  }
}

// A unit vector distributed isotropically.
FourVector isotropic_momentum(double momentum, double energy, Random& rng) {
  const double cos_theta = rng.uniform(-1, 1), sin_theta = std::sqrt(1 - cos_theta * cos_theta);
  const double phi = rng.uniform(-kPi, kPi);
  return {energy, momentum * sin_theta * std::cos(phi), momentum * sin_theta * std::sin(phi), momentum * cos_theta};
}

// Two-body decay of `parent` into masses m1, m2, isotropic in its rest frame.
void two_body_decay(const FourVector& parent, double m1, double m2, Random& rng, FourVector& d1, FourVector& d2) {
  const double mass = parent.m();
  const double k = std::sqrt((mass * mass - (m1 + m2) * (m1 + m2)) * (mass * mass - (m1 - m2) * (m1 - m2))) / (2 * mass);
  const FourVector rest1 = isotropic_momentum(k, std::sqrt(m1 * m1 + k * k), rng);
  const FourVector rest2{std::sqrt(m2 * m2 + k * k), -rest1.px, -rest1.py, -rest1.pz};
  d1 = from_rest_frame(rest1, parent);
  d2 = from_rest_frame(rest2, parent);
}

// Showers the two partons of a colour-singlet pair (emissions inside their
// opening angle) and restores `parent` exactly; appends to `out`. If the
// showered masses no longer fit inside the parent, reshowers (a few tries).
void shower_singlet_pair(const Particle& a, const Particle& b, const FourVector& parent,
                         const ShowerSettings& settings, Random& rng, std::vector<Particle>& out) {
  const double theta_max = opening_angle(a.p, b.p);
  const size_t start = out.size();
  for (int attempt = 0; attempt < 20; ++attempt) {
    out.resize(start);
    shower(a, theta_max, settings, rng, out);
    const size_t a_end = out.size();
    shower(b, theta_max, settings, rng, out);
    if (restore_two_body(out, start, a_end, out.size(), parent)) return;
  }
  out.resize(start);  // keep the unshowered pair rather than break the mass
  out.push_back(a);
  out.push_back(b);
}

// W -> qq̄' (u d̄ or c s̄, charge random), showered; appends to `out`.
void hadronic_w(const FourVector& w, const ShowerSettings& settings, Random& rng, std::vector<Particle>& out) {
  Particle q, qbar;
  two_body_decay(w, 0, 0, rng, q.p, qbar.p);
  const bool charm = rng.uniform() < 0.5;
  const int sign = rng.uniform() < 0.5 ? 1 : -1;
  q.pdg = sign * (charm ? 4 : 2);
  qbar.pdg = -sign * (charm ? 3 : 1);
  shower_singlet_pair(q, qbar, w, settings, rng, out);
}

// t -> b W, W -> qq̄'. The b showers inside its angle to the W; then b-jet
// and W system are put back to sum to the top.
void hadronic_top(const FourVector& top, const GeneratorConfig& config, Random& rng, std::vector<Particle>& out) {
  const double top_mass = top.m();
  double w_mass = breit_wigner(config.w_mass, config.w_width, 5 * config.w_width, rng);
  w_mass = std::min(w_mass, top_mass - 1.0);
  Particle b;
  FourVector w;
  two_body_decay(top, 0, w_mass, rng, b.p, w);
  b.pdg = 5;
  const double theta_max = opening_angle(b.p, w);
  const size_t start = out.size();
  for (int attempt = 0; attempt < 20; ++attempt) {
    out.resize(start);
    shower(b, theta_max, config.shower, rng, out);
    const size_t b_end = out.size();
    hadronic_w(w, config.shower, rng, out);
    if (restore_two_body(out, start, b_end, out.size(), top)) return;
  }
  out.resize(start);
  out.push_back(b);
  hadronic_w(w, config.shower, rng, out);
}

// A QCD parton of pT `pt` at rapidity 0, showered and given back its momentum.
void qcd_parton(double pt, double phi, const GeneratorConfig& config, Random& rng, std::vector<Particle>& out) {
  Particle parton;
  parton.p = FourVector::from_pt_y_phi_m(pt, 0, phi, 0);
  if (rng.uniform() < config.gluon_fraction) {
    parton.pdg = 21;
  } else {
    parton.pdg = (1 + static_cast<int>(rng.uniform() * 3)) * (rng.uniform() < 0.5 ? 1 : -1);
  }
  const size_t start = out.size();
  shower(parton, config.qcd_max_angle, config.shower, rng, out);
  const FourVector showered = total_momentum(out, start, out.size());
  const double mass = out.size() - start > 1 ? showered.m() : 0.0;
  const FourVector& p = parton.p;
  move_system_to(out, start, out.size(), {std::sqrt(p.p2() + mass * mass), p.px, p.py, p.pz});
}

// Boosts particles [begin, end) along the beam by rapidity dy.
void boost_range(std::vector<Particle>& particles, size_t begin, size_t end, double dy) {
  for (size_t i = begin; i < end; ++i) particles[i].p = boost_rapidity(particles[i].p, dy);
}

void add_underlying_event(const GeneratorConfig& config, Random& rng, Event& event) {
  const double area = 2 * config.ue_eta_max * 2 * kPi;
  const int count = rng.poisson(config.ue_density * area);
  for (int i = 0; i < count; ++i) {
    Particle soft;
    soft.p = FourVector::from_pt_eta_phi_m(rng.exponential(config.ue_mean_pt), rng.uniform(-config.ue_eta_max,
                                           config.ue_eta_max), rng.uniform(-kPi, kPi), 0);
    soft.pdg = rng.uniform() < 0.5 ? 211 : -211;
    event.push_back(soft);
  }
}

// Sums energy onto η-φ cells, smears each cell, and returns massless towers.
Event make_towers(const GeneratorConfig& config, Random& rng, const Event& particles) {
  const int n_eta = static_cast<int>(std::lround(2 * config.tower_eta_max / config.tower_size));
  const int n_phi = static_cast<int>(std::lround(2 * kPi / config.tower_size));
  const double cell_eta = 2 * config.tower_eta_max / n_eta, cell_phi = 2 * kPi / n_phi;
  std::map<int, double> cell_energy;  // ordered: towers come out in a fixed order
  for (const Particle& particle : particles) {
    const double eta = particle.p.eta();
    if (std::abs(eta) >= config.tower_eta_max) continue;
    const int i_eta = std::min(n_eta - 1, static_cast<int>((eta + config.tower_eta_max) / cell_eta));
    const int i_phi = std::min(n_phi - 1, static_cast<int>((particle.p.phi() + kPi) / cell_phi));
    cell_energy[i_eta * n_phi + i_phi] += particle.p.E;
  }
  Event towers;
  for (const auto& [cell, energy] : cell_energy) {
    const double resolution = std::sqrt(config.tower_stochastic * config.tower_stochastic / energy +
                                        config.tower_constant * config.tower_constant);
    const double smeared = energy * (1 + resolution * rng.normal());
    if (smeared <= 0) continue;
    const double eta = -config.tower_eta_max + (cell / n_phi + 0.5) * cell_eta;
    const double phi = -kPi + (cell % n_phi + 0.5) * cell_phi;
    towers.push_back({FourVector::from_pt_eta_phi_m(smeared / std::cosh(eta), eta, phi, 0), 0});
  }
  return towers;
}

}  // namespace

std::string process_name(Process process) {
  switch (process) {
    case Process::W: return "w";
    case Process::Top: return "top";
    case Process::QCD: return "qcd";
  }
  return "unknown";
}

Process parse_process(const std::string& name) {
  if (name == "w") return Process::W;
  if (name == "top") return Process::Top;
  if (name == "qcd") return Process::QCD;
  fail("unknown process '", name, "' (expected w, top or qcd)");
}

GeneratorConfig GeneratorConfig::defaults(Process process) {
  GeneratorConfig config;
  config.process = process;
  if (process == Process::Top) {
    config.pt_min = 520;
    config.pt_max = 680;
  }
  return config;
}

void GeneratorConfig::validate() const {
  // Each setting in its range, named by its key in the run config's 'generator' section.
  const auto need = [](bool ok, const char* key, const char* range, double value) {
    if (!ok) fail("generator: '", key, "' must be ", range, ", got ", value);
  };
  need(pt_min > 0, "pt_min", "> 0 GeV", pt_min);
  need(pt_max > pt_min && pt_max <= kMaxGeneratorPt, "pt_max", "above pt_min and at most 100000 GeV", pt_max);
  need(rapidity_max > 0 && rapidity_max <= 10, "rapidity_max", "in (0, 10]", rapidity_max);
  need(gluon_fraction >= 0 && gluon_fraction <= 1, "gluon_fraction", "in [0, 1]", gluon_fraction);
  need(qcd_max_angle > 0 && qcd_max_angle <= kPi, "qcd_max_angle", "in (0, pi]", qcd_max_angle);
  need(shower.cutoff >= 0.3 && shower.cutoff <= 1000, "shower_cutoff",
       "in [0.3, 1000] GeV (alpha_s must stay perturbative)", shower.cutoff);
  need(shower.alpha_s_mz > 0.05 && shower.alpha_s_mz < 0.2, "alpha_s_mz", "in (0.05, 0.2)", shower.alpha_s_mz);
  need(shower.flavours >= 1 && shower.flavours <= 5, "flavours", "in 1..5", shower.flavours);
  need(w_mass > 0 && w_mass < 1000, "w_mass", "in (0, 1000) GeV", w_mass);
  need(w_width > 0 && w_width < w_mass, "w_width", "in (0, w_mass)", w_width);
  need(top_mass > w_mass + 1 && top_mass < 1000, "top_mass", "above w_mass + 1 GeV and below 1000 GeV", top_mass);
  need(top_width > 0 && top_width < top_mass - w_mass, "top_width", "in (0, top_mass - w_mass)", top_width);
  need(ue_density >= 0 && ue_density <= kMaxUeDensity, "ue_density", "in [0, 500] per unit area", ue_density);
  need(ue_mean_pt > 0 && ue_mean_pt <= 100, "ue_mean_pt", "in (0, 100] GeV", ue_mean_pt);
  need(ue_eta_max > 0 && ue_eta_max <= 10, "ue_eta_max", "in (0, 10]", ue_eta_max);
  need(tower_size > 0.01 && tower_size < 1, "tower_size", "in (0.01, 1)", tower_size);
  need(tower_eta_max > 0 && tower_eta_max <= 10, "tower_eta_max", "in (0, 10]", tower_eta_max);
  need(tower_stochastic >= 0 && tower_stochastic <= 10, "tower_stochastic", "in [0, 10]", tower_stochastic);
  need(tower_constant >= 0 && tower_constant <= 1, "tower_constant", "in [0, 1]", tower_constant);
}

Event generate_event(const GeneratorConfig& config, uint64_t seed, uint64_t index) {
  Random rng(seed, index | (static_cast<uint64_t>(config.process) << 56));
  Event event;
  const double pt = rng.uniform(config.pt_min, config.pt_max);
  const double phi = rng.uniform(-kPi, kPi);
  const double y = rng.uniform(-config.rapidity_max, config.rapidity_max);
  // Each hard object is made and showered at zero rapidity, then boosted to y.
  switch (config.process) {
    case Process::W: {
      const double mass = breit_wigner(config.w_mass, config.w_width, 10 * config.w_width, rng);
      hadronic_w(FourVector::from_pt_y_phi_m(pt, 0, phi, mass), config.shower, rng, event);
      boost_range(event, 0, event.size(), y);
      break;
    }
    case Process::Top: {
      const double y2 = rng.uniform(-config.rapidity_max, config.rapidity_max);
      for (int t = 0; t < 2; ++t) {
        const size_t start = event.size();
        const double mass = breit_wigner(config.top_mass, config.top_width, 10 * config.top_width, rng);
        hadronic_top(FourVector::from_pt_y_phi_m(pt, 0, t ? phi + kPi : phi, mass), config, rng, event);
        boost_range(event, start, event.size(), t ? y2 : y);
      }
      break;
    }
    case Process::QCD: {
      const double y2 = rng.uniform(-config.rapidity_max, config.rapidity_max);
      for (int j = 0; j < 2; ++j) {
        const size_t start = event.size();
        qcd_parton(pt, j ? phi + kPi : phi, config, rng, event);
        boost_range(event, start, event.size(), j ? y2 : y);
      }
      break;
    }
  }
  if (config.underlying_event) add_underlying_event(config, rng, event);
  if (config.towers) event = make_towers(config, rng, event);
  return event;
}

std::vector<Event> generate_events(const GeneratorConfig& config, uint64_t seed, uint64_t first, int64_t count) {
  config.validate();
  std::vector<Event> events(static_cast<size_t>(count));
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < count; ++i)
    events[static_cast<size_t>(i)] = generate_event(config, seed, first + static_cast<uint64_t>(i));
  return events;
}

}  // namespace jetimg
