#include "io/atomic_output.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "core/error.h"

namespace jetimg {
namespace {

// Temporary files in progress, removed by the signal handler on Ctrl-C. A
// fixed table of fixed-size paths, because a handler may not allocate.
constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;
std::array<std::array<char, kPathMax>, kSlots> g_pending{};
std::array<std::atomic<bool>, kSlots> g_in_use{};
std::once_flag g_handlers_once;

extern "C" void remove_pending_and_exit(int signal_number) {
  for (int i = 0; i < kSlots; ++i)
    if (g_in_use[i].load()) ::unlink(g_pending[i].data());
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

int register_pending(const std::string& temp) {
  std::call_once(g_handlers_once, [] {
    ::signal(SIGINT, remove_pending_and_exit);
    ::signal(SIGTERM, remove_pending_and_exit);
  });
  if (temp.size() >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_in_use[i].load()) continue;
    std::memcpy(g_pending[i].data(), temp.c_str(), temp.size() + 1);
    if (g_in_use[i].compare_exchange_strong(expected, true)) return i;
  }
  return -1;
}

int slot_of(const std::string& temp) {
  for (int i = 0; i < kSlots; ++i)
    if (g_in_use[i].load() && temp == g_pending[i].data()) return i;
  return -1;
}

}  // namespace

AtomicOutput::AtomicOutput(const std::string& path) : path_(path) {
  namespace fs = std::filesystem;
  if (path.empty()) fail("no output path given");
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail("output '", path, "' is a directory, expected a file name");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) fail("cannot write '", path, "': directory '", dir.string(), "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0) fail("cannot write '", path, "': directory '", dir.string(), "' is not writable");
  // NAME.tmp-PID, with NAME shortened when the whole would pass the 255
  // bytes a file name may have.
  const std::string suffix = ".tmp-" + std::to_string(::getpid());
  std::string name = fs::path(path).filename().string();
  constexpr size_t kNameMax = 255;
  if (name.size() + suffix.size() > kNameMax) name.resize(kNameMax - suffix.size());
  temp_ = (fs::path(path).parent_path() / (name + suffix)).string();
  register_pending(temp_);
}

AtomicOutput::~AtomicOutput() {
  const int slot = slot_of(temp_);
  if (slot >= 0) g_in_use[slot] = false;
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicOutput::commit() {
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    fail("cannot move finished output into place as '", path_, "': ", std::strerror(errno));
  committed_ = true;
}

}  // namespace jetimg
