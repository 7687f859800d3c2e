// Training and inference speed of the shipped taggers, beside PyTorch doing
// the same network, batch and step in the same run.
//
// For each network (the W maxout network on 25×25 images and the top CNN on
// 40×40) and batch size (100 as in the study, 1024, 8192), on the CPU (and
// on the GPU when there is one): images/s of one training step (forward,
// binary cross-entropy from logits, backward, Adam) and of inference, on
// random images, each timed for about 1.5 s after a warm-up step. PyTorch
// (bench/reference/torch_networks.py, from the project's .venv) builds the
// same network from the same JSON and runs the same step with the same
// number of CPU threads.
//
//   bench_train [--python PATH] [--quick] [--network FILE] [--math fp32|tf32]
//     --quick: batch 100 and 1024 only; --network: that network (any network
//     JSON) instead of the two shipped ones; --math: jetimg's math on the GPU
//     (core/math_mode.h; default fp32; the CPU computes fp32 in every mode,
//     and bf16 is refused: this trains)
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/context.h"
#include "core/device.h"
#include "core/error.h"
#include "core/math_mode.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "models/optimiser.h"
#include "models/sequential.h"

using namespace jetimg;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

template <typename Step>
double images_per_second(Context& ctx, int64_t batch, Step step) {
  step();  // warm-up
  ctx.synchronize();
  int runs = 0;
  const double start = now();
  double elapsed = 0;
  do {
    step();
    ctx.synchronize();
    ++runs;
    elapsed = now() - start;
  } while (elapsed < 1.5);
  return runs * batch / elapsed;
}

struct Figures {
  double train = 0, infer = 0;
};

Figures measure_jetimg(Device device, const std::string& network, int64_t batch, MathMode math) {
  Context ctx(device, 1);
  use_math_mode(ctx, math);
  Sequential net = load_sequential(ctx, network);
  std::vector<int64_t> dims = {batch};
  for (int64_t d : net.input_shape()) dims.push_back(d);
  Tensor x = Tensor::empty(Shape(dims), device);
  Tensor labels = Tensor::empty({batch}, device);
  random_uniform(ctx, x, 0.0f, 1.0f);
  random_uniform(ctx, labels, 0.0f, 1.0f);
  std::unique_ptr<Optimiser> adam = make_optimiser(Json{{"type", "adam"}}, 1e-3f, "bench", "optimiser");
  Tensor grad;
  Figures f;
  net.set_training(true);
  f.train = images_per_second(ctx, batch, [&] {
    const Tensor out = net.forward(ctx, x);
    ensure_tensor(grad, out.shape(), device);
    bce_with_logits(ctx, out, labels, Tensor(), &grad);
    net.backward(ctx, grad);
    adam->step(ctx, net.parameters(), net.gradients());
  });
  net.set_training(false);
  f.infer = images_per_second(ctx, batch, [&] { net.forward(ctx, x); });
  return f;
}

// PyTorch's figures by batch, or empty when torch is missing.
std::map<int64_t, Figures> measure_torch(const std::string& python, const std::string& network, int threads,
                                         const std::string& device, const std::vector<int64_t>& batches) {
  std::string command = "OMP_NUM_THREADS=" + std::to_string(threads) + " " + python + " -W ignore " + JETIMG_SOURCE_DIR +
                        "/bench/reference/torch_networks.py " + network + " " + std::to_string(threads) + " " + device;
  for (int64_t b : batches) command += " " + std::to_string(b);
  command += " 2>&1";
  std::map<int64_t, Figures> out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char line[512], what[16];
    long long batch = 0;
    double rate = 0;
    while (std::fgets(line, sizeof line, pipe)) {
      if (std::sscanf(line, "torch %15s %lld %lf", what, &batch, &rate) == 3)
        (std::string(what) == "train" ? out[batch].train : out[batch].infer) = rate;
      else
        std::printf("  (torch: %s", line);
    }
    ::pclose(pipe);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string python = std::string(JETIMG_SOURCE_DIR) + "/.venv/bin/python";
  bool quick = false;
  MathMode math = MathMode::fp32;
  std::vector<std::pair<std::string, std::string>> networks = {
      {"W maxout (25x25)", std::string(JETIMG_SOURCE_DIR) + "/configs/nets/w_maxout.json"},
      {"top CNN (40x40)", std::string(JETIMG_SOURCE_DIR) + "/configs/nets/top_cnn.json"}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--quick") quick = true;
    else if (a == "--network" && i + 1 < argc) networks = {{argv[i + 1], argv[i + 1]}}, ++i;
    else if (a == "--math" && i + 1 < argc) {
      try {
        math = parse_math_mode(argv[++i], "bench_train: --math");
        check_training_math_mode(math, "bench_train");
      } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: bench_train [--python PATH] [--quick] [--network FILE] [--math fp32|tf32]\n");
      return 2;
    }
  }
  std::vector<int64_t> batches = {100, 1024};
  if (!quick) batches.push_back(8192);
  const int threads = omp_get_max_threads();
  std::vector<std::pair<Device, std::string>> devices = {{Device::cpu(), "cpu"}};
  std::string why;
  if (cuda_device_count(&why) > 0) devices.push_back({Device::cuda(0), "cuda"});
  std::printf("training and inference benchmark: random images, Adam, binary cross-entropy; %d CPU threads; "
              "math %s (GPU; the CPU computes fp32)\n",
              threads, math_mode_name(math));
  for (const auto& [net_name, network] : networks) {
    for (const auto& [device, device_name] : devices) {
      const std::map<int64_t, Figures> torch = measure_torch(python, network, threads, device_name, batches);
      std::printf("\n%s on %s                 train images/s                 inference images/s\n",
                  net_name.c_str(), device_name.c_str());
      std::printf("%8s %14s %12s %8s %14s %12s %8s\n", "batch", "jetimg", "PyTorch", "ratio", "jetimg", "PyTorch",
                  "ratio");
      for (int64_t b : batches) {
        const Figures mine = measure_jetimg(device, network, b, math);
        const auto it = torch.find(b);
        const Figures theirs = it == torch.end() ? Figures{} : it->second;
        const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
        std::printf("%8lld %14.0f %12.0f %7.2fx %14.0f %12.0f %7.2fx\n", static_cast<long long>(b), mine.train,
                    theirs.train, ratio(mine.train, theirs.train), mine.infer, theirs.infer,
                    ratio(mine.infer, theirs.infer));
        std::fflush(stdout);
      }
      if (torch.empty()) std::printf("  (PyTorch not measured: torch is not importable by %s)\n", python.c_str());
    }
  }
  if (devices.size() == 1) std::printf("\nGPU: not measured (%s)\n", why.c_str());
  return 0;
}
