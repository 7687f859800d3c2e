// Pythia 8 through python/pythia_events.py: the stream is read whole, does not
// depend on the number of worker processes, and shows the physics asked for
// (a W-mass peak in the trimmed mass of W jets, none for QCD jets). Skips
// when the project's .venv has no pythia8mc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/pythia_source.h"
#include "physics/jets.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

class Pythia : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string probe = "'" + pythia_python() + "' -c 'import pythia8mc' >/dev/null 2>&1";
    if (std::system(probe.c_str()) != 0)
      GTEST_SKIP() << "pythia8mc is not importable by " << pythia_python()
                   << " (./run test installs python/requirements-pythia.txt)";
  }
};

std::vector<Event> generate(const std::string& process, int64_t events, int workers, int64_t block,
                            std::vector<std::string> settings = {}, uint64_t seed = 42) {
  PythiaRun run;
  run.process = process;
  run.events = events;
  run.seed = seed;
  run.workers = workers;
  run.block = block;
  run.settings = std::move(settings);
  PythiaSource source(run);
  EXPECT_EQ(source.provenance()["process"], process);
  std::vector<Event> out;
  for (EventBatch b = source.read_batch(7); !b.empty(); b = source.read_batch(7))
    out.insert(out.end(), b.events.begin(), b.events.end());
  EXPECT_EQ(source.counts().skipped, 0);
  return out;
}

double median_trimmed_mass(const std::vector<Event>& events, int* jets) {
  JetConfig config;  // R = 1.0 anti-kT, trimmed; the pT window of the W-tagging study
  config.pt_min = 200;
  std::vector<double> masses;
  for (const auto& jet : leading_jets(events, config))
    if (jet) masses.push_back(jet->trimmed.m());
  *jets = static_cast<int>(masses.size());
  if (masses.empty()) return 0;
  std::sort(masses.begin(), masses.end());
  return masses[masses.size() / 2];
}

TEST_F(Pythia, SameEventsWhateverTheWorkerCount) {
  const std::vector<Event> one = generate("w", 8, 1, 3);
  const std::vector<Event> two = generate("w", 8, 2, 3);
  ASSERT_EQ(one.size(), 8u);
  ASSERT_EQ(two.size(), 8u);
  for (size_t e = 0; e < one.size(); ++e) {
    ASSERT_EQ(one[e].size(), two[e].size()) << "event " << e;
    EXPECT_GT(one[e].size(), 50u) << "a hadron-level pp event has hundreds of particles";
    for (size_t i = 0; i < one[e].size(); ++i) {
      EXPECT_EQ(one[e][i].pdg, two[e][i].pdg);
      EXPECT_EQ(one[e][i].p.px, two[e][i].p.px);
      const int a = std::abs(one[e][i].pdg);
      EXPECT_TRUE(a != 12 && a != 14 && a != 16) << "neutrinos are dropped";
    }
  }
  // Another seed: other events.
  const std::vector<Event> other = generate("w", 2, 1, 3, {}, 43);
  EXPECT_NE(other[0].size() * 1000 + other[1].size(), one[0].size() * 1000 + one[1].size());
}

TEST_F(Pythia, WJetsPeakAtTheWMassAndQcdJetsDoNot) {
  int w_jets = 0, qcd_jets = 0;
  const double w = median_trimmed_mass(generate("w", 80, 0, 40), &w_jets);
  const double qcd = median_trimmed_mass(generate("qcd", 80, 0, 40), &qcd_jets);
  ASSERT_GT(w_jets, 20);
  ASSERT_GT(qcd_jets, 20);
  EXPECT_GT(w, 70.0);
  EXPECT_LT(w, 90.0);
  EXPECT_LT(qcd, 55.0);
}

TEST_F(Pythia, RejectedSettingsAndUnknownProcessesAreErrors) {
  const std::string dir = testing::scratch_dir("pythia");
  const std::string bad = testing::write_text_file(dir, "bad.cmnd", "NoSuch:key = 3\n");
  try {
    generate("qcd", 3, 1, 3, {bad});
    FAIL() << "a rejected setting must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rejected the setting 'NoSuch:key = 3'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(generate("zprime", 3, 1, 3), Error);
  EXPECT_THROW(generate("qcd", 3, 1, 3, {dir + "/absent.cmnd"}), Error);
}

}  // namespace
}  // namespace jetimg
