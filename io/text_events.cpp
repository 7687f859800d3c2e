#include "io/text_events.h"

#include <cerrno>
#include <cstdlib>

namespace jetimg {

bool parse_text_particle(const std::string& line, FourVector& p, std::string& why) {
  const char* cursor = line.c_str();
  double v[4];
  for (double& x : v) {
    char* end = nullptr;
    errno = 0;
    x = std::strtod(cursor, &end);
    if (end == cursor || (*end != '\0' && *end != ' ' && *end != '\t')) {
      why = "expected four numbers 'px py pz E', got '" + line.substr(0, 60) + (line.size() > 60 ? "...'" : "'");
      return false;
    }
    cursor = end;
  }
  p = {v[3], v[0], v[1], v[2]};
  return true;
}

TextEventSource::TextEventSource(const std::string& path) : lines_(path) {}

EventBatch TextEventSource::read_batch(int64_t n) {
  EventBatch batch;
  std::string line;
  while (!finished_ && static_cast<int64_t>(batch.size()) < n) {
    Event event;
    std::string bad;
    const int64_t record = record_;
    int64_t first_line = lines_.line_number() + 1;
    bool ended = false;
    while (lines_.next(line)) {
      if (line.rfind("#END", 0) == 0) {
        ended = true;
        break;
      }
      const size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line[start] == '#') continue;
      if (event.empty() && bad.empty()) first_line = lines_.line_number();
      if (!bad.empty()) continue;  // the rest of a skipped event
      FourVector p;
      std::string why;
      if (!parse_text_particle(line, p, why)) {
        bad = "line " + std::to_string(lines_.line_number()) + ": " + why;
        continue;
      }
      why = particle_problem(p);
      if (!why.empty()) {
        bad = "line " + std::to_string(lines_.line_number()) + ": particle has " + why;
        continue;
      }
      event.push_back({p, 0});
    }
    if (!ended) finished_ = true;
    // A trailing empty stretch after the last #END is the end of the file, not an event.
    if (!ended && event.empty() && bad.empty()) break;
    ++record_;
    const std::string where = "'" + lines_.path() + "', event " + std::to_string(record) + " (from line " +
                              std::to_string(first_line) + "): ";
    if (!bad.empty()) {
      counts_.skip("'" + lines_.path() + "', event " + std::to_string(record) + ", " + bad);
    } else if (event.empty()) {
      counts_.skip(where + "no particles");
    } else {
      batch.add(std::move(event), record);
      ++counts_.read;
    }
  }
  return batch;
}

}  // namespace jetimg
