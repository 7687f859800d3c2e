// jetimg's reading + clustering + trimming path against FastJet called
// directly on real events (fastjet-examples), with the particles parsed here
// by a minimal parser of its own and trimming spelled out by hand (kT
// subjets of R = 0.3 above 5% of the jet pT); and the Sherpa W -> qq' event,
// whose leading R = 1.0 jet must have a trimmed mass near mW.
#include <gtest/gtest.h>

#include <fastjet/ClusterSequence.hh>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/event_source.h"
#include "physics/jets.h"
#include "tests/physics/jet_windows.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

const std::string kExamples = "/usr/share/doc/fastjet-examples/examples/";

// Events of a FastJet text file: "px py pz E" lines, '#' comments, #END between events.
std::vector<std::vector<fastjet::PseudoJet>> parse_by_hand(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<fastjet::PseudoJet>> events(1);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#END", 0) == 0) {
      events.emplace_back();
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    double px, py, pz, e;
    if (fields >> px >> py >> pz >> e) events.back().emplace_back(px, py, pz, e);
  }
  if (events.back().empty()) events.pop_back();
  return events;
}

void expect_rel(double got, double want, const std::string& what) {
  EXPECT_LE(std::abs(got - want), 1e-6 * std::abs(want)) << what << ": jetimg " << got << ", FastJet " << want;
}

void compare_file(const std::string& name) {
  const std::string path = kExamples + name;
  const auto reference_events = parse_by_hand(path);
  auto source = open_event_source(path, "text");
  std::vector<Event> events;
  for (EventBatch b = source->read_batch(4); !b.empty(); b = source->read_batch(4))
    for (Event& e : b.events) events.push_back(std::move(e));
  ASSERT_EQ(events.size(), reference_events.size()) << name;
  const JetConfig config = testing::open_windows();
  quiet_fastjet();
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(name + ", event " + std::to_string(i));
    const std::optional<Jet> jet = leading_jet(events[i], config);
    ASSERT_TRUE(jet.has_value());

    const fastjet::ClusterSequence sequence(reference_events[i], fastjet::JetDefinition(fastjet::antikt_algorithm, 1.0));
    const auto jets = fastjet::sorted_by_pt(sequence.inclusive_jets());
    ASSERT_FALSE(jets.empty());
    const fastjet::PseudoJet& leading = jets[0];
    expect_rel(jet->jet.pt(), leading.pt(), "anti-kT jet pT");
    expect_rel(jet->jet.E, leading.E(), "anti-kT jet E");
    EXPECT_EQ(jet->constituents.size(), leading.constituents().size());

    // Trimming by hand: kT R = 0.3 subjets of the jet, kept above 5% of its pT.
    const fastjet::ClusterSequence subjet_sequence(leading.constituents(),
                                                   fastjet::JetDefinition(fastjet::kt_algorithm, 0.3));
    std::vector<fastjet::PseudoJet> kept;
    fastjet::PseudoJet trimmed(0, 0, 0, 0);
    for (const fastjet::PseudoJet& s : fastjet::sorted_by_pt(subjet_sequence.inclusive_jets())) {
      if (s.pt() < 0.05 * leading.pt()) continue;
      kept.push_back(s);
      trimmed += s;
    }
    expect_rel(jet->trimmed.pt(), trimmed.pt(), "trimmed jet pT");
    expect_rel(jet->trimmed.m(), trimmed.m(), "trimmed jet mass");
    ASSERT_EQ(jet->subjets.size(), kept.size());
    for (size_t k = 0; k < kept.size(); ++k) expect_rel(jet->subjets[k].pt(), kept[k].pt(), "subjet " + std::to_string(k) + " pT");
  }
}

TEST(FastJetAgreement, SingleEvent) { compare_file("single-event.dat"); }
TEST(FastJetAgreement, PythiaTenEvents) { compare_file("Pythia-PtMin1000-LHC-10ev.dat"); }
TEST(FastJetAgreement, BoostedTop) { compare_file("boosted_top_event.dat"); }

TEST(FastJetAgreement, SherpaWCandidateHasTheWMass) {
  const std::string path = testing::shared_data("sherpa_wz.hepmc");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared data: " << path << " is absent";
  auto source = open_event_source(path);
  const EventBatch batch = source->read_batch(10);
  ASSERT_EQ(batch.size(), 1u);
  const std::optional<Jet> jet = leading_jet(batch.events[0], testing::open_windows());
  ASSERT_TRUE(jet.has_value());
  std::printf("  Sherpa W candidate: jet pT %.1f GeV, mass %.1f GeV, trimmed mass %.1f GeV, tau21 %.3f\n",
              jet->jet.pt(), jet->jet.m(), jet->trimmed.m(), jet->tau.tau21);
  EXPECT_GT(jet->trimmed.m(), 60.0);
  EXPECT_LT(jet->trimmed.m(), 100.0);
}

}  // namespace
}  // namespace jetimg
