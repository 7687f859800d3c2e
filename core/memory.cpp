#include "core/memory.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <new>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "core/dispatch.h"
#include "core/error.h"

// Under AddressSanitizer, cached host blocks are poisoned, so that a tensor
// used after it was freed is still reported although its block was kept.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define JI_POISON(ptr, size) ASAN_POISON_MEMORY_REGION(ptr, size)
#define JI_UNPOISON(ptr, size) ASAN_UNPOISON_MEMORY_REGION(ptr, size)
#else
#define JI_POISON(ptr, size) ((void)(ptr), (void)(size))
#define JI_UNPOISON(ptr, size) ((void)(ptr), (void)(size))
#endif

namespace jetimg {
namespace {

// Sizes are rounded up to this, so that near sizes share blocks.
constexpr size_t kGranule = 512;
// A cached block serves a request of at least half its size.
constexpr size_t kMaxSlack = 2;
// Arenas: host memory, pinned host memory, then one per CUDA device.
constexpr int kMaxDevices = 64;
constexpr int kHostArena = 0, kPinnedArena = 1;

struct Arena {
  std::mutex mutex;
  MemoryStats stats;
  // Free blocks by the stream they belong to (nullptr: any), then by size.
  std::map<void*, std::multimap<size_t, void*>> free;
  // Pinned blocks that wait for an asynchronous copy, and each pinned
  // block's event (created once, with the device it belongs to).
  struct Pending {
    void* ptr;
    size_t size;
    void* event;
  };
  std::vector<Pending> pending;
  std::unordered_map<void*, std::pair<void*, int>> events;
  // Streams of live contexts on this device, innermost last.
  std::vector<void*> streams;
};

Arena& arena(int index) {
  // Never destroyed: tensors in static storage may be freed after it would be.
  static Arena* arenas = new Arena[2 + kMaxDevices];
  return arenas[index];
}

int arena_index(Device device, bool pinned) {
  if (device.is_cpu()) return pinned ? kPinnedArena : kHostArena;
  if (device.index < 0 || device.index >= kMaxDevices)
    fail("device ", device.str(), ": jetimg handles devices cuda:0 to cuda:", kMaxDevices - 1);
  return 2 + device.index;
}

size_t rounded(size_t bytes) { return (bytes + kGranule - 1) / kGranule * kGranule; }

std::string mebibytes(int64_t bytes) {
  std::ostringstream out;
  out.precision(4);
  out << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return out.str();
}

// Takes a cached block of at least `size` (and not much more) from `blocks`.
void* take(Arena& a, std::multimap<size_t, void*>& blocks, size_t size, size_t* granted) {
  const auto it = blocks.lower_bound(size);
  if (it == blocks.end() || it->first > size * kMaxSlack) return nullptr;
  void* ptr = it->second;
  *granted = it->first;
  if (&a == &arena(kHostArena)) JI_UNPOISON(ptr, it->first);
  a.stats.bytes_cached -= static_cast<int64_t>(it->first);
  blocks.erase(it);
  return ptr;
}

void system_free(int index, void* ptr, size_t size) noexcept {
  if (index == kHostArena) {
    JI_UNPOISON(ptr, size);
    ::operator delete(ptr);
    return;
  }
#if JETIMG_WITH_CUDA
  if (index == kPinnedArena)
    cuda::release_pinned(ptr);
  else
    cuda::release(ptr, index - 2);
#endif
}

// Pinned blocks whose copies are done become free. Caller holds the lock.
void collect_pending(Arena& a) {
#if JETIMG_WITH_CUDA
  auto done = std::remove_if(a.pending.begin(), a.pending.end(), [&](const Arena::Pending& p) {
    if (!cuda::event_done(p.event)) return false;
    a.free[nullptr].emplace(p.size, p.ptr);
    return true;
  });
  a.pending.erase(done, a.pending.end());
#else
  (void)a;
#endif
}

// Gives cached blocks back until at most `keep` bytes stay cached, largest
// first. Caller holds the lock (and has waited for the device if needed).
void trim(int index, Arena& a, int64_t keep) {
  while (a.stats.bytes_cached > keep) {
    std::multimap<size_t, void*>* largest = nullptr;
    for (auto& [stream, blocks] : a.free)
      if (!blocks.empty() && (!largest || blocks.rbegin()->first > largest->rbegin()->first)) largest = &blocks;
    if (!largest) break;
    const auto it = std::prev(largest->end());
#if JETIMG_WITH_CUDA
    const auto event = a.events.find(it->second);
    if (event != a.events.end()) {
      cuda::destroy_event(event->second.first);
      a.events.erase(event);
    }
#endif
    system_free(index, it->second, it->first);
    a.stats.bytes_cached -= static_cast<int64_t>(it->first);
    ++a.stats.releases;
    largest->erase(it);
  }
}

// A new block from the system, or nullptr when it has none. Caller holds the lock.
void* system_allocate(int index, size_t size) {
  if (index == kHostArena) return ::operator new(size, std::nothrow);
#if JETIMG_WITH_CUDA
  if (index == kPinnedArena) return cuda::allocate_pinned(size);
  return cuda::try_allocate(size, index - 2);
#else
  return nullptr;
#endif
}

void wait_for_device(int index) {
#if JETIMG_WITH_CUDA
  if (index >= 2) cuda::device_synchronize(index - 2);
#else
  (void)index;
#endif
}

}  // namespace

MemoryStats memory_stats(Device device) {
  if (device.is_cuda()) {
    Arena& a = arena(arena_index(device, false));
    const std::lock_guard<std::mutex> lock(a.mutex);
    return a.stats;
  }
  Arena &host = arena(kHostArena), &pinned = arena(kPinnedArena);
  MemoryStats total;
  {
    const std::lock_guard<std::mutex> lock(host.mutex);
    total = host.stats;
  }
  const std::lock_guard<std::mutex> lock(pinned.mutex);
  const MemoryStats& p = pinned.stats;
  total.allocations += p.allocations;
  total.releases += p.releases;
  total.reuses += p.reuses;
  total.synchronizations += p.synchronizations;
  total.bytes_in_use += p.bytes_in_use;
  total.bytes_cached += p.bytes_cached;
  total.peak_bytes_in_use += p.peak_bytes_in_use;
  return total;
}

void count_synchronization(Device device) {
  Arena& a = arena(arena_index(device, false));
  const std::lock_guard<std::mutex> lock(a.mutex);
  ++a.stats.synchronizations;
}

void release_cached_memory(Device device) {
  for (bool pinned : {false, true}) {
    if (device.is_cuda() && pinned) break;
    const int index = arena_index(device, pinned);
    Arena& a = arena(index);
    const std::lock_guard<std::mutex> lock(a.mutex);
    wait_for_device(index);
    collect_pending(a);
    trim(index, a, 0);
  }
}

namespace pool {

void* allocate(size_t bytes, Device device, bool pinned, void* stream, size_t* granted) {
  const int index = arena_index(device, pinned);
  Arena& a = arena(index);
  const size_t size = rounded(bytes);
  const std::lock_guard<std::mutex> lock(a.mutex);
  if (index == kPinnedArena) collect_pending(a);
  void* ptr = take(a, a.free[stream], size, granted);
  if (!ptr && stream) ptr = take(a, a.free[nullptr], size, granted);
  if (ptr) {
    ++a.stats.reuses;
  } else {
    ptr = system_allocate(index, size);
    if (!ptr) {
      // Out of memory: give the cache back (after the device is done with it) and try once more.
      wait_for_device(index);
      collect_pending(a);
      trim(index, a, 0);
      ptr = system_allocate(index, size);
    }
    if (!ptr)
      fail("out of ", index == kHostArena ? "memory" : "GPU memory", " on ", device.str(), ": ",
           mebibytes(static_cast<int64_t>(size)), " more cannot be allocated (", mebibytes(a.stats.bytes_in_use),
           " held by tensors)");
    *granted = size;
    ++a.stats.allocations;
  }
  a.stats.bytes_in_use += static_cast<int64_t>(*granted);
  a.stats.peak_bytes_in_use = std::max(a.stats.peak_bytes_in_use, a.stats.bytes_in_use);
  return ptr;
}

void release(void* ptr, size_t granted, Device device, bool pinned, void* stream, void* last_stream,
             int last_device) noexcept {
  const int index = device.is_cpu() ? (pinned ? kPinnedArena : kHostArena) : 2 + device.index;
  Arena& a = arena(index);
  const std::lock_guard<std::mutex> lock(a.mutex);
  a.stats.bytes_in_use -= static_cast<int64_t>(granted);
  if (index == kHostArena && static_cast<int64_t>(granted) > kHostCacheBytes) {
    system_free(index, ptr, granted);
    ++a.stats.releases;
    return;
  }
  a.stats.bytes_cached += static_cast<int64_t>(granted);
#if JETIMG_WITH_CUDA
  if (index == kPinnedArena && last_stream) {
    try {
      auto event = a.events.find(ptr);
      if (event != a.events.end() && event->second.second != last_device) {
        cuda::destroy_event(event->second.first);
        a.events.erase(event);
        event = a.events.end();
      }
      if (event == a.events.end()) event = a.events.emplace(ptr, std::make_pair(cuda::create_event(last_device), last_device)).first;
      cuda::record_event(event->second.first, last_stream, last_device);
      a.pending.push_back({ptr, granted, event->second.first});
      return;
    } catch (const std::exception& e) {
      // Without an event the block cannot be known free: wait for the copy's stream instead.
      std::fprintf(stderr, "jetimg: warning: %s\n", e.what());
      try {
        cuda::synchronize(last_stream, last_device);
      } catch (...) {
      }
    }
  }
#else
  (void)last_stream, (void)last_device;
#endif
  // A block of a stream that has ended belongs to any stream now.
  if (stream && std::find(a.streams.begin(), a.streams.end(), stream) == a.streams.end()) stream = nullptr;
  a.free[stream].emplace(granted, ptr);
  if (index == kHostArena) {
    JI_POISON(ptr, granted);
    trim(index, a, kHostCacheBytes);
  }
}

void* current_stream(int device) {
  Arena& a = arena(arena_index(Device::cuda(device), false));
  const std::lock_guard<std::mutex> lock(a.mutex);
  return a.streams.empty() ? nullptr : a.streams.back();
}

void stream_begins(int device, void* stream) {
  Arena& a = arena(arena_index(Device::cuda(device), false));
  const std::lock_guard<std::mutex> lock(a.mutex);
  a.streams.push_back(stream);
}

void stream_ends(int device, void* stream) {
  Arena& a = arena(arena_index(Device::cuda(device), false));
  const std::lock_guard<std::mutex> lock(a.mutex);
  const auto it = std::find(a.streams.begin(), a.streams.end(), stream);
  if (it != a.streams.end()) a.streams.erase(it);
  // The context waited for its stream: its blocks are free for any stream.
  const auto blocks = a.free.find(stream);
  if (blocks == a.free.end()) return;
  a.free[nullptr].insert(blocks->second.begin(), blocks->second.end());
  a.free.erase(blocks);
}

}  // namespace pool
}  // namespace jetimg
