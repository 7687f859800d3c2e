// Particle-cloud taggers: jets/s of a training step (forward, binary
// cross-entropy from logits, backward, Adam) and of inference, for the
// shipped networks (configs/nets/pfn.json, efn.json, particlenet_lite.json,
// particlenet.json, part_small.json), at batch 128 and 1024 (ParticleNet: 128 only on the
// CPU, whose batch of 1024 needs about 10 GB of edge activations), on random
// jets padded to 64 particles (each with 16 to 64 real ones). Beside them,
// the same networks in PyTorch (bench/reference/torch_particle_flow.py,
// torch_particle_net.py, torch_part.py) on the same machine with the same threads, in the
// same run.
//
//   bench_particle [--python PATH] [--device cpu|cuda:0] [--particles M] [--jetimg-only] [--only NAME]
//     --only: one network (pfn, efn, particlenet_lite, particlenet, part_small)
#include <omp.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/context.h"
#include "core/device.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "models/model.h"
#include "models/optimiser.h"

using namespace jetimg;
using namespace jetimg::bench;

namespace {

struct Figures {
  double train = 0, infer = 0;  // jets/s
};

Figures measure(const std::string& network, Device device, int64_t batch, int64_t particles) {
  Context ctx(device, 1);
  std::unique_ptr<Model> model = load_model_config(ctx, source(network));
  Context cpu(Device::cpu(), 2);
  Tensor labels = Tensor::empty({batch});
  random_uniform(cpu, labels, 0.0f, 1.0f);
  std::vector<uint8_t> mask(static_cast<size_t>(batch * particles));
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t real = particles / 4 + (i * 37) % (particles - particles / 4 + 1);
    for (int64_t j = 0; j < particles; ++j) mask[static_cast<size_t>(i * particles + j)] = j < real;
  }
  TensorMap inputs;
  for (const TensorSpec& spec : model->inputs()) {
    if (spec.name == "mask") {
      inputs["mask"] = Tensor::from_vector(mask, {batch, particles}).to(device);
      continue;
    }
    std::vector<int64_t> dims{batch};  // the spec's shape, with M (-1) the particles
    for (int64_t d : spec.shape) dims.push_back(d < 0 ? particles : d);
    Tensor t = Tensor::empty(Shape(dims));
    if (spec.name == "pt_frac")
      random_uniform(cpu, t, 0.0f, 1.0f);
    else
      random_normal(cpu, t, 0.0f, 1.0f);
    inputs[spec.name] = t.to(device);
  }
  const Tensor labels_on = labels.to(device);
  std::unique_ptr<Optimiser> adam = make_optimiser(Json{{"type", "adam"}}, 1e-3f, "bench", "optimiser");
  model->set_input_gradients(false);
  Tensor grad;
  Figures f;
  model->set_training(true);
  const double train = seconds_per_step([&] {
    const Tensor out = model->forward(ctx, inputs).at("score");
    if (!grad.defined()) grad = Tensor::empty(out.shape(), device);
    bce_with_logits(ctx, out, labels_on, Tensor(), &grad);
    model->backward(ctx, {{"score", grad}});
    adam->step(ctx, model->parameters(), model->gradients());
    ctx.synchronize();
  });
  model->set_training(false);
  const double infer = seconds_per_step([&] {
    model->forward(ctx, inputs);
    ctx.synchronize();
  });
  f.train = batch / train, f.infer = batch / infer;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string python = source(".venv/bin/python"), device_name = "cpu";
  int64_t particles = 64;
  bool jetimg_only = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--device" && i + 1 < argc) device_name = argv[++i];
    else if (a == "--particles" && i + 1 < argc) particles = std::stoll(argv[++i]);
    else if (a == "--jetimg-only") jetimg_only = true;
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_particle [--python PATH] [--device cpu|cuda:0] [--particles M] [--jetimg-only] [--only NAME]\n");
      return 2;
    }
  }
  const Device device = resolve_device(device_name);
  const int threads = omp_get_max_threads();
  const std::vector<int64_t> batches{128, 1024};
  std::printf("particle-cloud taggers on %s, %d CPU threads, jets padded to %lld particles (16 to %lld real)\n",
              device.str().c_str(), threads, static_cast<long long>(particles), static_cast<long long>(particles));
  std::printf("%-16s %6s | %14s %14s %7s | %14s %14s %7s\n", "network", "batch", "train jetimg", "train torch", "ratio",
              "infer jetimg", "infer torch", "ratio");
  for (const char* net : {"configs/nets/pfn.json", "configs/nets/efn.json", "configs/nets/particlenet_lite.json",
                          "configs/nets/particlenet.json", "configs/nets/part_small.json"}) {
    const std::string name = std::string(net).substr(13, std::string(net).size() - 18);
    if (!only.empty() && name != only) continue;
    const bool graph = std::string(net).find("particlenet") != std::string::npos;
    const bool transformer = std::string(net).find("part_") != std::string::npos;
    const std::vector<int64_t> sizes =
        std::string(net) == "configs/nets/particlenet.json" && !device.is_cuda() ? std::vector<int64_t>{128} : batches;
    std::map<std::string, double> torch;
    if (!jetimg_only) {
      std::string command = "OMP_NUM_THREADS=" + std::to_string(threads) + " " + python + " -W ignore " +
                            source(transformer ? "bench/reference/torch_part.py"
                                   : graph     ? "bench/reference/torch_particle_net.py"
                                               : "bench/reference/torch_particle_flow.py") +
                            " bench " + source(net) + " " +
                            std::to_string(threads) + " " + (device.is_cuda() ? "cuda" : "cpu") + " " +
                            std::to_string(particles);
      for (int64_t b : sizes) command += " " + std::to_string(b);
      torch = run_and_parse(command, "torch");
    }
    for (int64_t b : sizes) {
      const Figures f = measure(net, device, b, particles);
      const double tt = lookup(torch, "train " + std::to_string(b)), ti = lookup(torch, "infer " + std::to_string(b));
      std::printf("%-16s %6lld | %14.0f %14.0f %6.2fx | %14.0f %14.0f %6.2fx\n", name.c_str(), static_cast<long long>(b),
                  f.train, tt, tt > 0 ? f.train / tt : 0.0, f.infer, ti, ti > 0 ? f.infer / ti : 0.0);
      std::fflush(stdout);
    }
  }
  return 0;
}
