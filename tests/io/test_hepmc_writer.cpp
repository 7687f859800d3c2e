// The HepMC writer: built-in events written as HepMC3 and HepMC2 come back
// through open_event_source with the same particles (exactly at the default
// precision, to the printed digits at a lower one), PDG codes, weights and
// count; HepMC3's own readers see a valid record (one vertex, two beams of
// status 4 carrying half the summed energy each, GeV and mm, event numbers);
// outputs that cannot be written, .gz names and write failures are refused
// with a message naming the file, and leave nothing behind.
#include <gtest/gtest.h>

#include <HepMC3/GenEvent.h>
#include <HepMC3/GenParticle.h>
#include <HepMC3/GenVertex.h>
#include <HepMC3/ReaderAscii.h>
#include <HepMC3/ReaderAsciiHepMC2.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/error.h"
#include "io/event_source.h"
#include "io/hepmc_writer.h"
#include "physics/generator.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

namespace fs = std::filesystem;

std::vector<Event> builtin_events(int64_t count) {
  return generate_events(GeneratorConfig::defaults(Process::W), 11, 0, count);
}

std::vector<float> some_weights(size_t n) {
  std::vector<float> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = 0.25f + 0.5f * static_cast<float>(i % 7);
  return w;
}

EventBatch read_all(const std::string& path, const std::string& expected_format) {
  auto source = open_event_source(path);
  EXPECT_EQ(source->format(), expected_format);
  EventBatch all;
  for (EventBatch b = source->read_batch(4); !b.empty(); b = source->read_batch(4))
    for (size_t i = 0; i < b.size(); ++i) all.add(std::move(b.events[i]), b.indices[i], b.weights[i], b.labels[i]);
  EXPECT_EQ(source->counts().skipped, 0) << source->counts().summary();
  return all;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

// |got - want| within half a unit in the last printed digit of %.{precision}e.
void expect_printed(double got, double want, int precision, const std::string& what) {
  if (want == 0) {
    EXPECT_EQ(got, 0) << what;
    return;
  }
  const double unit = std::pow(10.0, std::floor(std::log10(std::abs(want))) - precision);
  EXPECT_LE(std::abs(got - want), 0.5 * unit * (1 + 1e-9)) << what << ": got " << got << ", wrote " << want;
}

void round_trip(int version, const std::string& name, int precision) {
  const std::string dir = testing::scratch_dir("out");
  const std::string path = dir + "/" + name;
  const std::vector<Event> events = builtin_events(23);
  const std::vector<float> weights = some_weights(events.size());
  {
    HepMCWriter writer(path, version, "round trip", precision);
    writer.write({events.begin(), events.begin() + 10}, {weights.begin(), weights.begin() + 10});
    writer.write({events.begin() + 10, events.end()}, {weights.begin() + 10, weights.end()});
    EXPECT_EQ(writer.events_written(), 23);
    writer.finish();
  }
  EXPECT_EQ(files_in(dir), std::vector<std::string>{name}) << "no temporary file is left";
  const EventBatch back = read_all(path, version == 3 ? "hepmc3" : "hepmc2");
  ASSERT_EQ(back.size(), events.size());
  for (size_t e = 0; e < events.size(); ++e) {
    SCOPED_TRACE("event " + std::to_string(e));
    EXPECT_EQ(back.weights[e], weights[e]);
    EXPECT_EQ(back.indices[e], static_cast<int64_t>(e));
    ASSERT_EQ(back.events[e].size(), events[e].size());
    for (size_t i = 0; i < events[e].size(); ++i) {
      const Particle &got = back.events[e][i], &want = events[e][i];
      ASSERT_EQ(got.pdg, want.pdg) << "particle " << i;
      if (precision >= 16) {  // 17 significant digits give every double back exactly
        ASSERT_EQ(got.p.E, want.p.E) << "particle " << i;
        ASSERT_EQ(got.p.px, want.p.px) << "particle " << i;
        ASSERT_EQ(got.p.py, want.p.py) << "particle " << i;
        ASSERT_EQ(got.p.pz, want.p.pz) << "particle " << i;
      } else {
        expect_printed(got.p.E, want.p.E, precision, "E");
        expect_printed(got.p.px, want.p.px, precision, "px");
        expect_printed(got.p.py, want.p.py, precision, "py");
        expect_printed(got.p.pz, want.p.pz, precision, "pz");
      }
    }
  }
}

TEST(HepMCWriter, HepMC3RoundTripIsExact) { round_trip(3, "w.hepmc3", 16); }
TEST(HepMCWriter, HepMC2RoundTripIsExact) { round_trip(2, "w.hepmc2", 16); }
TEST(HepMCWriter, HepMC3ToThePrintedPrecision) { round_trip(3, "w.hepmc", 6); }
TEST(HepMCWriter, HepMC2ToThePrintedPrecision) { round_trip(2, "w.hepmc2", 6); }

// HepMC3's own readers see one vertex fed by two status-4 beams along +z and
// -z carrying half the summed energy each, the final state leaving it, GeV
// and mm, the event number and one weight.
template <typename Reader>
void check_record(const std::string& path, const std::vector<Event>& events) {
  Reader reader(path);
  for (size_t e = 0; e < events.size(); ++e) {
    SCOPED_TRACE("event " + std::to_string(e));
    HepMC3::GenEvent record;
    ASSERT_TRUE(reader.read_event(record));
    ASSERT_FALSE(reader.failed());
    EXPECT_EQ(record.event_number(), static_cast<int>(e));
    EXPECT_EQ(record.momentum_unit(), HepMC3::Units::GEV);
    EXPECT_EQ(record.length_unit(), HepMC3::Units::MM);
    ASSERT_EQ(record.weights().size(), 1u);
    ASSERT_EQ(record.vertices().size(), 1u);
    const auto& vertex = record.vertices().front();
    ASSERT_EQ(vertex->particles_in().size(), 2u);
    EXPECT_EQ(vertex->particles_out().size(), events[e].size());
    double energy = 0;
    for (const Particle& p : events[e]) energy += p.p.E;
    double pz_sum = 0;
    for (const auto& beam : vertex->particles_in()) {
      EXPECT_EQ(beam->status(), 4);
      EXPECT_EQ(beam->pid(), 2212);
      EXPECT_DOUBLE_EQ(beam->momentum().e(), 0.5 * energy);
      EXPECT_DOUBLE_EQ(std::abs(beam->momentum().pz()), 0.5 * energy);
      EXPECT_EQ(beam->momentum().px(), 0);
      pz_sum += beam->momentum().pz();
    }
    EXPECT_EQ(pz_sum, 0) << "one beam along +z, one along -z";
    for (const auto& p : vertex->particles_out()) EXPECT_EQ(p->status(), 1);
  }
  HepMC3::GenEvent extra;
  reader.read_event(extra);
  EXPECT_TRUE(reader.failed()) << "no more events than were written";
}

TEST(HepMCWriter, RecordsAreValidForHepMC3Readers) {
  const std::string dir = testing::scratch_dir("out");
  const std::vector<Event> events = builtin_events(5);
  for (int version : {3, 2}) {
    const std::string path = dir + "/w.hepmc" + std::to_string(version);
    HepMCWriter writer(path, version, "jetimg generate: built-in generator, process w, seed 11");
    writer.write(events);
    writer.finish();
    if (version == 3) check_record<HepMC3::ReaderAscii>(path, events);
    else check_record<HepMC3::ReaderAsciiHepMC2>(path, events);
  }
}

TEST(HepMCWriter, VersionFromTheNameOrFormat) {
  EXPECT_EQ(hepmc_output_version("a/x.hepmc"), 3);
  EXPECT_EQ(hepmc_output_version("x.hepmc3"), 3);
  EXPECT_EQ(hepmc_output_version("x.HepMC2"), 2);
  EXPECT_EQ(hepmc_output_version("x.h5"), 0);
  EXPECT_EQ(hepmc_output_version("x.gz"), 0) << "not HepMC: the events file's own business";
  EXPECT_EQ(hepmc_output_version("x.dat", "hepmc2"), 2);
  EXPECT_EQ(hepmc_output_version("x.dat", "hepmc"), 3);
  EXPECT_EQ(hepmc_output_version("x.hepmc", "jetimg"), 0);
  EXPECT_NE(testing::error_message_of([] { hepmc_output_version("x.hepmc", "root"); }).find("unknown output format 'root'"),
            std::string::npos);
  for (const std::string name : {"x.hepmc.gz", "x.hepmc3.gz", "x.hepmc2.gz"}) {
    const std::string message = testing::error_message_of([&] { hepmc_output_version("out/" + name); });
    EXPECT_NE(message.find("cannot write 'out/" + name + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("gzip"), std::string::npos) << message;
  }
  EXPECT_NE(testing::error_message_of([] { hepmc_output_version("x.dat.gz", "hepmc3"); }).find("x.dat.gz"),
            std::string::npos);
  EXPECT_NE(testing::error_message_of([] { hepmc_output_version("x.h5", "hepmc3"); }).find("'x.h5'"),
            std::string::npos);
}

TEST(HepMCWriter, RefusesWhatItCannotWriteAndLeavesNothing) {
  const std::string dir = testing::scratch_dir("out");
  const std::string gz = dir + "/w.hepmc.gz";
  std::string message = testing::error_message_of([&] { HepMCWriter(gz, 3); });
  EXPECT_NE(message.find("'" + gz + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("gzip-compressed HepMC output is not supported"), std::string::npos) << message;

  const std::string missing = dir + "/no/such/dir/w.hepmc3";
  message = testing::error_message_of([&] { HepMCWriter(missing, 3); });
  EXPECT_NE(message.find("'" + missing + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  if (::geteuid() != 0) {  // root writes anywhere
    const std::string locked = dir + "/locked";
    fs::create_directory(locked);
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    message = testing::error_message_of([&] { HepMCWriter(locked + "/w.hepmc2", 2); });
    EXPECT_NE(message.find("'" + locked + "/w.hepmc2'"), std::string::npos) << message;
    EXPECT_NE(message.find("not writable"), std::string::npos) << message;
    fs::permissions(locked, fs::perms::owner_all);
    fs::remove(locked);
  }
  message = testing::error_message_of([&] { HepMCWriter(dir + "/w.hepmc", 4); });
  EXPECT_NE(message.find("HepMC version 4"), std::string::npos) << message;

  // Unfinished (an error further up the stream): nothing is left, and an
  // existing file of the same name is untouched.
  const std::string kept = testing::write_text_file(dir, "kept.hepmc3", "old\n");
  {
    HepMCWriter writer(kept, 3);
    writer.write(builtin_events(3));
  }
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"kept.hepmc3"});
  std::ifstream in(kept);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "old");

  HepMCWriter writer(dir + "/done.hepmc3", 3);
  writer.finish();
  message = testing::error_message_of([&] { writer.write(builtin_events(1)); });
  EXPECT_NE(message.find("done.hepmc3': it is already finished"), std::string::npos) << message;
}

// A write that fails half-way (here a file-size limit, as a full disk would)
// is an Error naming the file, and the partial file is removed.
TEST(HepMCWriter, FailedWriteNamesTheFileAndLeavesNothing) {
  const std::string dir = testing::scratch_dir("out");
  const std::string path = dir + "/big.hepmc3";
  rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* const old_handler = std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string message = testing::error_message_of([&] {
    HepMCWriter writer(path, 3);
    for (int i = 0; i < 20; ++i) writer.write(builtin_events(10));
    writer.finish();
  });
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find("cannot write '" + path + "'"), std::string::npos) << message;
  EXPECT_TRUE(files_in(dir).empty()) << "the partial file is removed";
}

}  // namespace
}  // namespace jetimg
