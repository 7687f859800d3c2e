// Events and jets files: round trips, the temp-file guard, and clear errors
// for files that are missing, not HDF5, or damaged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/events_file.h"
#include "io/jet_batch.h"
#include "io/jets_file.h"
#include "physics/generator.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

namespace fs = std::filesystem;

TEST(EventsFile, RoundTripInBatches) {
  const std::string path = testing::scratch_dir("events") + "/w.h5";
  const GeneratorConfig config = GeneratorConfig::defaults(Process::W);
  const std::vector<Event> events = generate_events(config, 4, 0, 30);
  {
    EventsWriter writer(path, Json{{"process", "w"}});
    writer.write({events.begin(), events.begin() + 10});
    writer.write({events.begin() + 10, events.end()});
    writer.finish();
  }
  const EventsReader reader(path);
  ASSERT_EQ(reader.size(), 30);
  EXPECT_EQ(reader.provenance()["process"], "w");
  const std::vector<Event> back = reader.read(7, 20);
  for (size_t e = 0; e < back.size(); ++e) {
    ASSERT_EQ(back[e].size(), events[e + 7].size());
    for (size_t i = 0; i < back[e].size(); ++i) {
      EXPECT_EQ(back[e][i].p.pz, events[e + 7][i].p.pz);
      EXPECT_EQ(back[e][i].pdg, events[e + 7][i].pdg);
    }
  }
  EXPECT_THROW(reader.read(25, 10), Error);
}

TEST(EventsFile, UnfinishedWriteLeavesTheOldFileAlone) {
  const std::string dir = testing::scratch_dir("events");
  const std::string path = dir + "/keep.h5";
  std::ofstream(path) << "precious";
  {
    EventsWriter writer(path, Json::object());
    writer.write(generate_events(GeneratorConfig::defaults(Process::QCD), 1, 0, 5));
    // destroyed without finish(), as when an error interrupts a run
  }
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
  for (const auto& entry : fs::directory_iterator(dir)) EXPECT_EQ(entry.path().filename(), "keep.h5");
}

TEST(EventsFile, ClearErrorsForBadFiles) {
  const std::string dir = testing::scratch_dir("events");
  EXPECT_NE(testing::error_message_of([&] { EventsReader r(dir + "/nope.h5"); }).find("nope.h5': no such file"), std::string::npos);
  EXPECT_NE(testing::error_message_of([&] { EventsReader r(dir); }).find("is a directory"), std::string::npos);
  std::ofstream(dir + "/text.h5") << "1 2 3 4\n";
  EXPECT_NE(testing::error_message_of([&] { EventsReader r(dir + "/text.h5"); }).find("is not an HDF5 file"), std::string::npos);
  // A jets file is HDF5 but not an events file.
  {
    JetsWriter w(dir + "/jets.h5", 10, 2, Json::object());
    w.finish();
  }
  EXPECT_NE(testing::error_message_of([&] { EventsReader r(dir + "/jets.h5"); }).find("not a jetimg events file"), std::string::npos);
  EXPECT_NE(testing::error_message_of([&] { AtomicOutput o(dir + "/no/such/dir/x.h5"); }).find("does not exist"), std::string::npos);
  EXPECT_NE(testing::error_message_of([&] { AtomicOutput o(dir); }).find("is a directory"), std::string::npos);
}

TEST(EventsFile, NaNMomentumNamesTheEventAndParticle) {
  const std::string path = testing::scratch_dir("events") + "/nan.h5";
  Event good = {{{10, 0, 0, 10}, 21}};
  Event bad = {{{10, 0, 0, 10}, 21}, {{std::nan(""), 1, 0, 0}, 21}};
  EventsWriter writer(path, Json::object());
  writer.write({good, bad});
  writer.finish();
  const EventsReader reader(path);
  EXPECT_NO_THROW(reader.read(0, 1));
  const std::string message = testing::error_message_of([&] { reader.read(0, 2); });
  EXPECT_NE(message.find("event 1, particle 1 has a NaN or infinite momentum"), std::string::npos) << message;
  EXPECT_NE(message.find("nan.h5"), std::string::npos) << message;
}

