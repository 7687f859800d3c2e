// The locally connected layer in training, on the CPU: (a) a training step
// of the W tagger built from locally connected layers
// (configs/nets/w_locally_connected.json: forward, binary cross-entropy from
// logits, backward, Adam), images/s; (b) a CaloGAN training step as
// CaloGanTask::step takes it (configs/calogan.json, published sizes: the
// discriminator on a real and on a generated batch, then generator_steps
// generator updates through the discriminator), ms per step. Random inputs.
// First, the layers alone: forward and the three gradients of the tagger's
// two locally connected layers and of CaloGAN's largest ones.
//
// Beside this build's figures: those of another build of this program
// (--baseline BIN, e.g. one built from an older commit, run with
// --jetimg-only) and PyTorch's for the same networks and steps in the same
// run (bench/reference/torch_networks.py, torch_calogan_train.py: locally
// connected layers as unfold + torch.bmm, since PyTorch has none), with the
// same number of CPU threads.
//
//   bench_locally_connected [--python PATH] [--baseline BIN] [--full] [--jetimg-only] [--layers]
//     --full: tagger batch 8192 and CaloGAN batch 1024 too
//     --layers: only the layers alone (forward and gradients of one layer), this build
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/context.h"
#include "core/conv_ops.h"
#include "core/device.h"
#include "core/ops.h"
#include "core/train_ops.h"
#include "models/calogan.h"
#include "models/gan_training.h"
#include "models/optimiser.h"
#include "models/sequential.h"

using namespace jetimg;
using namespace jetimg::bench;

