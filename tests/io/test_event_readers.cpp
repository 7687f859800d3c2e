// The event readers on real files (fastjet-examples' text events, a Sherpa
// HepMC2 event, the same event re-written as HepMC3 and gzip) and on damaged
// ones: what is read, what is skipped and why, and format detection.
#include <gtest/gtest.h>

#include <HepMC3/GenEvent.h>
#include <HepMC3/ReaderAsciiHepMC2.h>
#include <HepMC3/WriterAscii.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/event_source.h"
#include "io/events_file.h"
#include "tests/io/hepmc_fixture.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

const std::string kExamples = "/usr/share/doc/fastjet-examples/examples/";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::vector<Event> read_everything(EventSource& source, int64_t batch = 3) {
  std::vector<Event> all;
  for (EventBatch b = source.read_batch(batch); !b.empty(); b = source.read_batch(batch))
    for (Event& e : b.events) all.push_back(std::move(e));
  return all;
}

// Lines that hold a particle: not blank, not a comment.
int count_data_lines(const std::string& path) {
  std::istringstream in(read_text(path));
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos && line[line.find_first_not_of(" \t")] != '#') ++n;
  return n;
}

TEST(TextEvents, ReadsFastJetExampleFiles) {
  auto single = open_event_source(kExamples + "single-event.dat");
  EXPECT_EQ(single->format(), "text");
  auto events = read_everything(*single);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].size(), 354u);
  EXPECT_NEAR(events[0][0].p.pz, -157.4313156510, 1e-9);
  EXPECT_NEAR(events[0][0].p.E, 157.4393822839, 1e-9);

  auto ten = open_event_source(kExamples + "Pythia-PtMin1000-LHC-10ev.dat");  // events end with #END
  events = read_everything(*ten);
  ASSERT_EQ(events.size(), 10u);
  size_t total = 0;
  for (const Event& e : events) total += e.size();
  EXPECT_EQ(total, static_cast<size_t>(count_data_lines(kExamples + "Pythia-PtMin1000-LHC-10ev.dat")));
  EXPECT_EQ(ten->counts().skipped, 0);

  // #SUBSTART separates pile-up vertices inside one event; a fifth column is ignored.
  for (const char* name : {"Pythia-Z2jets-lhc-pileup-1ev.dat", "HZ-event-Hmass115.dat",
                           "Pythia-dijet-ptmin100-lhc-pileup-1ev.dat", "boosted_top_event.dat"}) {
    auto source = open_event_source(kExamples + name, "text");
    events = read_everything(*source);
    ASSERT_EQ(events.size(), 1u) << name;
    EXPECT_EQ(events[0].size(), static_cast<size_t>(count_data_lines(kExamples + name))) << name;
  }
}

TEST(TextEvents, SkipsBadEventsAndSaysWhere) {
  const std::string path = testing::scratch_dir("text") + "/bad.dat";
  write_text(path,
             "# header\n1 0 0 2\n#END\n"       // event 0: fine
             "1 2 abc 4\n1 0 0 2\n#END\n"      // event 1: not numbers
             "1 0 0 nan\n#END\n"               // event 2: NaN
             "1 0 0 -3\n#END\n"                // event 3: negative energy
             "#END\n"                          // event 4: empty
             "0 1 0 1 211\n0 0 1 1\n");        // event 5: fine, no trailing #END
  auto source = open_event_source(path, "text");
  const EventBatch batch = source->read_batch(100);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.indices, (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(batch.events[1].size(), 2u);
  EXPECT_EQ(source->counts().read, 2);
  EXPECT_EQ(source->counts().skipped, 4);
  ASSERT_EQ(source->counts().reasons.size(), 4u);
  EXPECT_NE(source->counts().reasons[0].find("event 1, line 4: expected four numbers"), std::string::npos)
      << source->counts().reasons[0];
  EXPECT_NE(source->counts().reasons[1].find("NaN"), std::string::npos);
  EXPECT_NE(source->counts().reasons[2].find("negative energy"), std::string::npos);
  EXPECT_NE(source->counts().reasons[3].find("no particles"), std::string::npos);
  EXPECT_NE(source->counts().summary().find("read 2 events, skipped 4"), std::string::npos);
  EXPECT_TRUE(source->read_batch(10).empty());
}

// `small_` is a two-event HepMC2 file written by HepMC3 (tests/io/hepmc_fixture.h);
// `sherpa_` a real Sherpa event from the shared data, where present.
class HepMC : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir("hepmc");
    small_ = dir_ + "/small.hepmc";
    testing::write_hepmc(small_, 2);
    sherpa_ = testing::shared_data("sherpa_wz.hepmc");
  }
  void need_sherpa() {
    if (!std::filesystem::exists(sherpa_)) GTEST_SKIP() << "no shared data: " << sherpa_ << " is absent";
  }
  std::string small_, sherpa_, dir_;
};

