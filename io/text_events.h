// FastJet's plain text events, as in fastjet-examples' *.dat files: one
// particle per line, `px py pz E` in GeV, optionally followed by further
// columns (a PDG code or a b-tag flag in some files; ignored). Lines starting
// with '#' are comments, except `#END`, which ends an event; `#SUBSTART`
// (the start of a pile-up sub-event) does not end one. A file without `#END`
// is one event. A line that is not four numbers, or a particle with a NaN,
// infinite or negative energy, makes its event skipped (counted, with the
// line number); an event with no particles is skipped too.
#pragma once

#include <string>

#include "io/event_source.h"
#include "io/line_reader.h"

namespace jetimg {

class TextEventSource : public EventSource {
 public:
  explicit TextEventSource(const std::string& path);
  EventBatch read_batch(int64_t n) override;
  std::string format() const override { return "text"; }
  Json provenance() const override { return Json{{"format", "text"}, {"path", lines_.path()}}; }

 private:
  LineReader lines_;
  bool finished_ = false;
  int64_t record_ = 0;
};

// Parses "px py pz E [more columns]"; false (and `why`) if it is not that.
bool parse_text_particle(const std::string& line, FourVector& p, std::string& why);

}  // namespace jetimg
