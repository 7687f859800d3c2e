// `jetimg bench-shower`: the timing study of fast calorimeter simulation,
// ms/shower by method, hardware and batch size (models/shower_timing.h).
#include <omp.h>

#include <cstdio>
#include <sstream>

#include "app/commands.h"
#include "core/device.h"
#include "core/error.h"
#include "io/data_files.h"
#include "models/gan_training.h"
#include "models/shower_timing.h"

namespace jetimg::app {
namespace {

struct BenchShowerOptions {
  std::string model, config = "configs/calogan.json", device = "all", particle = "e+", python, batches, math = "fp32";
  double seconds = 1.0;
  int threads = 0;
};

std::vector<int64_t> parse_batches(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      const long long v = std::stoll(item, &used);
      if (used != item.size() || v < 1 || v > kMaxBatch) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      fail("--batches must be a comma-separated list of integers from 1 to ", kMaxBatch, ", e.g. 1,4,10,128, got '",
           text, "'");
    }
  }
  if (out.empty()) fail("--batches is empty");
  return out;
}

void run_bench_shower(const BenchShowerOptions& o) {
  apply_threads(o.threads);
  ShowerTimingOptions t;
  t.model = o.model;
  if (o.model.empty()) t.config = load_calogan_config(o.config).model;
  if (!o.batches.empty()) t.batches = parse_batches(o.batches);
  if (o.device == "all") {
    t.devices.push_back(Device::cpu());
    if (cuda_device_count() > 0) t.devices.push_back(Device::cuda(0));
  } else {
    t.devices.push_back(resolve_device(o.device));
  }
  t.particle = o.particle;
  t.min_seconds = o.seconds;
  t.python = o.python;
  if (!o.python.empty()) t.torch_script = data_file("bench/reference/torch_calogan.py");
  t.threads = omp_get_max_threads();
  t.math = parse_math_mode(o.math, "--math");
  std::printf("fast calorimeter simulation: ms per shower (%s generator, incident energies 1-100 GeV; math %s)\n",
              o.model.empty() ? "untrained" : o.model.c_str(), math_mode_name(t.math));
  run_shower_timing(t);
  std::string why;
  if (o.device == "all" && cuda_device_count(&why) == 0) std::printf("GPU: not measured (%s)\n", why.c_str());
}

}  // namespace

void add_bench_shower_command(CLI::App& app) {
  static BenchShowerOptions o;
  auto* command = app.add_subcommand("bench-shower", "Time shower generation (ms/shower) by batch size and hardware");
  command->add_option("--model", o.model, "CaloGAN checkpoint (default: the config's architecture, untrained; the "
                                          "time does not depend on the weights)");
  command->add_option("--config", o.config, "CaloGAN config (JSON) when no --model is given")->capture_default_str();
  command->add_option("--batches", o.batches, "comma-separated batch sizes (default 1,4,10,128,512,1024,10000)");
  command->add_option("--device", o.device, "all (CPU, and the GPU if there is one), cpu or cuda[:N]")
      ->capture_default_str();
  command->add_option("--particle", o.particle, "particle for the built-in simulator's row")->capture_default_str();
  command->add_option("--seconds", o.seconds, "least time per figure")
      ->check(finite_range(0.001, 3600.0))
      ->capture_default_str();
  command->add_option("--python", o.python, "a Python with torch: adds the same generator in PyTorch");
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, false);
  command->callback([] { run_bench_shower(o); });
}

}  // namespace jetimg::app
