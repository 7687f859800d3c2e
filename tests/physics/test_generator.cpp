// The built-in generator: momentum bookkeeping per process, determinism
// across thread counts, towers, and the physics the demo relies on (trimmed
// mass near mW for W, near mt for top, falling for QCD).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>

#include "core/error.h"
#include "physics/generator.h"
#include "physics/jets.h"

namespace jetimg {
namespace {

GeneratorConfig without_ue(Process process) {
  GeneratorConfig c = GeneratorConfig::defaults(process);
  c.underlying_event = false;
  return c;
}

FourVector sum(const Event& e) {
  FourVector total;
  for (const Particle& p : e) total += p.p;
  return total;
}

TEST(Generator, WEventSumsToABreitWignerW) {
  const GeneratorConfig c = without_ue(Process::W);
  for (uint64_t i = 0; i < 300; ++i) {
    const FourVector w = sum(generate_event(c, 5, i));
    EXPECT_NEAR(w.m(), c.w_mass, 10 * c.w_width + 1e-6);
    EXPECT_GE(w.pt(), c.pt_min - 1e-6);
    EXPECT_LE(w.pt(), c.pt_max + 1e-6);
    EXPECT_LE(std::abs(w.rapidity()), c.rapidity_max + 1e-9);
  }
}

TEST(Generator, TopAndQcdEventsBalanceInPt) {
  for (Process p : {Process::Top, Process::QCD}) {
    const GeneratorConfig c = without_ue(p);
    for (uint64_t i = 0; i < 200; ++i) {
      const FourVector total = sum(generate_event(c, 9, i));
      EXPECT_NEAR(total.px, 0, 1e-7) << process_name(p) << " event " << i;
      EXPECT_NEAR(total.py, 0, 1e-7) << process_name(p) << " event " << i;
    }
  }
}

TEST(Generator, SameEventsOnAnyThreadCount) {
  const GeneratorConfig c = GeneratorConfig::defaults(Process::QCD);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<Event> one = generate_events(c, 77, 100, 64);
  omp_set_num_threads(std::max(2, saved));
  const std::vector<Event> many = generate_events(c, 77, 100, 64);
  omp_set_num_threads(saved);
  ASSERT_EQ(one.size(), many.size());
  for (size_t e = 0; e < one.size(); ++e) {
    ASSERT_EQ(one[e].size(), many[e].size());
    for (size_t i = 0; i < one[e].size(); ++i) {
      EXPECT_EQ(one[e][i].p.E, many[e][i].p.E);
      EXPECT_EQ(one[e][i].pdg, many[e][i].pdg);
    }
  }
  // Event k does not depend on where a batch starts.
  EXPECT_EQ(generate_event(c, 77, 105)[0].p.px, one[5][0].p.px);
  // Different processes with the same seed are different streams.
  EXPECT_NE(generate_event(GeneratorConfig::defaults(Process::W), 77, 0)[0].p.E, generate_event(c, 77, 0)[0].p.E);
}

TEST(Generator, TowersSitOnTheGridAndKeepTheEnergy) {
  GeneratorConfig c = GeneratorConfig::defaults(Process::W);
  c.rapidity_max = 0.5;  // keep the W well inside the calorimeter
  GeneratorConfig towered = c;
  towered.towers = true;
  double before = 0, after = 0;
  for (uint64_t i = 0; i < 100; ++i) {
    for (const Particle& p : generate_event(c, 3, i))
      if (std::abs(p.p.eta()) < c.tower_eta_max) before += p.p.E;
    for (const Particle& t : generate_event(towered, 3, i)) {
      after += t.p.E;
      EXPECT_EQ(t.pdg, 0);
      EXPECT_LT(std::abs(t.p.eta()), c.tower_eta_max);
      const double cell = (t.p.eta() + c.tower_eta_max) / c.tower_size;  // centres sit at half-integers
      EXPECT_NEAR(cell - std::floor(cell), 0.5, 1e-6);
      EXPECT_NEAR(t.p.m2(), 0, 1e-6 * t.p.E * t.p.E);
    }
  }
  EXPECT_NEAR(after / before, 1.0, 0.02);  // smearing is unbiased on average
}

TEST(Generator, RejectsImpossibleSettings) {
  GeneratorConfig c = GeneratorConfig::defaults(Process::W);
  c.pt_min = 300;
  c.pt_max = 200;
  EXPECT_THROW(c.validate(), Error);
  c = GeneratorConfig::defaults(Process::QCD);
  c.gluon_fraction = 1.5;
  EXPECT_THROW(c.validate(), Error);
  c = GeneratorConfig::defaults(Process::QCD);
  c.shower.cutoff = 0.05;
  EXPECT_THROW(c.validate(), Error);
  EXPECT_THROW(parse_process("z"), Error);
  EXPECT_EQ(parse_process("top"), Process::Top);
}

// Trimmed masses of the leading jets of `n` events.
std::vector<double> trimmed_masses(Process process, double pt_min, double pt_max, int n) {
  JetConfig jets;
  jets.pt_min = pt_min;
  jets.pt_max = pt_max;
  std::vector<double> masses;
  for (const auto& jet : leading_jets(generate_events(GeneratorConfig::defaults(process), 1, 0, n), jets))
    if (jet) masses.push_back(jet->trimmed.m());
  std::sort(masses.begin(), masses.end());
  return masses;
}

double fraction_between(const std::vector<double>& v, double lo, double hi) {
  return std::count_if(v.begin(), v.end(), [&](double m) { return m >= lo && m < hi; }) / double(v.size());
}

TEST(Generator, TrimmedMassPeaksAtTheWAndTopMassesAndFallsForQcd) {
  const std::vector<double> w = trimmed_masses(Process::W, 250, 300, 3000);
  const std::vector<double> top = trimmed_masses(Process::Top, 550, 650, 3000);
  const std::vector<double> qcd = trimmed_masses(Process::QCD, 250, 300, 3000);
  ASSERT_GT(w.size(), 1000u);
  ASSERT_GT(top.size(), 1000u);
  ASSERT_GT(qcd.size(), 1000u);
  const double w_median = w[w.size() / 2], top_median = top[top.size() / 2], qcd_median = qcd[qcd.size() / 2];
  EXPECT_GT(w_median, 70);
  EXPECT_LT(w_median, 90);
  EXPECT_GT(fraction_between(w, 65, 95), 0.6);
  EXPECT_GT(top_median, 150);
  EXPECT_LT(top_median, 190);
  EXPECT_GT(fraction_between(top, 140, 200), 0.6);
  EXPECT_LT(qcd_median, 45);
  // QCD falls steeply: each 40 GeV band holds less than the one below it.
  EXPECT_GT(fraction_between(qcd, 0, 40), 2 * fraction_between(qcd, 40, 80));
  EXPECT_GT(fraction_between(qcd, 40, 80), 1.5 * fraction_between(qcd, 80, 120));
  EXPECT_LT(fraction_between(qcd, 65, 95), 0.25);
}

}  // namespace
}  // namespace jetimg
