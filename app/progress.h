// Progress for long loops: a redrawn bar with rate and ETA on a terminal,
// a plain line every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace jetimg::app {

class Progress {
 public:
  // total < 0: not known in advance (a streamed text or HepMC file).
  Progress(std::string label, int64_t total, std::string unit = "events");
  void advance(int64_t n);
  // Replaces the text before the bar (e.g. "epoch 3/20 loss 0.412").
  void set_label(std::string label) { label_ = std::move(label); }
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
