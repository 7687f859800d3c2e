// Progress for long loops: a redrawn bar with rate and ETA on a terminal,
// a plain line every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace jetimg::app {

class Progress {
 public:
  // total < 0: not known in advance (a streamed text or HepMC file).
  Progress(std::string label, int64_t total, std::string unit = "events");
  void advance(int64_t n);
  // Clears the bar (terminal) or prints a final line (otherwise).
  void done();

 private:
  void draw(bool final);
  std::string label_, unit_;
  int64_t total_, done_ = 0;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Seconds since `start`, as a double.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace jetimg::app