namespace {

// Images/s of a training step and of inference of the tagger.
std::pair<double, double> tagger(int64_t batch) {
  Context ctx(Device::cpu(), 1);
  Sequential net = load_sequential(ctx, source("configs/nets/w_locally_connected.json"));
  std::vector<int64_t> dims = {batch};
  for (int64_t d : net.input_shape()) dims.push_back(d);
  Tensor x = Tensor::empty(Shape(dims));
  Tensor labels = Tensor::empty({batch});
  random_uniform(ctx, x, 0.0f, 1.0f);
  random_uniform(ctx, labels, 0.0f, 1.0f);
  std::unique_ptr<Optimiser> adam = make_optimiser(Json{{"type", "adam"}}, 1e-3f, "bench", "optimiser");
  Tensor grad;
  net.set_training(true);
  const double train = seconds_per_step([&] {
    const Tensor out = net.forward(ctx, x);
    ensure_tensor(grad, out.shape(), Device::cpu());
    bce_with_logits(ctx, out, labels, Tensor(), &grad);
    net.backward(ctx, grad);
    adam->step(ctx, net.parameters(), net.gradients());
  });
  net.set_training(false);
  const double infer = seconds_per_step([&] { net.forward(ctx, x); });
  return {batch / train, batch / infer};
}

// Milliseconds of one CaloGAN training step, as CaloGanTask::step.
double calogan(int64_t batch) {
  const CaloGanFile file = load_calogan_config(source("configs/calogan.json"));
  const GanTrainConfig& t = file.training;
  Context ctx(Device::cpu(), 1);
  CaloGanGenerator gen(ctx, file.model);
  CaloGanDiscriminator disc(ctx, file.model);
  gen.set_training(true);
  disc.set_training(true);
  Adam adam_g(float(t.gen_lr), float(t.beta1), float(t.beta2), float(t.eps));
  Adam adam_d(float(t.disc_lr), float(t.beta1), float(t.beta2), float(t.eps));
  TensorMap real, fake;
  for (size_t l = 0; l < file.model.geometry.size(); ++l) {
    Tensor image = Tensor::empty({batch, 1, file.model.geometry[l].rows, file.model.geometry[l].cols});
    random_uniform(ctx, image, 0.0f, 1.0f);
    real["layer_" + std::to_string(l)] = image;
  }
  Tensor energy = Tensor::empty({batch, 1}), z = Tensor::empty({batch, file.model.latent}),
         fake_energy = Tensor::empty({batch, 1});
  random_uniform(ctx, energy, 1.0f, 100.0f);
  real["energy"] = energy;
  const Tensor ones = Tensor::from_vector(std::vector<float>(size_t(batch), 1.0f), {batch, 1});
  const Tensor zeros = Tensor::zeros({batch, 1});
  Tensor dlogit, dtotal;
  const auto verdict = [&](const TensorMap& showers, const Tensor& labels) {
    const TensorMap& out = disc.forward(ctx, showers);
    ensure_tensor(dlogit, out.at("logit").shape(), Device::cpu());
    ensure_tensor(dtotal, out.at("total_energy").shape(), Device::cpu());
    bce_with_logits(ctx, out.at("logit"), labels, Tensor(), &dlogit);
    mean_absolute_error(ctx, out.at("total_energy"), showers.at("energy"), Tensor(), &dtotal);
    scale(ctx, dtotal, float(t.energy_weight));
  };
  const auto disc_step = [&](const TensorMap& showers, const Tensor& labels) {
    verdict(showers, labels);
    disc.backward(ctx, {{"logit", dlogit}, {"total_energy", dtotal}});
    adam_d.step(ctx, disc.parameters(), disc.gradients());
  };
  const double seconds = seconds_per_step([&] {
    disc_step(real, ones);
    random_normal(ctx, z, 0.0f, 1.0f);
    random_uniform(ctx, fake_energy, float(t.energy_min), float(t.energy_max));
    const TensorMap& generated = gen.forward(ctx, {{"z", z}, {"energy", fake_energy}});
    for (const auto& [name, image] : generated) ensure_tensor(fake[name], image.shape(), Device::cpu()).copy_from(image);
    fake["energy"] = fake_energy;
    disc_step(fake, zeros);
    for (int64_t k = 0; k < t.generator_steps; ++k) {
      random_normal(ctx, z, 0.0f, 1.0f);
      random_uniform(ctx, fake_energy, float(t.energy_min), float(t.energy_max));
      TensorMap showers = gen.forward(ctx, {{"z", z}, {"energy", fake_energy}});
      showers["energy"] = fake_energy;
      verdict(showers, ones);
      const TensorMap& dimages = disc.backward(ctx, {{"logit", dlogit}, {"total_energy", dtotal}});
      gen.backward(ctx, dimages);
      adam_g.step(ctx, gen.parameters(), gen.gradients());
    }
  });
  return 1e3 * seconds;
}

// The layer alone: ms of forward + input, weight and bias gradients of one
// locally connected layer (x: (N, C, H, W), F filters).
struct LayerCase {
  const char* name;
  int64_t batch, c, h, w, filters;
  LocallyConnected2dParams p;
};
const LayerCase kLayers[] = {
    {"tagger_lc1", 1024, 1, 25, 25, 8, {5, 5, 1, 1}},
    {"tagger_lc2", 1024, 8, 10, 10, 8, {3, 3, 1, 1}},
    {"calogan_disc_lc1", 256, 64, 5, 98, 16, {3, 3, 1, 2}},
    {"calogan_gen_lc1", 256, 16, 5, 98, 6, {2, 2, 1, 1}},
};

double layer_ms(const LayerCase& k) {
  Context ctx(Device::cpu(), 1);
  Tensor x = Tensor::empty({k.batch, k.c, k.h, k.w});
  Tensor w = Tensor::empty(locally_connected2d_weight_shape(x.shape(), k.filters, k.p));
  Tensor b = Tensor::empty(locally_connected2d_bias_shape(x.shape(), k.filters, k.p));
  Tensor y = Tensor::empty(locally_connected2d_output_shape(x.shape(), k.filters, k.p));
  Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape()), db = Tensor::empty(b.shape());
  for (Tensor* t : {&x, &w, &b}) random_normal(ctx, *t, 0.0f, 1.0f);
  return 1e3 * seconds_per_step([&] {
    locally_connected2d_forward(ctx, k.p, x, w, b, y);
    locally_connected2d_backward_input(ctx, k.p, w, y, dx);
    locally_connected2d_backward_weight(ctx, k.p, x, y, dw);
    locally_connected2d_backward_bias(ctx, y, db);
  }, 1.0);
}


}  // namespace

