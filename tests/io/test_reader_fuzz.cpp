// Seeded random mutations of text and HepMC inputs (truncation, flipped
// bytes, garbage and deleted or repeated lines): every reader must either
// return events (skipping what it cannot use) or throw jetimg::Error —
// never crash, hang or throw anything else. Inputs that once found a bug are
// kept in tests/data/ and replayed here.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"
#include "io/event_source.h"
#include "tests/io/hepmc_fixture.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const char* const kGarbage[] = {
    "", "#END", "#SUBSTART", "nan nan nan nan", "1e308 1e308 1e308 1e308", "-1 -2 -3 -4", "1 2 3", "1 2 3 4 5 6 7",
    "E", "E 0", "E 0 1 1", "E 5 999999999 999999999", "E 0 -1 -1 0 0 0 0 0 999999999 0 0 0 0",
    "V", "V -1 0 [1,2", "V -999 0 [999999] @ 0 0 0 0", "V -1 0 0 0 0 0 999999999 999999999 0",
    "P", "P 1", "P 1 0 211 1 2 3 4 0 1", "P 99999 -99999 22 1 1 1 nan 0 1", "P 10001 22 1 1 1 -5 0 1 0 0 -77 0",
    "P 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", "U", "U KEV CM", "W", "W 1e999", "A 0", "A 0 GenCrossSection",
    "A -5 GenPdfInfo 1", "T", "N 99999", "C", "F", "H", "HepMC::Version 9", "HepMC::Asciiv3-START_EVENT_LISTING",
    "HepMC::IO_GenEvent-START_EVENT_LISTING", "HepMC::IO_GenEvent-END_EVENT_LISTING", "\x01\x02\xff\xfe",
    "V -1 0 [1,1,1,1,1,1,1,1] @ 1 1 1 1", "P 3 -1 21 0 0 0 0 0 1", "P 3 3 21 0 0 0 0 0 1", "P 2 -2 21 0 0 0 0 0 1"};

std::string mutate(const std::string& base, std::mt19937_64& rng) {
  std::string s = base;
  const int steps = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < steps && !s.empty(); ++k) {
    const size_t at = rng() % s.size();
    switch (rng() % 6) {
      case 0:  // truncate
        s.resize(at);
        break;
      case 1:  // flip bytes
        for (int i = 0; i < 1 + static_cast<int>(rng() % 4); ++i) s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 2: {  // insert a garbage line at a line start
        const size_t line = s.rfind('\n', at);
        const size_t pos = line == std::string::npos ? 0 : line + 1;
        s.insert(pos, std::string(kGarbage[rng() % (sizeof(kGarbage) / sizeof(kGarbage[0]))]) + "\n");
        break;
      }
      case 3: {  // delete a line
        const size_t begin = s.rfind('\n', at), end = s.find('\n', at);
        if (begin != std::string::npos && end != std::string::npos) s.erase(begin, end - begin);
        break;
      }
      case 4: {  // repeat a line
        const size_t begin = s.rfind('\n', at), end = s.find('\n', at);
        if (begin != std::string::npos && end != std::string::npos) s.insert(end, s.substr(begin, end - begin));
        break;
      }
      default:  // replace a digit
        for (size_t i = at; i < s.size(); ++i)
          if (s[i] >= '0' && s[i] <= '9') {
            s[i] = "0123456789-.e"[rng() % 13];
            break;
          }
    }
  }
  return s;
}

// Reads the whole file; true if it ended with an Error (fine), false if it read cleanly.
bool read_or_error(const std::string& path, const std::string& format) {
  try {
    auto source = open_event_source(path, format);
    int64_t events = 0;
    for (EventBatch b = source->read_batch(4); !b.empty(); b = source->read_batch(4)) {
      for (const Event& e : b.events) {
        EXPECT_FALSE(e.empty()) << path;
        for (const Particle& p : e) {
          EXPECT_TRUE(std::isfinite(p.p.E) && std::isfinite(p.p.px) && std::isfinite(p.p.py) && std::isfinite(p.p.pz));
          EXPECT_GE(p.p.E, 0);
        }
      }
      events += static_cast<int64_t>(b.size());
      EXPECT_LT(events, 100000) << "runaway reader on " << path;
      if (events >= 100000) break;
    }
    EXPECT_EQ(source->counts().read, events);
    return false;
  } catch (const Error&) {
    return true;
  }
}

