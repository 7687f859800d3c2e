#include "io/hepmc_reader.h"

#include <sys/stat.h>

#include <HepMC3/GenEvent.h>
#include <HepMC3/GenParticle.h>
#include <HepMC3/ReaderAscii.h>
#include <HepMC3/ReaderAsciiHepMC2.h>
#include <HepMC3/Setup.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>

#include "core/error.h"

namespace jetimg {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<std::string> tokens(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// A whole non-negative number, or -1.
long long count_field(const std::vector<std::string>& t, size_t i) {
  if (i >= t.size()) return -1;
  char* end = nullptr;
  const long long v = std::strtoll(t[i].c_str(), &end, 10);
  return (end && *end == '\0' && v >= 0) ? v : -1;
}

void quiet_hepmc() {
  static std::once_flag once;
  std::call_once(once, [] {
    HepMC3::Setup::set_print_errors(false);
    HepMC3::Setup::set_print_warnings(false);
    HepMC3::Setup::set_debug_level(-1);  // its parsers print DEBUG lines on bad input otherwise
  });
}

// HepMC3 3.1 prints some parse failures to std::cout whatever its settings;
// the reader reports them itself, so both streams are muted while it parses.
class MuteStandardStreams {
 public:
  MuteStandardStreams() : out_(std::cout.rdbuf(&sink_)), err_(std::cerr.rdbuf(&sink_)) {}
  ~MuteStandardStreams() {
    std::cout.rdbuf(out_);
    std::cerr.rdbuf(err_);
  }

 private:
  struct NullBuffer : std::streambuf {
    int overflow(int c) override { return c; }
  } sink_;
  std::streambuf* out_;
  std::streambuf* err_;
};

bool is_neutrino(int pdg) {
  const int a = std::abs(pdg);
  return a == 12 || a == 14 || a == 16;
}

}  // namespace

int detect_hepmc_version(const std::string& path) {
  LineReader lines(path);
  std::string line;
  for (int i = 0; i < 20 && lines.next(line); ++i) {
    if (starts_with(line, "HepMC::IO_GenEvent-START_EVENT_LISTING")) return 2;
    if (starts_with(line, "HepMC::Asciiv3-START_EVENT_LISTING")) return 3;
    if (starts_with(line, "E ")) return tokens(line).size() >= 12 ? 2 : 3;
    if (!line.empty() && !starts_with(line, "HepMC::")) return 0;
  }
  return 0;
}

HepMCSource::HepMCSource(const std::string& path, int version, const FinalStateSelection& selection)
    : lines_(path), version_(version), selection_(selection) {
  quiet_hepmc();
  // A pipe can be read once only: its version must be given, not detected.
  struct stat info {};
  const bool regular = ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
  if (!regular && version_ == 0) fail("'", path, "' is a stream: give its HepMC version (2 or 3)");
  const int detected = regular ? detect_hepmc_version(path) : 0;
  if (version_ == 0) version_ = detected;
  if (version_ == 0)
    fail("'", path, "' is not a HepMC ASCII file (expected a 'HepMC::Version' header and "
         "'HepMC::IO_GenEvent-START_EVENT_LISTING' or 'HepMC::Asciiv3-START_EVENT_LISTING')");
  if (detected != 0 && detected != version_)
    fail("'", path, "' is HepMC", detected, ", not HepMC", version_, " as asked");
  // Everything before the first event: the header, and for HepMC3 the run info.
  std::string line;
  while (lines_.next(line)) {
    if (starts_with(line, "E ")) {
      pending_ = line, has_pending_ = true, pending_line_ = lines_.line_number();
      return;
    }
    if (starts_with(line, "HepMC::") && line.find("END_EVENT_LISTING") != std::string::npos) return;
    if (version_ == 3 && (starts_with(line, "W ") || starts_with(line, "T "))) preamble_.push_back(line);
  }
}

bool HepMCSource::next_block(std::vector<std::string>& block, int64_t& first_line) {
  block.clear();
  if (!has_pending_) return false;
  block.push_back(pending_);
  first_line = pending_line_;
  has_pending_ = false;
  std::string line;
  while (lines_.next(line)) {
    if (starts_with(line, "E ")) {
      pending_ = line, has_pending_ = true, pending_line_ = lines_.line_number();
      return true;
    }
    if (starts_with(line, "HepMC::")) continue;  // the footer, or a header of a concatenated file
    block.push_back(line);
  }
  return true;
}

std::string HepMCSource::block_problem(const std::vector<std::string>& block) const {
  const std::vector<std::string> e = tokens(block.front());
  long long vertices = 0, particles = 0, orphans_and_outgoing = 0;
  std::set<long long> vertex_ids;  // V lines seen so far
  std::vector<long long> end_vertices;  // HepMC2: each particle's end-vertex barcode
  std::vector<long long> parent_vertices;  // HepMC3: vertices named as a particle's parent
  const long long declared = count_field(e, 3);  // HepMC3: particles in the event
  for (size_t i = 1; i < block.size(); ++i) {
    const std::string& line = block[i];
    const std::string at = " (line +" + std::to_string(i) + ")";
    if (starts_with(line, "V ")) {
      ++vertices;
      const auto v = tokens(line);
      const long long id = v.size() > 1 ? std::strtoll(v[1].c_str(), nullptr, 10) : 0;
      if (id >= 0) return "a V line without a negative vertex id" + at;
      vertex_ids.insert(id);
      if (version_ == 2) {
        const long long orphans = count_field(v, 7), outgoing = count_field(v, 8);
        if (orphans < 0 || outgoing < 0) return "a V line without particle counts" + at;
        orphans_and_outgoing += orphans + outgoing;
      } else {
        // HepMC3 lists the incoming particles, [i1,i2,...], by id (1..declared).
        if (v.size() < 4 || v[3].size() < 2 || v[3].front() != '[' || v[3].back() != ']')
          return "a V line without its incoming-particle list" + at;
        std::istringstream list(v[3].substr(1, v[3].size() - 2));
        for (std::string item; std::getline(list, item, ',');) {
          char* end = nullptr;
          const long long in = std::strtoll(item.c_str(), &end, 10);
          if (item.empty() || *end != '\0' || in < 1 || in > declared)
            return "vertex " + std::to_string(id) + " lists particle '" + item + "', which the event does not have" + at;
        }
      }
    } else if (starts_with(line, "P ")) {
      ++particles;
      const auto p = tokens(line);
      if (version_ == 3) {
        // P id parent pdg px py pz E m status: ids run 1, 2, ...; a parent is an
        // earlier particle (> 0) or a vertex of the event (< 0).
        if (p.size() < 10 || count_field(p, 1) != particles)
          return "particle line " + std::to_string(particles) + " is not 'P " + std::to_string(particles) +
                 " parent pdg px py pz E m status'" + at;
        const long long parent = std::strtoll(p[2].c_str(), nullptr, 10);
        if (parent >= particles)
          return "particle " + std::to_string(particles) + " names parent " + p[2] + ", which is not defined before it" + at;
        if (parent < 0) parent_vertices.push_back(parent);
      } else {
        if (p.size() < 13) return "a P line with fewer than 12 fields" + at;
        end_vertices.push_back(std::strtoll(p[11].c_str(), nullptr, 10));
      }
    }
  }
  for (long long parent : parent_vertices)
    if (!vertex_ids.count(parent))
      return "a particle comes from vertex " + std::to_string(parent) + ", which the event does not have";
  for (long long end : end_vertices)
    if (end != 0 && !vertex_ids.count(end))
      return "a particle ends at vertex " + std::to_string(end) + ", which the event does not have";
  const long long declared_vertices = count_field(e, version_ == 2 ? 8 : 2);
  if (declared_vertices < 0) return "an E line without a vertex count";
  // HepMC3 leaves out the V line of a vertex with one incoming particle and no position.
  if (version_ == 2 ? declared_vertices != vertices : declared_vertices < vertices)
    return "declares " + std::to_string(declared_vertices) + " vertices but has " + std::to_string(vertices) +
           " (truncated or damaged)";
  const long long declared_particles = version_ == 2 ? orphans_and_outgoing : count_field(e, 3);
  if (declared_particles < 0) return "an E line without a particle count";
  if (declared_particles != particles)
    return "declares " + std::to_string(declared_particles) + " particles but has " + std::to_string(particles) +
           " (truncated or damaged)";
  return "";
}

EventBatch HepMCSource::read_batch(int64_t n) {
  EventBatch batch;
  std::vector<std::string> block;
  int64_t first_line = 0;
  while (static_cast<int64_t>(batch.size()) < n && next_block(block, first_line)) {
    const int64_t record = record_++;
    const std::string where = "'" + lines_.path() + "', event " + std::to_string(record) + " (line " +
                              std::to_string(first_line) + "): ";
    const std::string problem = block_problem(block);
    if (!problem.empty()) {
      counts_.skip(where + problem);
      continue;
    }
    std::string text;
    for (const std::string& l : preamble_) text += l + "\n";
    for (const std::string& l : block) text += l + "\n";
    std::istringstream stream(text);
    HepMC3::GenEvent event;
    bool ok = false;
    try {
      const MuteStandardStreams mute;
      if (version_ == 2) {
        HepMC3::ReaderAsciiHepMC2 reader(stream);
        ok = reader.read_event(event);
      } else {
        HepMC3::ReaderAscii reader(stream);
        ok = reader.read_event(event);
      }
    } catch (const std::exception& e) {
      ok = false;
    }
    if (!ok || event.particles().size() != static_cast<size_t>(std::count_if(
                   block.begin(), block.end(), [](const std::string& l) { return starts_with(l, "P "); }))) {
      counts_.skip(where + "HepMC could not parse it (damaged event)");
      continue;
    }
    const double scale = event.momentum_unit() == HepMC3::Units::MEV ? 1e-3 : 1.0;
    Event particles;
    std::string bad;
    for (const auto& p : event.particles()) {
      if (p->status() != 1 || p->end_vertex()) continue;
      if (selection_.drop_neutrinos && is_neutrino(p->pid())) continue;
      const HepMC3::FourVector& m = p->momentum();
      const FourVector momentum{scale * m.e(), scale * m.px(), scale * m.py(), scale * m.pz()};
      const std::string why = particle_problem(momentum);
      if (!why.empty()) {
        bad = "particle " + std::to_string(p->id()) + " has " + why;
        break;
      }
      particles.push_back({momentum, p->pid()});
    }
    if (!bad.empty()) {
      counts_.skip(where + bad);
      continue;
    }
    if (particles.empty()) {
      counts_.skip(where + "no final-state particles");
      continue;
    }
    const float weight = event.weights().empty() ? 1.0f : static_cast<float>(event.weights().front());
    batch.add(std::move(particles), record, weight);
    ++counts_.read;
  }
  return batch;
}

Json HepMCSource::provenance() const {
  return Json{{"format", format()}, {"path", lines_.path()}, {"compressed", lines_.compressed()},
              {"drop_neutrinos", selection_.drop_neutrinos}};
}

}  // namespace jetimg