TEST(JetsFile, RoundTripWithPaddingAndTruncation) {
  const std::string path = testing::scratch_dir("jets") + "/jets.h5";
  Jet a;
  a.jet = {300, 250, 10, 5};
  a.trimmed = {290, 245, 9, 5};
  a.subjets = {{200, 180, 5, 2}, {90, 65, 4, 3}, {1, 0.5, 0, 0}};
  for (int i = 0; i < 5; ++i) {
    a.constituents.push_back({10.0 - i, 9.0 - i, 1, 1});
    a.in_trimmed.push_back(i % 2);
    a.pdg.push_back(i % 2 ? 211 : 22);
  }
  a.tau = {12.0, 6.0, 1.5, 0.5, 0.25};
  Jet b = a;
  b.tau = {3.0, 0.0, 0.0, 0.0, 0.0};
  b.constituents.resize(2);
  b.in_trimmed.resize(2);
  b.pdg = {};  // a jet whose input names no particles
  b.subjets.resize(1);
  {
    JetsWriter writer(path, 4, 2, Json{{"note", "test"}});
    writer.write({a, b}, 1, {1.0f, 0.5f}, {3, 8});
    writer.finish();
  }
  const JetsTable t = read_jets(path);
  ASSERT_EQ(t.size, 2);
  EXPECT_EQ(t.max_constituents, 4);
  EXPECT_EQ(t.max_subjets, 2);
  EXPECT_EQ(t.n_constituents, (std::vector<int32_t>{4, 2}));  // a truncated to M = 4
  EXPECT_EQ(t.n_subjets, (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(t.constituents[4 * 3 + 0], 7.0f);                 // jet 0, constituent 3, E
  EXPECT_EQ(t.constituents[(4 + 2) * 4 + 0], 0.0f);           // jet 1, constituent 2: padding
  EXPECT_EQ(t.constituent_in_trimmed[1], 1);
  EXPECT_EQ(t.constituent_pdg, (std::vector<int32_t>{22, 211, 22, 211, 0, 0, 0, 0}));
  EXPECT_EQ(t.subjets[(2 + 1) * 4], 0.0);                      // jet 1, subjet 1: padding
  EXPECT_DOUBLE_EQ(t.trimmed_mass[0], a.trimmed.m());
  EXPECT_DOUBLE_EQ(t.pt[1], b.trimmed.pt());
  EXPECT_EQ(t.weight[1], 0.5f);
  EXPECT_EQ(t.label, (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(t.event_index, (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(t.tau1, (std::vector<double>{12.0, 3.0}));
  EXPECT_EQ(t.tau2, (std::vector<double>{6.0, 0.0}));
  EXPECT_EQ(t.tau3, (std::vector<double>{1.5, 0.0}));
  EXPECT_EQ(t.tau21, (std::vector<double>{0.5, 0.0}));
  EXPECT_EQ(t.tau32, (std::vector<double>{0.25, 0.0}));
  EXPECT_EQ(t.provenance["note"], "test");
}

TEST(JetsFile, ChargesReachTheBatchOnlyWhereEveryConstituentIsNamed) {
  const std::string path = testing::scratch_dir("jets_pdg") + "/jets.h5";
  Jet a;
  a.jet = a.trimmed = {300, 250, 10, 5};
  a.subjets = {{300, 250, 10, 5}};
  a.constituents = {{100, 90, 10, 5}, {50, 40, 10, 5}, {20, 15, 5, 2}};
  a.in_trimmed = {1, 0, 1};
  a.pdg = {-211, 22, 2212};
  Jet unnamed = a;
  unnamed.pdg = {211, 0, 22};
  {
    JetsWriter writer(path, 4, 2, Json::object());
    writer.write({a, unnamed}, 1, {1.0f, 1.0f}, {0, 1});
    writer.finish();
  }
  const JetsTable t = read_jets(path);
  const JetBatch trimmed = batch_from_table(t, 0, 1, ConstituentSet::Trimmed, true);
  ASSERT_TRUE(trimmed.charged.defined());
  EXPECT_EQ(trimmed.charged.to_vector(), (std::vector<float>{1, 1, 0, 0}));  // π-, p (the photon is trimmed away)
  EXPECT_EQ(batch_from_table(t, 0, 1, ConstituentSet::All, true).charged.to_vector(),
            (std::vector<float>{1, 0, 1, 0}));
  EXPECT_FALSE(batch_from_table(t, 0, 2, ConstituentSet::All).charged.defined());  // not asked for
  // The second jet's neutral-or-unknown constituent 1 (PDG 0) is trimmed away
  // and does not matter; with all constituents it does.
  EXPECT_NO_THROW(batch_from_table(t, 1, 2, ConstituentSet::Trimmed, true));
  try {
    batch_from_table(t, 0, 2, ConstituentSet::All, true);
    ADD_FAILURE() << "a constituent with PDG code 0 was given a charge";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("jets.h5', jet 1, constituent 1: PDG code 0"), std::string::npos) << message;
  }
  // Jets of a file without PDG codes say so.
  JetsTable old = t;
  old.constituent_pdg.clear();
  EXPECT_THROW(batch_from_table(old, 0, 1, ConstituentSet::All, true), Error);
}

TEST(JetsFile, PerJetLabels) {
  const std::string path = testing::scratch_dir("labels") + "/jets.h5";
  Jet a;
  a.jet = a.trimmed = {100, 50, 0, 0};
  {
    JetsWriter writer(path, 2, 1, Json::object());
    writer.write({a, a, a}, std::vector<int32_t>{1, 0, 1}, {1.0f, 1.0f, 1.0f}, {0, 1, 2});
    EXPECT_THROW(writer.write({a}, std::vector<int32_t>{1, 0}, {1.0f}, {0}), Error);
    writer.finish();
  }
  EXPECT_EQ(read_jets(path).label, (std::vector<int32_t>{1, 0, 1}));
}

}  // namespace
}  // namespace jetimg
