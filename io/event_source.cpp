#include "io/event_source.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/events_file.h"
#include "io/hdf5.h"
#include "io/hepmc_reader.h"
#include "io/line_reader.h"
#include "io/text_events.h"
#include "io/toptag_file.h"

namespace jetimg {
namespace {

// The project's events file, read in row ranges.
class JetimgEventsSource : public EventSource {
 public:
  explicit JetimgEventsSource(const std::string& path) : reader_(path) {}
  // Events without particles are skipped, as the other readers skip them; a
  // stretch of such events does not end the batches early.
  EventBatch read_batch(int64_t n) override {
    EventBatch batch;
    while (batch.empty() && next_ < reader_.size()) {
      const int64_t count = std::min(n, reader_.size() - next_);
      std::vector<Event> events = reader_.read(next_, count);
      for (int64_t i = 0; i < count; ++i) {
        if (events[static_cast<size_t>(i)].empty()) {
          counts_.skip("'" + reader_.path() + "', event " + std::to_string(next_ + i) + ": no particles");
          continue;
        }
        batch.add(std::move(events[static_cast<size_t>(i)]), next_ + i);
        ++counts_.read;
      }
      next_ += count;
    }
    return batch;
  }
  std::string format() const override { return "jetimg"; }
  int64_t size_hint() const override { return reader_.size(); }
  Json provenance() const override { return reader_.provenance(); }

 private:
  EventsReader reader_;
  int64_t next_ = 0;
};

bool looks_like_text_events(const std::string& path) {
  LineReader lines(path);
  std::string line;
  for (int i = 0; i < 200 && lines.next(line); ++i) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    FourVector p;
    std::string why;
    return parse_text_particle(line, p, why);
  }
  return false;
}

}  // namespace

void EventBatch::add(Event event, int64_t index, float weight, int32_t label) {
  events.push_back(std::move(event));
  indices.push_back(index);
  weights.push_back(weight);
  labels.push_back(label);
}

void ReadCounts::skip(std::string reason) {
  ++skipped;
  if (reasons.size() < kMaxReasons) reasons.push_back(std::move(reason));
}

std::string ReadCounts::summary() const {
  std::ostringstream out;
  out << "read " << read << " events, skipped " << skipped;
  if (!reasons.empty()) {
    out << " (first: " << reasons.front();
    if (skipped > 1) out << "; and " << skipped - 1 << " more";
    out << ")";
  }
  return out.str();
}

std::string particle_problem(const FourVector& p) {
  if (!(std::isfinite(p.E) && std::isfinite(p.px) && std::isfinite(p.py) && std::isfinite(p.pz)))
    return "a NaN or infinite momentum";
  if (p.E < 0) return "negative energy " + std::to_string(p.E);
  return "";
}

const std::vector<std::string>& event_formats() {
  static const std::vector<std::string> formats = {"auto", "jetimg", "hepmc", "hepmc2", "hepmc3", "text", "toptag"};
  return formats;
}

std::string detect_event_format(const std::string& path) {
  LineReader probe(path);  // a clear error for missing files and directories
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  const std::string extension = std::filesystem::path(path).extension().string();
  const bool hdf5_name = extension == ".h5" || extension == ".hdf5" || extension == ".hdf";
  if (hdf5_name || (in.gcount() == 8 && std::string(magic, 8) == "\x89HDF\r\n\x1a\n")) {
    const h5::File file = h5::File::open(path);
    if (file.has_attribute("format") && file.read_string_attribute("format") == "jetimg-events") return "jetimg";
    if (is_toptag_file(file)) return "toptag";
    fail("'", path, "' is not a jetimg events file (no attribute format = \"jetimg-events\") nor a top-tagging "
         "dataset (no group 'table' with 'block0_values')");
  }
  const int version = detect_hepmc_version(path);
  if (version == 2) return "hepmc2";
  if (version == 3) return "hepmc3";
  if (looks_like_text_events(path)) return "text";
  fail("'", path, "': cannot tell its format (not HDF5, not HepMC, and its first data line is not 'px py pz E'); "
       "give --format");
}

std::unique_ptr<EventSource> open_event_source(const std::string& path, const std::string& format,
                                               const FinalStateSelection& selection) {
  const auto& known = event_formats();
  if (std::find(known.begin(), known.end(), format) == known.end())
    fail("unknown event format '", format, "' (expected auto, jetimg, hepmc, hepmc2, hepmc3, text or toptag)");
  const std::string f = format == "auto" ? detect_event_format(path) : format;
  if (f == "jetimg") return std::make_unique<JetimgEventsSource>(path);
  if (f == "toptag") return std::make_unique<TopTagSource>(path);
  if (f == "text") return std::make_unique<TextEventSource>(path);
  if (f == "hepmc") return std::make_unique<HepMCSource>(path, 0, selection);
  if (f == "hepmc2") return std::make_unique<HepMCSource>(path, 2, selection);
  return std::make_unique<HepMCSource>(path, 3, selection);
}

}  // namespace jetimg
