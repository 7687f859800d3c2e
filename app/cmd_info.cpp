// `jetimg info`: what this build has and which device a run would use.
#include <omp.h>

#include <cstdio>

#include "app/commands.h"
#include "core/device.h"
#include "core/error.h"
#include "core/math_mode.h"

namespace jetimg::app {

void add_device_option(CLI::App& command, std::string& device_spec) {
  command.add_option("--device", device_spec, "auto, cpu, cuda or cuda:N (auto: a GPU if usable, else the CPU)")
      ->capture_default_str();
}

void add_cpu_device_option(CLI::App& command, std::string& device_spec) {
  command.add_option("--device", device_spec, "auto, cpu, cuda or cuda:N (this step runs on the CPU whichever is given)")
      ->capture_default_str();
}

void check_cpu_device(const std::string& device_spec) {
  if (device_spec != "auto") resolve_device(device_spec);
}

void add_threads_option(CLI::App& command, int& threads) {
  command.add_option("--threads", threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 4096))
      ->capture_default_str();
}

void apply_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

void add_math_option(CLI::App& command, std::string& math, bool trains) {
  const std::string help =
      trains ? "math of dense and convolution layers on a GPU: fp32 (float32, as the CPU) or tf32 (TF32 tensor "
               "cores); bf16 is for inference only. The CPU computes fp32 whichever is given"
             : "math of dense and convolution layers on a GPU: fp32 (float32, as the CPU), tf32 (TF32 tensor cores) "
               "or bf16 (bfloat16 operands, float32 sums). The CPU computes fp32 whichever is given";
  command
      .add_option("--math", math, help)
      ->check(CLI::Validator(
          [trains](std::string& text) -> std::string {
            MathMode mode = MathMode::fp32;
            try {
              mode = parse_math_mode(text);
            } catch (const Error&) {
              return "unknown math mode '" + text + "' (choose " + math_mode_choices() + ")";
            }
            if (trains && mode == MathMode::bf16)
              return "bf16 is for inference and generation only (predict, evaluate, simulate); train with --math "
                     "fp32 (the default) or --math tf32";
            return "";
          },
          trains ? "fp32|tf32" : "fp32|tf32|bf16"))
      ->capture_default_str();
}

void apply_math(Context& ctx, const std::string& math) { use_math_mode(ctx, parse_math_mode(math, "--math")); }

const CLI::Validator kPositiveCount(
    [](std::string& text) -> std::string {
      long long value = 0;
      size_t used = 0;
      try {
        value = std::stoll(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || used == 0 || value < 1) return "must be a whole number >= 1, got '" + text + "'";
      return "";
    },
    "COUNT >= 1");

const CLI::Validator kSampleCount(
    [](std::string& text) -> std::string {
      long long value = 0;
      size_t used = 0;
      try {
        value = std::stoll(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || used == 0 || value < 1 || value > kMaxSampleCount)
        return "must be a whole number from 1 to " + std::to_string(kMaxSampleCount) + ", got '" + text + "'";
      return "";
    },
    "COUNT");

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        double value = 0;
        size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || used == 0 || !(value >= lo && value <= hi))
          return "must be a number from " + CLI::detail::to_string(lo) + " to " + CLI::detail::to_string(hi) +
                 ", got '" + text + "'";
        return "";
      },
      "NUMBER");
}

void add_info_command(CLI::App& app) {
  auto* command = app.add_subcommand("info", "Show the build's backends and the device a run would use");
  static std::string device_spec = "auto";
  add_device_option(*command, device_spec);
  command->callback([] {
    std::printf("jetimg 0.1.0\n");
    std::printf("CUDA backend: %s\n", built_with_cuda() ? "built" : "not built (JETIMG_CUDA=OFF)");
    std::string reason;
    const int gpus = cuda_device_count(&reason);
    std::printf("CUDA devices: %d%s%s\n", gpus, gpus ? "" : " - ", gpus ? "" : reason.c_str());
    std::printf("CPU threads: %d\n", omp_get_max_threads());
    const Device device = resolve_device(device_spec);
    std::printf("device for --device %s: %s\n", device_spec.c_str(), device.str().c_str());
  });
}

}  // namespace jetimg::app