// Final-state particles of event `which` of a HepMC2 file by an independent
// reading of its P lines: status 1 and end-vertex barcode 0.
std::vector<std::vector<double>> final_state_by_hand(const std::string& path, bool neutrinos, int which = 0) {
  std::istringstream in(read_text(path));
  std::vector<std::vector<double>> out;
  int event = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("E ", 0) == 0) ++event;
    if (line.rfind("P ", 0) != 0 || event != which) continue;
    std::istringstream f(line.substr(2));
    double barcode, pdg, px, py, pz, e, m, status, theta, phi, end;
    f >> barcode >> pdg >> px >> py >> pz >> e >> m >> status >> theta >> phi >> end;
    const int a = std::abs(static_cast<int>(pdg));
    if (status != 1 || end != 0 || (!neutrinos && (a == 12 || a == 14 || a == 16))) continue;
    out.push_back({e, px, py, pz});
  }
  return out;
}

void expect_same_particles(const Event& event, const std::vector<std::vector<double>>& expected, double scale = 1) {
  ASSERT_EQ(event.size(), expected.size());
  double sum_e = 0, ref_e = 0, sum_px = 0, ref_px = 0;
  for (size_t i = 0; i < event.size(); ++i) sum_e += event[i].p.E, sum_px += event[i].p.px;
  for (const auto& p : expected) ref_e += p[0] * scale, ref_px += p[1] * scale;
  EXPECT_NEAR(sum_e, ref_e, 1e-9 * ref_e);
  EXPECT_NEAR(sum_px, ref_px, 1e-9 * ref_e);
}

TEST_F(HepMC, ReadsSherpaHepMC2FinalState) {
  need_sherpa();
  if (IsSkipped()) return;
  auto source = open_event_source(sherpa_);
  EXPECT_EQ(source->format(), "hepmc2");
  EventBatch batch = source->read_batch(10);
  ASSERT_EQ(batch.size(), 1u);
  expect_same_particles(batch.events[0], final_state_by_hand(sherpa_, false));
  EXPECT_EQ(batch.events[0].size(), 254u);  // 256 final-state particles, 2 of them neutrinos
  EXPECT_NEAR(batch.weights[0], 4.499112642621, 1e-5);
  EXPECT_TRUE(source->read_batch(10).empty());

  FinalStateSelection keep;
  keep.drop_neutrinos = false;
  auto with_neutrinos = open_event_source(sherpa_, "hepmc", keep);
  expect_same_particles(with_neutrinos->read_batch(1).events.at(0), final_state_by_hand(sherpa_, true));
}

TEST_F(HepMC, ReadsSmallHepMC2) {
  auto source = open_event_source(small_);
  EXPECT_EQ(source->format(), "hepmc2");
  const std::vector<Event> events = read_everything(*source, 1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].size(), 8u);  // six pions and the W's quarks; the neutrino and the W itself are not final
  expect_same_particles(events[1], final_state_by_hand(small_, false, 1));
}