int main(int argc, char** argv) {
  std::string python = source(".venv/bin/python"), baseline;
  bool full = false, jetimg_only = false, layers_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--python" && i + 1 < argc) python = argv[++i];
    else if (a == "--baseline" && i + 1 < argc) baseline = argv[++i];
    else if (a == "--full") full = true;
    else if (a == "--jetimg-only") jetimg_only = true;
    else if (a == "--layers") layers_only = true;
    else {
      std::fprintf(stderr, "usage: bench_locally_connected [--python PATH] [--baseline BIN] [--full] [--jetimg-only] [--layers]\n");
      return 2;
    }
  }
  std::vector<int64_t> tagger_batches = {100, 1024}, calogan_batches = {64, 256};
  if (full) tagger_batches.push_back(8192), calogan_batches.push_back(1024);
  const int threads = omp_get_max_threads();

  if (layers_only) {  // the layers alone, this build
    for (const LayerCase& k : kLayers) std::printf("%-18s %6lld %10.2f ms\n", k.name, (long long)k.batch, layer_ms(k));
    return 0;
  }
  if (jetimg_only) {  // machine-readable, for another build's --baseline
    for (int64_t b : tagger_batches) {
      const auto [train, infer] = tagger(b);
      std::printf("jetimg train %lld %.1f\njetimg infer %lld %.1f\n", (long long)b, train, (long long)b, infer);
      std::fflush(stdout);
    }
    for (const LayerCase& k : kLayers) {
      std::printf("jetimg %s %lld %.3f\n", k.name, (long long)k.batch, layer_ms(k));
      std::fflush(stdout);
    }
    for (int64_t b : calogan_batches) {
      std::printf("jetimg calogan %lld %.3f\n", (long long)b, calogan(b));
      std::fflush(stdout);
    }
    return 0;
  }

  std::map<std::string, double> before;
  if (!baseline.empty()) before = run_and_parse(baseline + (full ? " --full" : "") + " --jetimg-only", "jetimg");
  std::string list;
  for (int64_t b : tagger_batches) list += " " + std::to_string(b);
  const std::string env = "OMP_NUM_THREADS=" + std::to_string(threads) + " " + python + " -W ignore ";
  std::map<std::string, double> torch =
      run_and_parse(env + source("bench/reference/torch_networks.py") + " " +
                        source("configs/nets/w_locally_connected.json") + " " + std::to_string(threads) + " cpu" + list,
                    "torch");
  list.clear();
  for (int64_t b : calogan_batches) list += " " + std::to_string(b);
  for (const auto& [key, value] :
       run_and_parse(env + source("bench/reference/torch_calogan_train.py") + " " + source("configs/calogan.json") +
                         " " + std::to_string(threads) + list,
                     "torch"))
    torch[key] = value;

  const auto ratio = [](double a, double b) { return a > 0 && b > 0 ? a / b : 0.0; };
  std::printf("locally connected layers in training, CPU, %d threads; before: %s\n", threads,
              baseline.empty() ? "not measured (no --baseline)" : baseline.c_str());
  std::printf("\nThe layers alone: forward + input, weight and bias gradients, ms (lower is better)\n");
  std::printf("%-18s %6s %10s %10s %13s\n", "layer", "batch", "before", "after", "before/after");
  for (const LayerCase& k : kLayers) {
    const double mine = layer_ms(k), old = lookup(before, std::string(k.name) + " " + std::to_string(k.batch));
    std::printf("%-18s %6lld %10.2f %10.2f %12.2fx\n", k.name, (long long)k.batch, old, mine, ratio(old, mine));
    std::fflush(stdout);
  }
  std::printf("\n(a) W tagger, locally connected (configs/nets/w_locally_connected.json), images/s\n");
  std::printf("%6s %-6s %10s %10s %10s %13s %13s\n", "batch", "", "before", "after", "PyTorch", "after/before",
              "after/PyTorch");
  for (int64_t b : tagger_batches) {
    const auto [train, infer] = tagger(b);
    for (const auto& [what, mine] : {std::pair<std::string, double>{"train", train}, {"infer", infer}}) {
      const std::string key = what + " " + std::to_string(b);
      const double old = lookup(before, key), theirs = lookup(torch, key);
      std::printf("%6lld %-6s %10.0f %10.0f %10.0f %12.2fx %12.2fx\n", (long long)b, what.c_str(), old, mine, theirs,
                  ratio(mine, old), ratio(mine, theirs));
    }
    std::fflush(stdout);
  }
  std::printf("\n(b) CaloGAN training step (configs/calogan.json: discriminator on a real and a generated batch,\n"
              "    then the generator's steps through it), ms per step (lower is better)\n");
  std::printf("%6s %10s %10s %10s %13s %13s\n", "batch", "before", "after", "PyTorch", "before/after",
              "PyTorch/after");
  for (int64_t b : calogan_batches) {
    const double mine = calogan(b);
    const std::string key = "calogan " + std::to_string(b);
    const double old = lookup(before, key), theirs = lookup(torch, key);
    std::printf("%6lld %10.1f %10.1f %10.1f %12.2fx %12.2fx\n", (long long)b, old, mine, theirs, ratio(old, mine),
                ratio(theirs, mine));
    std::fflush(stdout);
  }
  if (lookup(torch, "train " + std::to_string(tagger_batches[0])) == 0)
    std::printf("  (PyTorch's tagger figures missing: is torch importable by %s?)\n", python.c_str());
  return 0;
}
