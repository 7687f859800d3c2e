// Memory of tensors: a caching pool per device, and counters of what a run
// asks of the system.
//
// A training step or a generation batch asks for the same tensor sizes every
// time. Without a pool each would be a cudaMalloc and a cudaFree, and cudaFree
// waits for the whole device. The pool keeps freed blocks and hands them out
// again, so after the first step (the warm-up) a step allocates nothing.
//
// Device blocks are stream-ordered: a block remembers the stream that was
// current for its device when it was allocated (Context makes its stream the
// current one while it lives) and is handed out again only for that stream,
// whose work is ordered after everything queued before the free. When a
// Context ends it waits for its stream, and its cached blocks become free for
// any stream. Pinned host blocks used by an asynchronous copy are held until
// an event recorded on the copying stream says the copy is done, so the host
// never overwrites a buffer the device is still reading.
//
// The host pool works the same way (no streams) and is bounded: cached host
// blocks beyond kHostCacheBytes are given back to malloc. A device pool keeps
// what it has until an allocation fails; it then empties its cache (waiting
// for the device) and tries once more.
//
// Counters (MemoryStats) are kept per device, for the CPU too, where the same
// code paths run: tests use them to show that a step makes no allocation and
// no synchronisation after warm-up.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/device.h"

namespace jetimg {

struct MemoryStats {
  uint64_t allocations = 0;       // blocks obtained from the system (cudaMalloc, cudaHostAlloc, operator new)
  uint64_t releases = 0;          // blocks given back to the system
  uint64_t reuses = 0;            // requests served from the pool's cache
  uint64_t synchronizations = 0;  // times the host waited for the device or read values back (see below)
  int64_t bytes_in_use = 0;       // held by live tensors
  int64_t bytes_cached = 0;       // kept by the pool for reuse
  int64_t peak_bytes_in_use = 0;
};

// The counters of `device` (Device::cpu(): host memory, pinned included).
MemoryStats memory_stats(Device device);

// What counts as a synchronisation on `device`: Context::synchronize, a
// synchronous copy to or from a CUDA device, reading a tensor's values into a
// host vector (to_vector, on any device), and the ops that return a host
// number (sum, squared_norm, the losses). Asynchronous copies on a context's
// stream and waits on one copy's event do not count.
void count_synchronization(Device device);

// Gives every cached block of `device` back to the system (waiting for the
// device first). Tensors still alive are untouched.
void release_cached_memory(Device device);

// Host blocks cached beyond this are given back to malloc.
constexpr int64_t kHostCacheBytes = int64_t{512} << 20;

namespace pool {

// A block of at least `bytes` (never null for bytes > 0; an Error when the
// system has no memory). `stream` is the stream the caller's work runs on
// (nullptr for host memory and the default stream). `granted` receives the
// block's real size, to be passed back to release.
void* allocate(size_t bytes, Device device, bool pinned, void* stream, size_t* granted);

// Returns a block to the pool. `last_stream` (pinned host blocks only): the
// stream of the last asynchronous copy that read or wrote it (on CUDA device
// `last_device`), or nullptr.
void release(void* ptr, size_t granted, Device device, bool pinned, void* stream, void* last_stream,
             int last_device) noexcept;

// The stream a new device block of `device` belongs to: the stream of the
// innermost live Context on that device, or nullptr.
void* current_stream(int device);
// Context's lifetime hooks: `stream` becomes current on `device` / stops
// being current, and (on end) its cached blocks become free for any stream.
void stream_begins(int device, void* stream);
void stream_ends(int device, void* stream);

}  // namespace pool
}  // namespace jetimg
