// Context: everything an op needs besides its tensors. The device, a CUDA
// stream, cuBLAS/cuDNN handles created on first use, and a seeded random
// stream counter: each random op takes the next stream number, so a run is a
// pure function of its seed on any device.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/device.h"
#include "core/math_mode.h"
#include "core/memory.h"

namespace jetimg {

class Context {
 public:
  explicit Context(Device device = Device::cpu(), uint64_t seed = 0);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Device device() const { return device_; }
  uint64_t seed() const { return seed_; }
  // The next random stream number (0, 1, 2, ...).
  uint64_t next_random_stream() { return random_stream_++; }
  // Moves the counter, so that a resumed run draws what an uninterrupted one would.
  void set_next_random_stream(uint64_t stream) { random_stream_ = stream; }

  void* stream();   // cudaStream_t; nullptr on the CPU
  void* cublas();   // cublasHandle_t, created on first use
  void* cudnn();    // cudnnHandle_t, created on first use
  // Device scratch memory of at least `bytes` for library calls (cuDNN
  // workspaces), grown on demand and kept; what an op writes there is dead
  // once the op's work on the stream is done. CUDA contexts only.
  void* workspace(size_t bytes);
  // Waits for the context's work (a synchronisation, counted).
  void synchronize();
  // The counters of the context's device (core/memory.h).
  MemoryStats memory_stats() const { return jetimg::memory_stats(device_); }
  // How dense and convolution GEMMs compute on CUDA (core/math_mode.h); fp32 by default.
  MathMode math_mode() const { return math_mode_; }
  void set_math_mode(MathMode mode) { math_mode_ = mode; }

 private:
  Device device_;
  uint64_t seed_;
  uint64_t random_stream_ = 0;
  void* stream_ = nullptr;
  void* cublas_ = nullptr;
  void* cudnn_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;  // the pool block's size
  MathMode math_mode_ = MathMode::fp32;
};

}  // namespace jetimg
