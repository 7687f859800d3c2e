#include "physics/calorimeter.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/philox.h"
#include "physics/gamma_math.h"
#include "physics/random.h"

namespace jetimg {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Lead and liquid argon as the PDG lists them ("Atomic and nuclear properties
// of materials"): X0 and λ_int in g/cm², Ec for electrons in MeV, dE/dx at
// minimum ionisation in MeV cm²/g. The argon density is that of the CaloGAN
// Geant4 application.
struct Element {
  double z, density, x0, critical_mev, interaction_length, dedx_min;
};
constexpr Element kLead{82, 11.35, 6.37, 7.43, 199.6, 1.122};
constexpr Element kArgon{18, 1.390, 19.55, 32.84, 119.7, 1.519};
constexpr double kScaleEnergyMev = 21.2;  // E_s in R_M = E_s X0 / Ec

// Random streams: one pair per shower (shower-level draws in doubles, spot
// positions in floats), apart from the incident-energy stream.
constexpr uint64_t kEnergyStreamTag = 0xE;
uint64_t shower_stream(CaloParticle particle, int64_t index, uint64_t which) {
  return (static_cast<uint64_t>(particle) << 56) | (static_cast<uint64_t>(index) << 1) | which;
}

// Four floats in (0, 1) per Philox block: the spots need many and cheap.
class Uniforms {
 public:
  Uniforms(uint64_t seed, uint64_t stream) : seed_(seed), stream_(stream) {}
  float next() {
    if (used_ == 4) {
      block_ = philox_block(seed_, stream_, counter_++);
      used_ = 0;
    }
    return uniform_from_bits(block_.v[used_++]);
  }

 private:
  uint64_t seed_, stream_, counter_ = 0;
  Philox4 block_{};
  int used_ = 4;
};

// A slab of depth inside one readout layer (one lead + argon cell thick, or
// a little less so that layer boundaries fall on slab boundaries).
struct Slab {
  int layer;
  double begin_mm, end_mm, mid_mm;
};

struct Detector {
  std::vector<Slab> slabs;
  double depth_mm = 0, half_width_mm = 0;
  std::vector<LayerGeometry> cells;
  std::vector<float> inv_cell_x, inv_cell_y;  // 1 / cell size, per layer
};

Detector make_detector(const CaloSimSettings& s) {
  Detector d;
  d.half_width_mm = s.width_mm / 2;
  d.cells = s.cells;
  const double cell_depth = s.absorber_mm + s.gap_mm;
  for (size_t l = 0; l < s.layer_depth_mm.size(); ++l) {
    const int n = std::max(1, static_cast<int>(std::ceil(s.layer_depth_mm[l] / cell_depth - 1e-9)));
    const double step = s.layer_depth_mm[l] / n;
    for (int i = 0; i < n; ++i) {
      const double begin = d.depth_mm + i * step;
      d.slabs.push_back({static_cast<int>(l), begin, begin + step, begin + step / 2});
    }
    d.depth_mm += s.layer_depth_mm[l];
    d.inv_cell_x.push_back(static_cast<float>(s.cells[l].rows / s.width_mm));
    d.inv_cell_y.push_back(static_cast<float>(s.cells[l].cols / s.width_mm));
  }
  return d;
}

// The radial profile at one depth: core and tail radii (mm) and the core's share.
struct Radial {
  double core_mm, tail_mm, core_share;
};

// One part of a shower: how much visible energy it deposits on average, its
// longitudinal profile and its radial one.
struct Component {
  enum class Profile { Gamma, Flat } profile = Profile::Gamma;
  enum class Spread { Electromagnetic, Fixed, Widening } spread = Spread::Fixed;
  double energy_mev = 0;  // visible, before sampling fluctuations
  double start_mm = 0;
  double alpha = 1, beta_per_mm = 1;  // Gamma: dE/dx ∝ x^(α-1) e^(-βx), x from start_mm
  double length_mm = 0;               // Flat: uniform over [start_mm, start_mm + length_mm]
  double tmax_mm = 1;                 // depth of the maximum, the unit of τ for the radial profile
  double energy_gev = 1;              // Electromagnetic: the shower energy in the radial formulas
  Radial radial{1, 1, 1};             // Fixed, and Widening at τ = 1
  double sampling_term = 0.1, spot_mev = 10;

  // The share of the energy deposited before depth z.
  double cdf(double z_mm) const {
    const double x = z_mm - start_mm;
    if (x <= 0) return 0;
    if (profile == Profile::Flat) return length_mm > 0 ? std::min(1.0, x / length_mm) : 1.0;
    return gamma_cdf(alpha, beta_per_mm * x);
  }
};

// Grindhammer & Peters' radial profile in a sampling calorimeter at depth
// τ = t / T (hep-ex/0001020; the sampling terms as in Geant4's GFlash).
Radial em_radial(double energy_gev, double tau, const CaloMaterial& m) {
  const double ln_e = std::log(energy_gev), z = m.z_eff;
  const double inv_fs = 1 / m.sampling_frequency, one_minus_ehat = 1 - m.e_over_mip;
  double core = 0.0251 + 0.00319 * ln_e + (0.1162 - 0.000381 * z) * tau;
  const double k1 = 0.659 - 0.00309 * z, k2 = 0.645, k3 = -2.59, k4 = 0.3585 + 0.0412 * ln_e;
  double tail = k1 * (std::exp(k3 * (tau - k2)) + std::exp(k4 * (tau - k2)));
  const double p1 = 2.632 - 0.00094 * z, p2 = 0.401 + 0.00187 * z, p3 = 1.313 - 0.0686 * ln_e;
  double share = p1 * std::exp((p2 - tau) / p3 - std::exp((p2 - tau) / p3));
  core += -0.0203 * one_minus_ehat + 0.0397 * inv_fs * std::exp(-tau);
  tail += -0.14 * one_minus_ehat - 0.495 * inv_fs * std::exp(-tau);
  share += one_minus_ehat * (0.348 - 0.642 * inv_fs * std::exp(-(tau - 1) * (tau - 1)));
  core = std::max(core, 0.005);
  tail = std::max(tail, core);
  return {core * m.moliere_mm, tail * m.moliere_mm, std::clamp(share, 0.0, 1.0)};
}

Radial radial_at(const Component& c, double z_mm, const CaloMaterial& m) {
  const double tau = std::max(0.0, z_mm - c.start_mm) / c.tmax_mm;
  switch (c.spread) {
    case Component::Spread::Electromagnetic:
      return em_radial(c.energy_gev, tau, m);
    case Component::Spread::Widening: {
      const double grow = 0.6 + 0.4 * std::min(tau, 3.0);
      return {c.radial.core_mm * grow, c.radial.tail_mm * grow, c.radial.core_share};
    }
    case Component::Spread::Fixed:
      break;
  }
  return c.radial;
}

// An electromagnetic shower of `energy_mev` starting at `start_mm`: its
// (ln T, ln α) drawn from Grindhammer & Peters' correlated normal
// distribution for sampling calorimeters.
Component em_shower(double energy_mev, double start_mm, const CaloMaterial& m, const CaloSimSettings& s,
                    Random& rng) {
  const double ln_y = std::log(std::max(energy_mev / m.critical_mev, 3.0));
  const double inv_fs = 1 / m.sampling_frequency, one_minus_ehat = 1 - m.e_over_mip;
  const double t_hom = std::max(ln_y - 0.812, 0.1);
  const double alpha_hom = std::max(0.81 + (0.458 + 2.26 / m.z_eff) * ln_y, 0.1);
  const double mean_ln_t = std::log(std::max(t_hom - 0.55 * inv_fs - 0.69 * one_minus_ehat, 0.1));
  const double mean_ln_alpha = std::log(std::max(alpha_hom - 0.476 * inv_fs, 1.1));
  const auto spread = [](double inverse) { return inverse > 2 ? 1 / inverse : 0.5; };
  const double sigma_ln_t = spread(-2.5 + 1.25 * ln_y), sigma_ln_alpha = spread(-0.82 + 0.79 * ln_y);
  const double rho = std::clamp(0.784 - 0.023 * ln_y, -1.0, 1.0);
  const double z1 = rng.normal(), z2 = rng.normal();
  const double common = std::sqrt((1 + rho) / 2) * z1, apart = std::sqrt((1 - rho) / 2) * z2;
  const double tmax_x0 = std::exp(mean_ln_t + sigma_ln_t * (common + apart));
  const double alpha = std::max(1.1, std::exp(mean_ln_alpha + sigma_ln_alpha * (common - apart)));

  Component c;
  c.spread = Component::Spread::Electromagnetic;
  c.energy_mev = energy_mev;
  c.energy_gev = energy_mev / 1000;
  c.start_mm = start_mm;
  c.alpha = alpha;
  c.tmax_mm = tmax_x0 * m.x0_mm;
  c.beta_per_mm = (alpha - 1) / c.tmax_mm;
  c.sampling_term = s.sampling_term;
  c.spot_mev = s.spot_energy_mev;
  return c;
}

// A pion: a minimum-ionising track to its first nuclear interaction, then a
// hadronic shower with an electromagnetic core (see CaloSimSettings).
std::vector<Component> pion_shower(double energy_mev, const CaloMaterial& m, const CaloSimSettings& s,
                                   double depth_mm, Random& rng, ShowerTruth& truth) {
  std::vector<Component> parts;
  const double interaction_mm = rng.exponential(m.interaction_length_mm);
  truth.start_x0 = interaction_mm / m.x0_mm;
  Component track;
  track.profile = Component::Profile::Flat;
  track.length_mm = std::min(interaction_mm, depth_mm);
  track.energy_mev = std::min(energy_mev, m.mip_mev_per_mm * track.length_mm);
  track.tmax_mm = m.x0_mm;
  track.radial = {1.0, 5.0, 0.9};  // the track and its δ-rays
  track.sampling_term = s.sampling_term;
  track.spot_mev = s.spot_energy_mev;
  parts.push_back(track);
  const double hadronic_mev = energy_mev - track.energy_mev;
  if (interaction_mm >= depth_mm || hadronic_mev <= 0) return parts;

  const double e_gev = std::max(hadronic_mev / 1000, 0.05), ln_e = std::log(e_gev);
  const double lambda = m.interaction_length_mm;
  const double tmax_mm = lambda * std::max(0.2 * ln_e + 0.7, 0.2) * std::exp(0.3 * rng.normal());
  const double alpha = std::max(1.1, (1.5 + 0.25 * std::max(ln_e, 0.0)) * std::exp(0.3 * rng.normal()));
  truth.tmax_x0 = tmax_mm / m.x0_mm;
  truth.alpha = alpha;

  const double mean_em = std::clamp(1 - std::pow(e_gev, s.em_fraction_exponent - 1), 0.02, 0.98);
  const double g1 = sample_gamma(mean_em * s.em_fraction_spread, rng);
  const double g2 = sample_gamma((1 - mean_em) * s.em_fraction_spread, rng);
  const double em_fraction = g1 + g2 > 0 ? g1 / (g1 + g2) : mean_em;
  const double h_over_e = std::clamp(s.h_over_e + s.h_over_e_spread * rng.normal(), 0.05, 1.0);
  const double non_em_mev = (1 - em_fraction) * hadronic_mev;
  truth.invisible_mev = non_em_mev * (1 - h_over_e);

  // π0 photons: electromagnetic showers from the interaction point, on the
  // radiation-length scale (as in Bock et al.'s two-scale profile), wider
  // than one shower and widening with depth, because the photons leave the
  // interactions at angles and later generations start off the axis.
  Component em = em_shower(em_fraction * hadronic_mev, interaction_mm, m, s, rng);
  em.spread = Component::Spread::Widening;
  em.radial = {0.5 * m.moliere_mm, 2.0 * m.moliere_mm, 0.6};
  parts.push_back(em);
  // The rest: a Gamma profile on the interaction-length scale, wide and
  // widening with depth, partly invisible, deposited in coarse spots.
  Component hadronic;
  hadronic.start_mm = interaction_mm;
  hadronic.alpha = alpha;
  hadronic.tmax_mm = tmax_mm;
  hadronic.beta_per_mm = (alpha - 1) / tmax_mm;
  hadronic.spread = Component::Spread::Widening;
  hadronic.energy_mev = non_em_mev * h_over_e;
  hadronic.radial = {0.10 * lambda, 0.35 * lambda, 0.5};
  hadronic.sampling_term = s.hadronic_sampling_term;
  hadronic.spot_mev = s.hadronic_spot_energy_mev;
  parts.push_back(hadronic);
  return parts;
}

// Deposits one component, slab by slab: the slab's visible energy is
// Gamma-distributed with mean (its share of the profile) and variance
// a²·(1 GeV)·mean, and is split into equal spots at random radii and angles.
void deposit(const Component& c, const Detector& d, const CaloMaterial& m, Random& rng, Uniforms& uniforms,
             const std::vector<float*>& cells, float* overflow, ShowerTruth& truth, double& depth_sum) {
  if (c.energy_mev <= 0) return;
  const double scale_mev = c.sampling_term * c.sampling_term * 1000;
  double below = c.cdf(d.slabs.front().begin_mm);
  for (const Slab& slab : d.slabs) {
    const double upto = c.cdf(slab.end_mm);
    const double expected = c.energy_mev * (upto - below);
    below = upto;
    if (expected <= 0) continue;
    const double visible = scale_mev * sample_gamma(expected / scale_mev, rng);
    if (!(visible > 0)) continue;
    const double spots = std::max(1.0, std::round(visible / c.spot_mev));
    const auto spot_mev = static_cast<float>(visible / spots);
    const Radial r = radial_at(c, slab.mid_mm, m);
    const auto core = static_cast<float>(r.core_mm), tail = static_cast<float>(r.tail_mm);
    const auto share = static_cast<float>(r.core_share), half = static_cast<float>(d.half_width_mm);
    const int l = slab.layer, rows = d.cells[l].rows, cols = d.cells[l].cols;
    const float inv_x = d.inv_cell_x[l], inv_y = d.inv_cell_y[l];
    float* layer = cells[l];
    float outside = 0;
    for (int64_t i = 0, n = static_cast<int64_t>(spots); i < n; ++i) {
      const float pick = uniforms.next(), u = uniforms.next(), turn = uniforms.next();
      // f(r) = 2rR²/(r²+R²)² has the cumulative r²/(r²+R²), inverted here.
      const float radius = (pick < share ? core : tail) * std::sqrt(u / (1 - u));
      const float phi = static_cast<float>(2 * kPi) * turn;
      const float fx = (radius * std::cos(phi) + half) * inv_x, fy = (radius * std::sin(phi) + half) * inv_y;
      if (fx >= 0 && fy >= 0 && fx < rows && fy < cols)
        layer[static_cast<int>(fx) * cols + static_cast<int>(fy)] += spot_mev;
      else
        outside += spot_mev;
    }
    overflow[l] += outside;
    truth.visible_mev += visible;
    depth_sum += visible * slab.mid_mm;
  }
  truth.leaked_mev += c.energy_mev * (1 - c.cdf(d.depth_mm));
}

}  // namespace

std::string calo_particle_name(CaloParticle particle) {
  switch (particle) {
    case CaloParticle::Positron: return "e+";
    case CaloParticle::Photon: return "gamma";
    case CaloParticle::PiPlus: return "pi+";
  }
  return "?";
}

CaloParticle parse_calo_particle(const std::string& name) {
  for (CaloParticle p : {CaloParticle::Positron, CaloParticle::Photon, CaloParticle::PiPlus})
    if (name == calo_particle_name(p)) return p;
  fail("unknown particle '", name, "' (expected e+, gamma or pi+)");
}

void CaloSimSettings::validate() const {
  const auto positive = [](double v, const char* name) {
    if (!(v > 0) || !std::isfinite(v)) fail("calorimeter setting '", name, "' must be a positive number, got ", v);
  };
  positive(absorber_mm, "absorber_mm");
  positive(gap_mm, "gap_mm");
  positive(width_mm, "width_mm");
  positive(sampling_term, "sampling_term");
  positive(spot_energy_mev, "spot_energy_mev");
  positive(hadronic_sampling_term, "hadronic_sampling_term");
  positive(hadronic_spot_energy_mev, "hadronic_spot_energy_mev");
  positive(em_fraction_spread, "em_fraction_spread");
  if (layer_depth_mm.empty() || layer_depth_mm.size() != cells.size())
    fail("calorimeter settings: ", layer_depth_mm.size(), " layer depths for ", cells.size(), " cell grids");
  for (double depth : layer_depth_mm) positive(depth, "layer_depth_mm");
  for (const LayerGeometry& g : cells)
    if (g.rows <= 0 || g.cols <= 0) fail("calorimeter settings: a layer of ", g.rows, " x ", g.cols, " cells");
  if (!(em_fraction_exponent > 0 && em_fraction_exponent < 1))
    fail("calorimeter setting 'em_fraction_exponent' must be between 0 and 1, got ", em_fraction_exponent);
  if (!(h_over_e > 0 && h_over_e <= 1)) fail("calorimeter setting 'h_over_e' must be in (0, 1], got ", h_over_e);
  if (!(h_over_e_spread >= 0)) fail("calorimeter setting 'h_over_e_spread' must be >= 0, got ", h_over_e_spread);
}

Json to_json(const CaloSimSettings& s) {
  Json cells = Json::array();
  for (const LayerGeometry& g : s.cells) cells.push_back({g.rows, g.cols});
  return {{"absorber_mm", s.absorber_mm},
          {"gap_mm", s.gap_mm},
          {"layer_depth_mm", s.layer_depth_mm},
          {"width_mm", s.width_mm},
          {"cells", cells},
          {"sampling_term", s.sampling_term},
          {"spot_energy_mev", s.spot_energy_mev},
          {"hadronic_sampling_term", s.hadronic_sampling_term},
          {"hadronic_spot_energy_mev", s.hadronic_spot_energy_mev},
          {"em_fraction_exponent", s.em_fraction_exponent},
          {"em_fraction_spread", s.em_fraction_spread},
          {"h_over_e", s.h_over_e},
          {"h_over_e_spread", s.h_over_e_spread}};
}

CaloMaterial calo_material(const CaloSimSettings& s) {
  const double absorber = s.absorber_mm * kLead.density, gap = s.gap_mm * kArgon.density;  // g/cm² ×10 per cell
  const double w_lead = absorber / (absorber + gap), w_argon = 1 - w_lead;
  const double density = (absorber + gap) / (s.absorber_mm + s.gap_mm);  // g/cm³
  const double x0 = 1 / (w_lead / kLead.x0 + w_argon / kArgon.x0);        // g/cm²
  const double ec_per_x0 = w_lead * kLead.critical_mev / kLead.x0 + w_argon * kArgon.critical_mev / kArgon.x0;
  CaloMaterial m;
  m.x0_mm = x0 / density * 10;
  m.critical_mev = x0 * ec_per_x0;
  m.moliere_mm = kScaleEnergyMev / ec_per_x0 / density * 10;
  m.z_eff = w_lead * kLead.z + w_argon * kArgon.z;
  m.sampling_frequency = m.x0_mm / (s.absorber_mm + s.gap_mm);
  m.e_over_mip = 1 / (1 + 0.007 * (kLead.z - kArgon.z));
  const double lambda = 1 / (w_lead / kLead.interaction_length + w_argon / kArgon.interaction_length);  // g/cm²
  m.interaction_length_mm = lambda / density * 10;
  m.mip_mev_per_mm = (absorber * kLead.dedx_min + gap * kArgon.dedx_min) / 10 / (s.absorber_mm + s.gap_mm);
  return m;
}

ShowerBatch simulate_showers(const CaloSimSettings& settings, CaloParticle particle,
                             const std::vector<float>& energies_gev, uint64_t seed, int64_t first_index,
                             std::vector<ShowerTruth>* truth) {
  settings.validate();
  for (size_t i = 0; i < energies_gev.size(); ++i)
    if (!(energies_gev[i] > 0) || !std::isfinite(energies_gev[i]))
      fail("incident energy ", i, " is ", energies_gev[i], " GeV, expected a positive number");
  const auto n = static_cast<int64_t>(energies_gev.size());
  const CaloMaterial material = calo_material(settings);
  const Detector detector = make_detector(settings);
  const size_t layers = settings.cells.size();

  ShowerBatch batch;
  batch.energy = Tensor::from_vector(energies_gev, {n, 1});
  for (const LayerGeometry& g : settings.cells) batch.layers.push_back(Tensor::zeros({n, g.rows, g.cols}));
  batch.overflow = Tensor::zeros({n, static_cast<int64_t>(layers)});
  if (truth) truth->assign(static_cast<size_t>(n), ShowerTruth{});

#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t index = first_index + i;
    Random rng(seed, shower_stream(particle, index, 0));
    Uniforms uniforms(seed, shower_stream(particle, index, 1));
    const double energy_mev = 1000.0 * energies_gev[static_cast<size_t>(i)];
    ShowerTruth t;
    std::vector<Component> parts;
    if (particle == CaloParticle::PiPlus) {
      parts = pion_shower(energy_mev, material, settings, detector.depth_mm, rng, t);
    } else {
      const double start_mm = particle == CaloParticle::Photon ? rng.exponential(9.0 / 7.0 * material.x0_mm) : 0;
      parts.push_back(em_shower(energy_mev, start_mm, material, settings, rng));
      t.start_x0 = start_mm / material.x0_mm;
      t.tmax_x0 = parts.back().tmax_mm / material.x0_mm;
      t.alpha = parts.back().alpha;
    }
    std::vector<float*> cells(layers);
    for (size_t l = 0; l < layers; ++l) cells[l] = batch.layers[l].data() + i * settings.cells[l].cells();
    float* overflow = batch.overflow.data() + i * static_cast<int64_t>(layers);
    double depth_sum = 0;
    for (const Component& c : parts) deposit(c, detector, material, rng, uniforms, cells, overflow, t, depth_sum);
    if (particle == CaloParticle::PiPlus && parts.size() == 1) t.leaked_mev = energy_mev - parts[0].energy_mev;
    t.depth_x0 = t.visible_mev > 0 ? depth_sum / t.visible_mev / material.x0_mm : 0;
    if (truth) (*truth)[static_cast<size_t>(i)] = t;
  }
  return batch;
}

std::vector<float> uniform_energies(double min_gev, double max_gev, int64_t count, uint64_t seed,
                                    int64_t first_index) {
  if (!(min_gev > 0) || !(max_gev >= min_gev) || !std::isfinite(max_gev))
    fail("incident energies from ", min_gev, " to ", max_gev, " GeV: expected 0 < min <= max");
  std::vector<float> energies(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t stream = (kEnergyStreamTag << 56) | static_cast<uint64_t>(first_index + i);
    const Philox4 r = philox_block(seed, stream, 0);
    energies[static_cast<size_t>(i)] =
        static_cast<float>(min_gev + (max_gev - min_gev) * uniform_double_from_bits(r.v[0], r.v[1]));
  }
  return energies;
}

}  // namespace jetimg
