// HepMC2 (IO_GenEvent) and HepMC3 (Asciiv3) ASCII events, plain or gzip,
// parsed by the HepMC3 library. The version is detected from the header line.
//
// The file is split into one block of lines per event here, and each block is
// checked (the counts its E and V lines declare match the lines present) and
// then parsed on its own, so a damaged or truncated event is skipped and
// reported by number and line while the rest of the file is still read.
// Final state: status 1 and no end vertex; neutrinos dropped unless asked.
// Momenta are converted to GeV (files in MeV are scaled by 1/1000).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/event_source.h"
#include "io/line_reader.h"

namespace jetimg {

class HepMCSource : public EventSource {
 public:
  // version: 2, 3, or 0 to detect it from the header.
  HepMCSource(const std::string& path, int version, const FinalStateSelection& selection);
  EventBatch read_batch(int64_t n) override;
  std::string format() const override { return version_ == 2 ? "hepmc2" : "hepmc3"; }
  Json provenance() const override;

 private:
  // The next event's lines (starting with its E line); false at the end.
  bool next_block(std::vector<std::string>& block, int64_t& first_line);
  // Checks the declared counts; empty if the block looks whole.
  std::string block_problem(const std::vector<std::string>& block) const;

  LineReader lines_;
  int version_;
  FinalStateSelection selection_;
  std::vector<std::string> preamble_;  // HepMC3 run-info lines (W, T) before the first event
  std::string pending_;                // an E line read ahead
  bool has_pending_ = false;
  int64_t pending_line_ = 0, record_ = 0;
};

// 2 or 3 from the first lines of a HepMC ASCII file, 0 if it is not HepMC.
int detect_hepmc_version(const std::string& path);

}  // namespace jetimg
