#include "models/shower_timing.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/backend.h"
#include "core/context.h"
#include "core/error.h"
#include "core/ops.h"
#include "models/checkpoint.h"
#include "models/gan_training.h"
#include "physics/calorimeter.h"

namespace jetimg {
namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  return "unknown CPU";
}

// ms per shower of `make(batch)`, after one warm-up call, over >= min_seconds.
template <typename Make>
ShowerTiming time_batches(const std::string& method, const std::string& hardware, int64_t batch, double min_seconds,
                          Make make) {
  make();
  int64_t runs = 0;
  const double start = now();
  double elapsed = 0;
  do {
    make();
    ++runs;
    elapsed = now() - start;
  } while (elapsed < min_seconds);
  ShowerTiming t;
  t.method = method, t.hardware = hardware, t.batch = batch, t.showers = runs * batch;
  t.ms_per_shower = 1e3 * elapsed / double(t.showers);
  return t;
}

void print_row(const ShowerTiming& t) {
  std::printf("%-34s %-44s %7lld %14.5f\n", t.method.c_str(), t.hardware.c_str(), static_cast<long long>(t.batch),
              t.ms_per_shower);
  std::fflush(stdout);
}

// PyTorch's ms/shower by batch from bench/reference/torch_calogan.py, or
// empty (with the reason printed) when torch is missing.
std::map<int64_t, double> torch_figures(const ShowerTimingOptions& o, const CaloGanConfig& config,
                                        const std::string& device) {
  std::map<int64_t, double> out;
  std::string command = "OMP_NUM_THREADS=" + std::to_string(o.threads) + " " + o.python + " -W ignore " +
                        o.torch_script + " '" + config.to_json().dump() + "' " + std::to_string(o.threads) + " " +
                        device + " " + std::to_string(o.min_seconds);
  for (int64_t b : o.batches) command += " " + std::to_string(b);
  command += " 2>&1";
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char line[512];
    long long batch = 0;
    double ms = 0;
    while (std::fgets(line, sizeof line, pipe)) {
      if (std::sscanf(line, "torch %lld %lf", &batch, &ms) == 2)
        out[batch] = ms;
      else
        std::printf("  (PyTorch: %s", line);
    }
    ::pclose(pipe);
  }
  return out;
}

}  // namespace

std::string hardware_name(Device device, int threads) {
#if JETIMG_WITH_CUDA
  if (device.is_cuda()) return "GPU (" + cuda::device_name(device.index) + ")";
#else
  (void)device;  // only CUDA builds have GPUs to name
#endif
  return "CPU (" + std::to_string(threads) + (threads == 1 ? " thread, " : " threads, ") + cpu_model() + ")";
}

std::vector<ShowerTiming> run_shower_timing(const ShowerTimingOptions& o) {
  std::vector<ShowerTiming> rows;
  std::printf("%-34s %-44s %7s %14s\n", "method", "hardware", "batch", "ms/shower");
  const CaloGanConfig config =
      o.model.empty() ? o.config
                      : CaloGanConfig::from_json(without_type(CheckpointFile(o.model).model_config("generator")), o.model);
  for (const Device& device : o.devices) {
    Context ctx(device, 1);
    use_math_mode(ctx, o.math);
    std::unique_ptr<CaloGanGenerator> gen;
    if (o.model.empty()) {
      gen = std::make_unique<CaloGanGenerator>(ctx, config);
      gen->set_training(false);
    } else {
      gen = load_calogan_generator(ctx, o.model);
    }
    const std::string hardware = hardware_name(device, o.threads);
    if (&device == &o.devices.front()) {
      int64_t params = 0;
      for (const NamedTensor& p : gen->parameters()) params += p.tensor->numel();
      std::printf("(generator: %lld parameters, %.1f MB; %.1f MFLOP per shower)\n", static_cast<long long>(params),
                  4e-6 * double(params), 2e-6 * gen->macs_per_shower());
    }
    Tensor z, energy;
    for (int64_t b : o.batches) {
      ensure_tensor(z, {b, config.latent}, device);
      ensure_tensor(energy, {b, 1}, device);
      random_uniform(ctx, energy, 1.0f, 100.0f);
      const ShowerTiming t = time_batches("CaloGAN generator (jetimg)", hardware, b, o.min_seconds, [&] {
        random_normal(ctx, z, 0.0f, 1.0f);
        gen->forward(ctx, z, energy);
        ctx.synchronize();
      });
      print_row(t);
      rows.push_back(t);
    }
    if (!o.python.empty()) {
      const std::map<int64_t, double> torch = torch_figures(o, config, device.is_cuda() ? "cuda" : "cpu");
      for (int64_t b : o.batches) {
        const auto it = torch.find(b);
        if (it == torch.end()) continue;
        ShowerTiming t;
        t.method = "CaloGAN generator (PyTorch)", t.hardware = hardware, t.batch = b, t.ms_per_shower = it->second;
        print_row(t);
        rows.push_back(t);
      }
    }
  }
  // The built-in parametric simulator, on the CPU.
  const CaloSimSettings settings;
  const CaloParticle particle = parse_calo_particle(o.particle);
  const std::string hardware = hardware_name(Device::cpu(), o.threads);
  for (int64_t b : o.batches) {
    const std::vector<float> energies = uniform_energies(1.0, 100.0, b, 1, 0);
    int64_t index = 0;
    const ShowerTiming t = time_batches("built-in simulator (" + o.particle + ")", hardware, b, o.min_seconds, [&] {
      simulate_showers(settings, particle, energies, 1, index);
      index += b;
    });
    print_row(t);
    rows.push_back(t);
  }
  return rows;
}

}  // namespace jetimg
