// jetimg events written as HepMC ASCII, HepMC3 (Asciiv3) or HepMC2
// (IO_GenEvent), by the HepMC3 library, so that other tools (Rivet, FastJet
// readers, HepMC3's own) and jetimg's reader can take them.
//
// Each event is a minimal valid record: one vertex at the origin, two beam
// particles (PDG 2212, status 4) along +z and -z each carrying half the summed
// energy of the event, and the final-state particles (status 1) leaving it.
// Units GeV and mm; the event number counts from 0; one weight ("Default").
// Momenta are printed as %.{precision}e: the default of 16 digits after the
// point gives back every double exactly.
//
// The file is written under a temporary name and renamed when finish() has
// written its last line; an error leaves nothing behind. HepMC3 3.1 has no
// compressed writer, so names ending in .gz are refused.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "io/atomic_output.h"
#include "physics/event.h"

namespace HepMC3 {
class Writer;
class GenRunInfo;
}  // namespace HepMC3

namespace jetimg {

class HepMCWriter {
 public:
  // version: 2 or 3. description: one line on where the events come from
  // (written as the run's tool description in HepMC3; HepMC2 has no place for it).
  HepMCWriter(const std::string& path, int version, const std::string& description = "", int precision = 16);
  ~HepMCWriter();
  HepMCWriter(const HepMCWriter&) = delete;
  HepMCWriter& operator=(const HepMCWriter&) = delete;

  // weights: one per event, or empty for weight 1.
  void write(const std::vector<Event>& events, const std::vector<float>& weights = {});
  // Writes the footer, closes the file and moves it into place.
  void finish();
  int64_t events_written() const { return written_; }
  int version() const { return version_; }

 private:
  void check_stream(const std::string& doing);

  AtomicOutput output_;
  int version_;
  std::ofstream stream_;
  std::shared_ptr<HepMC3::GenRunInfo> run_info_;
  std::unique_ptr<HepMC3::Writer> writer_;
  int64_t written_ = 0;
};

// The HepMC version an output should be written as: `format` "hepmc3" or
// "hepmc" gives 3, "hepmc2" 2; "auto" looks at the name (.hepmc and .hepmc3
// are 3, .hepmc2 is 2, anything else 0: not HepMC); "jetimg" gives 0. An
// unknown format is an Error, and so is HepMC asked for a name ending in .gz
// (or a .hepmc*.gz name), with a message naming the file.
int hepmc_output_version(const std::string& path, const std::string& format = "auto");

}  // namespace jetimg
