// The timing study physicists quote for fast calorimeter simulation:
// milliseconds per shower by method, hardware and batch size, for the
// CaloGAN generator (jetimg, and the same generator in PyTorch when a
// Python with torch is given) and the built-in parametric simulator.
//
// Each figure is the wall time of whole batches (noise, the generator's
// forward pass in inference mode, and a device synchronisation; the showers
// stay on the device, as the published figures) after one warm-up batch,
// repeated for at least `min_seconds`, divided by the showers made.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/math_mode.h"
#include "models/calogan.h"

namespace jetimg {

struct ShowerTiming {
  std::string method, hardware;
  int64_t batch = 0;
  double ms_per_shower = 0;
  int64_t showers = 0;  // showers timed
};

struct ShowerTimingOptions {
  std::string model;                  // a CaloGAN checkpoint ("": fresh weights from `config`)
  CaloGanConfig config;               // used when `model` is empty
  std::vector<int64_t> batches = {1, 4, 10, 128, 512, 1024, 10000};
  std::vector<Device> devices;        // where to run the generator
  std::string particle = "e+";        // for the built-in simulator
  double min_seconds = 1.0;
  std::string python;                 // a Python with torch for the PyTorch column ("": none)
  std::string torch_script;           // bench/reference/torch_calogan.py
  int threads = 1;                    // CPU threads (jetimg and PyTorch alike)
  MathMode math = MathMode::fp32;     // the generator's math on a GPU (core/math_mode.h)
};

// Runs every figure, printing each row as it is measured, and returns them.
std::vector<ShowerTiming> run_shower_timing(const ShowerTimingOptions& options);

// "CPU (2 threads, AMD EPYC 7B13)" / "GPU (NVIDIA H100 80GB HBM3)".
std::string hardware_name(Device device, int threads);

}  // namespace jetimg
