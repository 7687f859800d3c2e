// Jet finding on hand-built events whose answer is known: which particles
// form the leading jet, what trimming removes, the subjets, the windows.
#include <gtest/gtest.h>

#include "core/error.h"
#include "physics/jets.h"

#include <fastjet/PseudoJet.hh>

#include <cmath>

namespace jetimg {
namespace {

Particle at(double pt, double eta, double phi) { return {FourVector::from_pt_eta_phi_m(pt, eta, phi, 0), 21}; }

TEST(Jets, AntiKtCollectsTheHardProngsAndTrimmingDropsSoftWideParticles) {
  // Two prongs 0.6 apart (two kT subjets of R = 0.3), a soft particle 0.8 away
  // at 2% of the jet pT (trimmed), one at 8% (kept), and a recoiling jet.
  Event event = {at(150, 0, 0), at(100, 0, 0.6), at(5, 0.8, 0.0), at(20, -0.7, 0.3), at(200, 0.2, 3.0)};
  const int pdg[] = {1, -2, 22, 211, 21};
  for (size_t i = 0; i < event.size(); ++i) event[i].pdg = pdg[i];
  JetConfig config;
  const std::optional<Jet> jet = leading_jet(event, config);
  ASSERT_TRUE(jet.has_value());
  EXPECT_EQ(jet->constituents.size(), 4u);
  FourVector kept_sum;
  for (size_t i = 0; i < jet->constituents.size(); ++i)
    if (jet->in_trimmed[i]) kept_sum += jet->constituents[i];
  const FourVector expected_trimmed = event[0].p + event[1].p + event[3].p;
  EXPECT_NEAR(jet->trimmed.E, expected_trimmed.E, 1e-9);
  EXPECT_NEAR(kept_sum.px, jet->trimmed.px, 1e-9);
  EXPECT_NEAR(jet->jet.E, (expected_trimmed + event[2].p).E, 1e-9);
  ASSERT_EQ(jet->subjets.size(), 3u);
  EXPECT_NEAR(jet->subjets[0].pt(), 150, 1e-9);  // pT-ordered
  EXPECT_NEAR(jet->subjets[1].pt(), 100, 1e-9);
  // N-subjettiness is that of the trimmed jet's constituents.
  std::vector<FourVector> trimmed_constituents;
  for (size_t i = 0; i < jet->constituents.size(); ++i)
    if (jet->in_trimmed[i]) trimmed_constituents.push_back(jet->constituents[i]);
  const NSubjettiness expected_tau = nsubjettiness_123(trimmed_constituents);
  EXPECT_NEAR(jet->tau.tau1, expected_tau.tau1, 1e-9);
  EXPECT_NEAR(jet->tau.tau2, expected_tau.tau2, 1e-9);
  EXPECT_GT(jet->tau.tau1, jet->tau.tau2);
  EXPECT_NEAR(jet->tau.tau21, jet->tau.tau2 / jet->tau.tau1, 1e-12);
  // Each constituent keeps the PDG code of its particle.
  ASSERT_EQ(jet->pdg.size(), jet->constituents.size());
  for (size_t i = 0; i < jet->constituents.size(); ++i) {
    bool found = false;
    for (const Particle& p : event)
      if (std::abs(p.p.E - jet->constituents[i].E) < 1e-9) {
        EXPECT_EQ(jet->pdg[i], p.pdg);
        found = true;
      }
    EXPECT_TRUE(found) << "constituent " << i;
  }
  // Constituents are pT-ordered.
  for (size_t i = 1; i < jet->constituents.size(); ++i)
    EXPECT_GE(jet->constituents[i - 1].pt(), jet->constituents[i].pt());
}

TEST(Jets, WindowsDropTheEventAndSayWhy) {
  const Event event = {at(150, 0, 0), at(100, 0, 0.5)};
  JetConfig config;
  config.pt_min = 300;
  JetSelectionCounts counts;
  EXPECT_FALSE(leading_jet(event, config, &counts).has_value());
  EXPECT_EQ(counts.failed_pt, 1);
  const Event forward = {at(150, 2.0, 0), at(100, 2.0, 0.5)};
  config = JetConfig{};
  config.eta_max = 1.5;
  counts = {};
  EXPECT_FALSE(leading_jet(forward, config, &counts).has_value());
  EXPECT_EQ(counts.failed_eta, 1);
  config = JetConfig{};
  config.mass_min = 200;
  counts = {};
  EXPECT_FALSE(leading_jet(event, config, &counts).has_value());
  EXPECT_EQ(counts.failed_mass, 1);
  counts = {};
  EXPECT_FALSE(leading_jet(Event{}, JetConfig{}, &counts).has_value());
  EXPECT_EQ(counts.no_jet, 1);
}

TEST(Jets, ParallelClusteringMatchesOneByOne) {
  std::vector<Event> events;
  for (int e = 0; e < 50; ++e) events.push_back({at(100 + e, 0.1 * (e % 7), 0.2 * e), at(30, 0.1 * (e % 7) + 0.3, 0.2 * e)});
  JetSelectionCounts counts;
  const auto jets = leading_jets(events, JetConfig{}, &counts);
  EXPECT_EQ(counts.events, 50);
  EXPECT_EQ(counts.kept, 50);
  for (size_t e = 0; e < events.size(); ++e) EXPECT_EQ(jets[e]->jet.E, leading_jet(events[e], JetConfig{})->jet.E);
}

TEST(Jets, RejectsImpossibleDefinitions) {
  JetConfig c;
  c.R = 0;
  EXPECT_THROW(c.validate(), Error);
  c = JetConfig{};
  c.trim_R = 1.5;
  EXPECT_THROW(c.validate(), Error);
  c = JetConfig{};
  c.pt_min = 500, c.pt_max = 100;
  EXPECT_THROW(c.validate(), Error);
}

}  // namespace
}  // namespace jetimg

namespace jetimg {
namespace {

// A massless jet whose m² FastJet computes a hair below zero (rounding) is
// kept with the mass window open from 0: the mass is √max(m², 0) everywhere.
TEST(Jets, MasslessJetWhoseMassSquaredRoundsNegativeIsKept) {
  JetConfig config;
  config.pt_min = 0, config.mass_min = 0, config.eta_max = 10;
  int negative = 0, kept = 0;
  for (int i = 1; i <= 2000; ++i) {
    // One massless particle in a direction given by i: E = |p| in doubles.
    const double px = 100.0 + 0.37 * i, py = 13.0 * std::sin(i), pz = 50.0 * std::cos(0.7 * i);
    const double e = std::sqrt(px * px + py * py + pz * pz);
    const fastjet::PseudoJet p(px, py, pz, e);
    if (p.m2() >= 0) continue;
    ++negative;
    const Event event{{{e, px, py, pz}, 211}};
    JetSelectionCounts counts;
    const std::optional<Jet> jet = leading_jet(event, config, &counts);
    kept += jet.has_value();
    EXPECT_EQ(counts.failed_mass, 0) << "particle " << i;
    if (jet) EXPECT_NEAR(jet->trimmed.m(), 0.0, 1e-3);  // rounding of E² - p², never negative
  }
  ASSERT_GT(negative, 0) << "no direction of the 2000 tried has m² rounding below zero";
  EXPECT_EQ(kept, negative);
}

}  // namespace
}  // namespace jetimg
