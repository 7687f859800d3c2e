#include "io/interrupts.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

namespace jetimg {
namespace {

// A fixed table of fixed-size entries, because a signal handler may not
// allocate: either a path to unlink or a process group to end.
constexpr int kSlots = 32;
constexpr size_t kPathMax = 4096;
struct Slot {
  std::atomic<bool> in_use{false};
  std::atomic<pid_t> group{0};  // 0: the slot holds a path
  std::array<char, kPathMax> path{};
};
std::array<Slot, kSlots> g_slots;
std::once_flag g_handlers_once;

extern "C" void clean_up_and_exit(int signal_number) {
  for (Slot& s : g_slots) {
    if (!s.in_use.load()) continue;
    const pid_t group = s.group.load();
    if (group > 0)
      ::kill(-group, SIGTERM);
    else
      ::unlink(s.path.data());
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

int take_slot() {
  std::call_once(g_handlers_once, [] {
    ::signal(SIGINT, clean_up_and_exit);
    ::signal(SIGTERM, clean_up_and_exit);
  });
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_slots[i].in_use.load()) continue;
    // Claimed before it is filled; the handler reads a half-filled slot as
    // an empty path or group 0, which does nothing.
    if (g_slots[i].in_use.compare_exchange_strong(expected, true)) return i;
  }
  return -1;
}

}  // namespace

int remove_on_interrupt(const std::string& path) {
  if (path.size() >= kPathMax) return -1;
  const int i = take_slot();
  if (i < 0) return -1;
  g_slots[i].group = 0;
  std::memcpy(g_slots[i].path.data(), path.c_str(), path.size() + 1);
  return i;
}

int end_on_interrupt(pid_t process_group) {
  const int i = take_slot();
  if (i < 0) return -1;
  g_slots[i].path[0] = '\0';
  g_slots[i].group = process_group;
  return i;
}

void release_interrupt_slot(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  g_slots[slot].group = 0;
  g_slots[slot].path[0] = '\0';
  g_slots[slot].in_use = false;
}

}  // namespace jetimg
