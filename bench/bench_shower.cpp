// The CaloGAN generator's ms/shower at batch sizes 1 to 10000 on the CPU
// (and the GPU when there is one), beside the same generator in PyTorch on
// the same device in the same run, and the built-in parametric simulator.
// The published anchors (CaloGAN, 2017): 2.03 ms/shower on a CPU and
// 0.012 ms/shower on a GPU at batch 1024; Geant4 about 1.8 s/shower.
//
//   bench_shower [--python PATH] [--quick] [--math fp32|tf32|bf16]
//     --quick: batches 1, 128, 1024; --math: the generator's math on the GPU
//     (core/math_mode.h; default fp32; the CPU computes fp32 in every mode)
#include <omp.h>

#include <cstdio>
#include <string>

#include "core/device.h"
#include "core/error.h"
#include "core/math_mode.h"
#include "models/gan_training.h"
#include "models/shower_timing.h"

using namespace jetimg;

int main(int argc, char** argv) {
  ShowerTimingOptions o;
  o.python = std::string(JETIMG_SOURCE_DIR) + "/.venv/bin/python";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--python" && i + 1 < argc) o.python = argv[++i];
    else if (a == "--quick") o.batches = {1, 128, 1024};
    else if (a == "--math" && i + 1 < argc) {
      try {
        o.math = parse_math_mode(argv[++i], "--math");
      } catch (const Error& e) {
        std::fprintf(stderr, "bench_shower: %s\n", e.what());
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: bench_shower [--python PATH] [--quick] [--math fp32|tf32|bf16]\n");
      return 2;
    }
  }
  o.config = load_calogan_config(std::string(JETIMG_SOURCE_DIR) + "/configs/calogan.json").model;
  o.torch_script = std::string(JETIMG_SOURCE_DIR) + "/bench/reference/torch_calogan.py";
  o.threads = omp_get_max_threads();
  o.devices.push_back(Device::cpu());
  std::string why;
  if (cuda_device_count(&why) > 0) o.devices.push_back(Device::cuda(0));
  std::printf("CaloGAN generator (published architecture, latent %lld), untrained weights; %d CPU threads; math %s "
              "(GPU; the CPU computes fp32)\n",
              static_cast<long long>(o.config.latent), o.threads, math_mode_name(o.math));
  run_shower_timing(o);
  if (o.devices.size() == 1) std::printf("GPU: not measured (%s)\n", why.c_str());
  return 0;
}
