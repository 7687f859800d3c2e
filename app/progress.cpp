#include "app/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/log.h"

namespace jetimg::app {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      terminal_(::isatty(STDERR_FILENO) != 0 && log_level() != LogLevel::Quiet),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::advance(int64_t n) {
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  if (since_draw >= (terminal_ ? 0.2 : 10.0)) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::done() {
  if (terminal_) std::fprintf(stderr, "\r\033[K");
}

void Progress::draw(bool) {
  if (log_level() == LogLevel::Quiet) return;
  const double elapsed = seconds_since(start_);
  const double rate = elapsed > 0 ? done_ / elapsed : 0;
  const double eta = rate > 0 ? (total_ - done_) / rate : 0;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 1;
  if (total_ < 0) {  // a stream of unknown length: count and rate only
    std::fprintf(stderr, terminal_ ? "\r\033[K%s: %lld %s, %.0f %s/s" : "jetimg: %s: %lld %s, %.0f %s/s\n",
                 label_.c_str(), static_cast<long long>(done_), unit_.c_str(), rate, unit_.c_str());
  } else if (terminal_) {
    const int width = 30, filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r\033[K%s [%.*s%*s] %3.0f%% %.0f %s/s ETA %.0fs", label_.c_str(), filled,
                 "##############################", width - filled, "", 100 * fraction, rate, unit_.c_str(), eta);
  } else {
    std::fprintf(stderr, "jetimg: %s: %lld/%lld %s (%.0f%%), %.0f %s/s, ETA %.0fs\n", label_.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), unit_.c_str(), 100 * fraction, rate,
                 unit_.c_str(), eta);
  }
  std::fflush(stderr);
}

}  // namespace jetimg::app
