// One way to read events from any supported file: the project's events file
// (HDF5), HepMC2/HepMC3 ASCII (plain or gzip), FastJet's plain text events,
// and the top-tagging reference dataset (pandas HDF5). Events come in batches
// so that memory stays bounded whatever the file size.
//
// Records that cannot be used (a particle with a NaN, infinite or negative
// energy momentum, a line that is not numbers, an event with no final-state
// particles, a damaged HepMC event) are skipped and counted; `counts()` says
// how many and gives the first few reasons, each naming the file and the
// event. A file that cannot be read at all is an Error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "physics/event.h"

namespace jetimg {

struct EventBatch {
  std::vector<Event> events;
  std::vector<int64_t> indices;  // the record's 0-based position in the input (skipped records count)
  std::vector<float> weights;    // event weight (1 where the input has none)
  std::vector<int32_t> labels;   // 1 signal, 0 background, -1 where the input does not say
  size_t size() const { return events.size(); }
  bool empty() const { return events.empty(); }
  void add(Event event, int64_t index, float weight = 1.0f, int32_t label = -1);
};

// How many records were read and skipped, with the first few reasons.
struct ReadCounts {
  int64_t read = 0, skipped = 0;
  std::vector<std::string> reasons;  // at most kMaxReasons
  static constexpr size_t kMaxReasons = 5;
  void skip(std::string reason);
  // "read N events, skipped K (first: ...)".
  std::string summary() const;
};

// Which particles of a generator record count as final state.
struct FinalStateSelection {
  bool drop_neutrinos = true;  // |pdg| 12, 14, 16 are invisible to a detector
};

// Empty if the particle is usable, otherwise why not ("NaN momentum", ...).
std::string particle_problem(const FourVector& p);

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Up to `n` events; an empty batch at the end of the input.
  virtual EventBatch read_batch(int64_t n) = 0;
  // "jetimg", "hepmc2", "hepmc3", "text" or "toptag".
  virtual std::string format() const = 0;
  // Records in the input when known without reading it all, else -1.
  virtual int64_t size_hint() const { return -1; }
  // What the input says about itself (the events file's provenance, HepMC units...).
  virtual Json provenance() const { return Json::object(); }
  const ReadCounts& counts() const { return counts_; }

 protected:
  ReadCounts counts_;
};

// The formats `open_event_source` accepts; "auto" detects from the content.
const std::vector<std::string>& event_formats();
// Detects the format of `path` from its first bytes; Error naming the file if none fits.
std::string detect_event_format(const std::string& path);
// Opens `path` as `format` ("auto", "jetimg", "hepmc", "hepmc2", "hepmc3", "text", "toptag").
std::unique_ptr<EventSource> open_event_source(const std::string& path, const std::string& format = "auto",
                                               const FinalStateSelection& selection = {});

}  // namespace jetimg