void fuzz(const std::string& base, const std::string& format, uint64_t seed, int mutations) {
  // For longer searches by hand: JETIMG_FUZZ_SCALE=20 JETIMG_FUZZ_SEED=7 jetimg_tests --gtest_filter='ReaderFuzz*'
  if (const char* more = std::getenv("JETIMG_FUZZ_SCALE")) mutations *= std::max(1, std::atoi(more));
  if (const char* other = std::getenv("JETIMG_FUZZ_SEED")) seed += 1000 * static_cast<uint64_t>(std::atoll(other));
  const std::string dir = testing::scratch_dir("fuzz_" + format);
  const std::string path = dir + "/input";
  std::mt19937_64 rng(seed);
  int errors = 0;
  for (int m = 0; m < mutations; ++m) {
    const std::string input = mutate(base, rng);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
    // On a failure, the input is left here to keep as a regression file.
    SCOPED_TRACE("mutation " + std::to_string(m) + " of seed " + std::to_string(seed));
    errors += read_or_error(path, format) ? 1 : 0;
    if (::testing::Test::HasFailure()) {
      std::ofstream(dir + "/failing_input", std::ios::binary) << input;
      FAIL() << "kept the failing input in " << dir << "/failing_input";
    }
  }
  std::printf("  %s: %d mutations, %d ended with a clean error\n", format.c_str(), mutations, errors);
}

TEST(ReaderFuzz, TextEvents) {
  const std::string base = read_text("/usr/share/doc/fastjet-examples/examples/Pythia-PtMin1000-LHC-10ev.dat");
  ASSERT_FALSE(base.empty());
  fuzz(base.substr(0, 6000), "text", 1, 1500);
  fuzz(base.substr(0, 6000), "auto", 2, 500);
}

TEST(ReaderFuzz, HepMC2) {
  const std::string base = testing::write_hepmc(testing::scratch_dir("base2") + "/e.hepmc", 2);
  fuzz(base, "hepmc", 3, 1500);
}

TEST(ReaderFuzz, HepMC3) {
  const std::string base = testing::write_hepmc(testing::scratch_dir("base3") + "/e.hepmc", 3);
  fuzz(base, "hepmc", 4, 1500);
  fuzz(base, "auto", 5, 500);
}

// Damaged gzip streams: flipped or cut compressed bytes.
TEST(ReaderFuzz, GzipStreams) {
  const std::string dir = testing::scratch_dir("fuzz_gzip");
  const std::string text = testing::write_hepmc(dir + "/e.hepmc", 2);
  const std::string gz = dir + "/e.hepmc.gz";
  gzFile out = gzopen(gz.c_str(), "wb");
  gzwrite(out, text.data(), static_cast<unsigned>(text.size()));
  gzclose(out);
  const std::string base = read_text(gz);
  std::mt19937_64 rng(6);
  int errors = 0;
  for (int m = 0; m < 300; ++m) {
    std::string input = base;
    if (m % 2) input.resize(rng() % input.size());
    else input[rng() % input.size()] ^= static_cast<char>(1 << (rng() % 8));
    std::ofstream(dir + "/input.gz", std::ios::binary | std::ios::trunc) << input;
    SCOPED_TRACE("gzip mutation " + std::to_string(m));
    errors += read_or_error(dir + "/input.gz", "hepmc") ? 1 : 0;
    if (::testing::Test::HasFailure()) FAIL() << "kept the failing input in " << dir << "/input.gz";
  }
  std::printf("  gzip: 300 mutations, %d ended with a clean error\n", errors);
  EXPECT_GT(errors, 100);  // a cut or damaged stream is reported, not read as a short file
}

// Inputs that once crashed or misled a reader.
TEST(ReaderFuzz, RegressionInputs) {
  const std::filesystem::path dir = std::filesystem::path(JETIMG_SOURCE_DIR) / "tests/data/fuzz";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no regression inputs in " << dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    read_or_error(entry.path().string(), "auto");
    const std::string name = entry.path().filename().string();
    read_or_error(entry.path().string(), name.find("text") != std::string::npos ? "text" : "hepmc");
  }
}

}  // namespace
}  // namespace jetimg