TEST_F(HepMC, ReadsHepMC3AndGzipAndMeV) {
  // The same events written by HepMC3's own HepMC3 writer.
  HepMC3::GenEvent event;
  {
    HepMC3::ReaderAsciiHepMC2 reader(small_);
    ASSERT_TRUE(reader.read_event(event));
  }
  const std::string v3 = dir_ + "/sherpa.hepmc3";
  {
    HepMC3::WriterAscii writer(v3);
    writer.write_event(event);
    writer.write_event(event);
    writer.close();
  }
  auto source = open_event_source(v3);
  EXPECT_EQ(source->format(), "hepmc3");
  const std::vector<Event> events = read_everything(*source, 1);
  ASSERT_EQ(events.size(), 2u);
  expect_same_particles(events[1], final_state_by_hand(small_, false, 0));

  const std::string gz = dir_ + "/small.hepmc.gz";
  const std::string text = read_text(small_);
  gzFile out = gzopen(gz.c_str(), "wb");
  gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
  gzclose(out);
  auto compressed = open_event_source(gz);
  EXPECT_EQ(compressed->format(), "hepmc2");
  expect_same_particles(compressed->read_batch(5).events.at(0), final_state_by_hand(small_, false, 0));

  std::string mev = text;
  mev.replace(mev.find("U GEV MM"), 8, "U MEV MM");
  write_text(dir_ + "/mev.hepmc", mev);
  auto in_mev = open_event_source(dir_ + "/mev.hepmc");
  expect_same_particles(in_mev->read_batch(5).events.at(0), final_state_by_hand(small_, false, 0), 1e-3);
}

TEST_F(HepMC, SkipsTruncatedAndDamagedEvents) {
  const std::string text = read_text(small_);
  const size_t body = text.find("\nE ") + 1, footer = text.find("\nE ", body) + 1;
  const std::string header = text.substr(0, body), event = text.substr(body, footer - body);  // the first event
  // Three events: whole, with a particle line missing, whole; then a truncated one.
  std::string damaged = event;
  const size_t p = damaged.find("\nP ", damaged.size() / 2) + 1;
  damaged.erase(p, damaged.find('\n', p) + 1 - p);
  write_text(dir_ + "/damaged.hepmc", header + event + damaged + event + event.substr(0, event.size() / 2));
  auto source = open_event_source(dir_ + "/damaged.hepmc");
  const std::vector<Event> events = read_everything(*source, 2);
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(source->counts().skipped, 2);
  ASSERT_EQ(source->counts().reasons.size(), 2u);
  EXPECT_NE(source->counts().reasons[0].find("event 1 (line"), std::string::npos) << source->counts().reasons[0];
  EXPECT_NE(source->counts().reasons[0].find("truncated or damaged"), std::string::npos);
  EXPECT_NE(source->counts().reasons[1].find("event 3"), std::string::npos) << source->counts().reasons[1];
}

TEST(EventSourceErrors, NameTheFileAndWhatWasExpected) {
  const std::string dir = testing::scratch_dir("errors");
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { open_event_source(dir + "/missing.hepmc"); }).find("missing.hepmc': no such file"),
            std::string::npos);
  EXPECT_NE(message([&] { open_event_source(dir); }).find("is a directory"), std::string::npos);
  write_text(dir + "/junk.txt", "hello world\n");
  EXPECT_NE(message([&] { open_event_source(dir + "/junk.txt"); }).find("cannot tell its format"), std::string::npos);
  EXPECT_NE(message([&] { open_event_source(dir + "/junk.txt", "hepmc"); }).find("is not a HepMC ASCII file"),
            std::string::npos);
  EXPECT_NE(message([&] { open_event_source(dir + "/junk.txt", "pythia"); }).find("unknown event format 'pythia'"),
            std::string::npos);
  EXPECT_NE(message([&] { open_event_source(dir + "/junk.txt", "toptag"); }).find("is not an HDF5 file"),
            std::string::npos);
  write_text(dir + "/binary.dat", std::string("1 2 3 4\n5 6\0 7 8\n", 17));
  EXPECT_NE(message([&] { read_everything(*open_event_source(dir + "/binary.dat", "text")); }).find("NUL byte"),
            std::string::npos);
}

TEST(EventSourceJetimg, ReadsTheProjectsEventsFile) {
  const std::string path = testing::scratch_dir("jetimg") + "/e.h5";
  {
    EventsWriter writer(path, Json{{"process", "w"}});
    writer.write({Event{{{2, 1, 0, 0}, 21}}, Event{{{3, 0, 1, 0}, 1}, {{1, 0, 0, 1}, 2}}});
    writer.finish();
  }
  auto source = open_event_source(path);
  EXPECT_EQ(source->format(), "jetimg");
  EXPECT_EQ(source->size_hint(), 2);
  EXPECT_EQ(source->provenance()["process"], "w");
  const EventBatch batch = source->read_batch(5);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.events[1].size(), 2u);
  EXPECT_EQ(batch.labels[0], -1);
}

}  // namespace
}  // namespace jetimg
