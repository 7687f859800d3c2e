#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace jetimg {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
std::mutex g_mutex;
}  // namespace

void set_log_level(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel log_level() { return static_cast<LogLevel>(g_level.load()); }

void log_info(const std::string& message) {
  if (g_level.load() < static_cast<int>(LogLevel::Info)) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "jetimg: %s\n", message.c_str());
}

void log_warning(const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "jetimg: warning: %s\n", message.c_str());
}

}  // namespace jetimg
