// Real generator output carried by the tests: the Pythia 8 fixture in
// tests/data/pythia (W -> qq' and QCD events written by jetimg itself as
// HepMC3 and HepMC2, gzip-compressed; make_pythia_fixtures.sh makes them).
// Both formats read to the same events, and the physics is there: the leading
// trimmed anti-kT R = 1.0 jet of a W event has a trimmed mass near mW, and
// QCD jets of the same pT-hat window are lighter on average.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/event_source.h"
#include "physics/jets.h"
#include "tests/physics/jet_windows.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

constexpr size_t kEventsPerSample = 5;

std::string fixture(const std::string& sample, int version) {
  return testing::test_data("pythia/" + sample + ".hepmc" + std::to_string(version) + ".gz");
}

std::vector<Event> read_fixture(const std::string& sample, int version) {
  const std::string path = fixture(sample, version);
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << path << " is missing: tests/data/pythia/make_pythia_fixtures.sh makes it";
    return {};
  }
  auto source = open_event_source(path);
  EXPECT_EQ(source->format(), "hepmc" + std::to_string(version)) << path;
  std::vector<Event> events;
  for (EventBatch b = source->read_batch(2); !b.empty(); b = source->read_batch(2)) {
    for (float w : b.weights) EXPECT_EQ(w, 1.0f) << path << ": Pythia's events are unweighted";
    for (Event& e : b.events) events.push_back(std::move(e));
  }
  EXPECT_EQ(source->counts().skipped, 0) << source->counts().summary();
  return events;
}

// The windows of the FastJet agreement test: every leading jet is kept.
// Leading trimmed jet of each event (R = 1.0 anti-kT; kT R = 0.3 subjets above 5% of the jet pT).
std::vector<Jet> leading_jets_of(const std::string& sample) {
  quiet_fastjet();
  std::vector<Jet> jets;
  int event = 0;
  for (const Event& e : read_fixture(sample, 3)) {
    const std::optional<Jet> jet = leading_jet(e, testing::open_windows());
    EXPECT_TRUE(jet.has_value()) << sample << ", event " << event;
    if (!jet) continue;
    std::printf("  %s event %d: %zu particles, jet pT %.1f GeV, mass %.1f GeV, trimmed mass %.1f GeV, tau21 %.3f\n",
                sample.c_str(), event, e.size(), jet->jet.pt(), jet->jet.m(), jet->trimmed.m(), jet->tau.tau21);
    jets.push_back(*jet);
    ++event;
  }
  return jets;
}

TEST(PythiaFixture, BothFormatsReadToTheSameEvents) {
  for (const std::string sample : {"w_pythia8", "qcd_pythia8"}) {
    SCOPED_TRACE(sample);
    const std::vector<Event> v3 = read_fixture(sample, 3), v2 = read_fixture(sample, 2);
    ASSERT_EQ(v3.size(), kEventsPerSample);
    ASSERT_EQ(v2.size(), kEventsPerSample);
    for (size_t e = 0; e < v3.size(); ++e) {
      SCOPED_TRACE("event " + std::to_string(e));
      EXPECT_GT(v3[e].size(), 100u) << "a hadron-level pp event has hundreds of particles";
      ASSERT_EQ(v3[e].size(), v2[e].size());
      for (size_t i = 0; i < v3[e].size(); ++i) {
        // The same printed digits in both files: the same doubles.
        ASSERT_EQ(v3[e][i].pdg, v2[e][i].pdg) << "particle " << i;
        ASSERT_EQ(v3[e][i].p.E, v2[e][i].p.E) << "particle " << i;
        ASSERT_EQ(v3[e][i].p.px, v2[e][i].p.px) << "particle " << i;
        ASSERT_EQ(v3[e][i].p.py, v2[e][i].p.py) << "particle " << i;
        ASSERT_EQ(v3[e][i].p.pz, v2[e][i].p.pz) << "particle " << i;
        const int a = std::abs(v3[e][i].pdg);
        EXPECT_TRUE(a != 12 && a != 14 && a != 16) << "neutrinos are dropped";
      }
    }
  }
}

// W events: pp -> WZ with Z -> neutrinos, pT-hat 250-300 GeV, so the leading
// jet is the hadronic W at pT ~ 250-300 GeV, whose decay products
// (opening angle ~ 2 mW / pT ~ 0.6) fall inside R = 1.0. Trimming removes
// the underlying event and most of the extra radiation, leaving a mass near
// mW = 80.4 GeV. Not every event gets there at hadron level: a decay product
// can fall outside the jet or be trimmed away, hard radiation can make the
// leading jet another one, so a majority of the events is asserted in the
// 60-100 GeV window, not all (the committed fixture has 4 of 5: 78.5, 91.7,
// 70.8 and 74.4 GeV, and one 24.6 GeV jet), which a regenerated fixture from
// another Pythia version should pass too.
TEST(PythiaFixture, WJetsHaveTheWMass) {
  const std::vector<Jet> jets = leading_jets_of("w_pythia8");
  ASSERT_EQ(jets.size(), kEventsPerSample);
  size_t in_window = 0;
  for (const Jet& jet : jets) {
    EXPECT_GT(jet.jet.pt(), 200.0) << "the W recoils against the Z at pT-hat 250-300 GeV";
    if (jet.trimmed.m() > 60.0 && jet.trimmed.m() < 100.0) ++in_window;
  }
  EXPECT_GT(2 * in_window, kEventsPerSample) << "W jets with a trimmed mass in 60-100 GeV: " << in_window << " of "
                                              << kEventsPerSample;
}

// QCD dijets of the same window: the leading jet is a light-quark or gluon
// jet, whose trimmed mass is well below mW on average (the committed fixture:
// a mean of 34.0 GeV against 68.0 GeV for the W jets).
TEST(PythiaFixture, QcdJetsAreLighterThanWJets) {
  const std::vector<Jet> w = leading_jets_of("w_pythia8"), qcd = leading_jets_of("qcd_pythia8");
  ASSERT_EQ(w.size(), kEventsPerSample);
  ASSERT_EQ(qcd.size(), kEventsPerSample);
  double w_mean = 0, qcd_mean = 0;
  for (const Jet& jet : w) w_mean += jet.trimmed.m() / w.size();
  for (const Jet& jet : qcd) {
    EXPECT_GT(jet.jet.pt(), 200.0) << "pT-hat 250-300 GeV";
    qcd_mean += jet.trimmed.m() / qcd.size();
  }
  std::printf("  mean trimmed mass: W %.1f GeV, QCD %.1f GeV\n", w_mean, qcd_mean);
  EXPECT_LT(qcd_mean, w_mean);
  EXPECT_LT(qcd_mean, 60.0);
}

}  // namespace
}  // namespace jetimg
