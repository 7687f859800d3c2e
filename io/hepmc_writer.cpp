#include "io/hepmc_writer.h"

#include <HepMC3/GenEvent.h>
#include <HepMC3/GenParticle.h>
#include <HepMC3/GenRunInfo.h>
#include <HepMC3/GenVertex.h>
#include <HepMC3/Setup.h>
#include <HepMC3/Version.h>
#include <HepMC3/WriterAscii.h>
#include <HepMC3/WriterAsciiHepMC2.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "core/error.h"

namespace jetimg {
namespace {

constexpr int kBeamPdg = 2212;
constexpr int kBeamStatus = 4;
constexpr int kFinalStatus = 1;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Why the last write failed, as far as errno knows.
std::string io_error() { return errno != 0 ? std::strerror(errno) : "an I/O error"; }

void quiet_hepmc_writers() {
  static std::once_flag once;
  std::call_once(once, [] { HepMC3::Setup::set_print_warnings(false); });  // "HepMC2 format is outdated"
}

}  // namespace

int hepmc_output_version(const std::string& path, const std::string& format) {
  if (format != "auto" && format != "jetimg" && format != "hepmc" && format != "hepmc2" && format != "hepmc3")
    fail("unknown output format '", format, "' (expected auto, jetimg, hepmc, hepmc2 or hepmc3)");
  const std::string name = lower(path);
  const bool gz = ends_with(name, ".gz");
  const std::string stem = gz ? name.substr(0, name.size() - 3) : name;
  int version = 0;
  if (format == "hepmc" || format == "hepmc3") version = 3;
  if (format == "hepmc2") version = 2;
  if (format == "auto") {
    if (ends_with(stem, ".hepmc") || ends_with(stem, ".hepmc3")) version = 3;
    if (ends_with(stem, ".hepmc2")) version = 2;
  }
  if (version != 0 && gz)
    fail("cannot write '", path, "': gzip-compressed HepMC output is not supported (HepMC3 ", HEPMC3_VERSION,
         " has no compressed writer); write '", path.substr(0, path.size() - 3), "' and compress it with gzip");
  if (version != 0 && (ends_with(stem, ".h5") || ends_with(stem, ".hdf5") || ends_with(stem, ".hdf")))
    fail("cannot write HepMC to '", path, "': readers take a name ending in .h5 for HDF5; name it .hepmc3 or .hepmc2");
  return version;
}

HepMCWriter::HepMCWriter(const std::string& path, int version, const std::string& description, int precision)
    : output_(path), version_(version) {
  if (version != 2 && version != 3) fail("cannot write '", path, "': HepMC version ", version, " (expected 2 or 3)");
  if (ends_with(lower(path), ".gz"))
    fail("cannot write '", path, "': gzip-compressed HepMC output is not supported (HepMC3 ", HEPMC3_VERSION,
         " has no compressed writer); write it uncompressed and compress it with gzip");
  if (precision < 2 || precision > 24) fail("cannot write '", path, "': precision ", precision, " is not in [2, 24]");
  quiet_hepmc_writers();
  errno = 0;
  stream_.open(output_.temp_path(), std::ios::out | std::ios::trunc);
  if (!stream_) fail("cannot write '", path, "': ", io_error());
  run_info_ = std::make_shared<HepMC3::GenRunInfo>();
  run_info_->set_weight_names({"Default"});
  run_info_->tools().push_back({"jetimg", "0.1.0", description});
  if (version_ == 3) {
    auto writer = std::make_unique<HepMC3::WriterAscii>(stream_, run_info_);
    writer->set_precision(precision);
    writer_ = std::move(writer);
  } else {
    auto writer = std::make_unique<HepMC3::WriterAsciiHepMC2>(stream_, run_info_);
    writer->set_precision(precision);
    writer_ = std::move(writer);
  }
  check_stream("writing its header");
}

HepMCWriter::~HepMCWriter() = default;  // without finish(), AtomicOutput removes the temporary file

void HepMCWriter::write(const std::vector<Event>& events, const std::vector<float>& weights) {
  if (!writer_) fail("cannot write '", output_.path(), "': it is already finished");
  if (!weights.empty() && weights.size() != events.size())
    fail("cannot write '", output_.path(), "': ", weights.size(), " weights for ", events.size(), " events");
  if (events.empty()) return;
  errno = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    HepMC3::GenEvent record(run_info_, HepMC3::Units::GEV, HepMC3::Units::MM);
    record.set_event_number(static_cast<int>(written_));
    double energy = 0;
    for (const Particle& p : event) energy += p.p.E;
    const double beam = 0.5 * energy;
    auto vertex = std::make_shared<HepMC3::GenVertex>();
    for (const double pz : {beam, -beam}) {
      auto incoming = std::make_shared<HepMC3::GenParticle>(HepMC3::FourVector(0, 0, pz, beam), kBeamPdg, kBeamStatus);
      incoming->set_generated_mass(0);
      vertex->add_particle_in(incoming);
    }
    for (const Particle& p : event) {
      auto outgoing = std::make_shared<HepMC3::GenParticle>(HepMC3::FourVector(p.p.px, p.p.py, p.p.pz, p.p.E), p.pdg,
                                                            kFinalStatus);
      outgoing->set_generated_mass(p.p.m());  // jetimg's mass: a rounding-level negative m² counts as zero
      vertex->add_particle_out(outgoing);
    }
    record.add_vertex(vertex);
    record.weights() = {weights.empty() ? 1.0 : static_cast<double>(weights[i])};
    writer_->write_event(record);  // ends by handing the event to the stream
    if (!stream_) check_stream("writing event " + std::to_string(written_));
    ++written_;
  }
  check_stream("writing event " + std::to_string(written_ - 1));
}

void HepMCWriter::finish() {
  if (!writer_) fail("cannot write '", output_.path(), "': it is already finished");
  errno = 0;
  writer_->close();  // flushes HepMC's buffer, writes the footer and (HepMC3 3.1) closes the file
  writer_.reset();
  if (stream_.is_open()) stream_.close();
  if (stream_.fail()) fail("cannot write '", output_.path(), "': writing its last events failed (", io_error(), ")");
  output_.commit();
}

void HepMCWriter::check_stream(const std::string& doing) {
  stream_.flush();
  if (!stream_) fail("cannot write '", output_.path(), "': ", doing, " failed (", io_error(), ")");
}

}  // namespace jetimg
