// `jetimg simulate`: calorimeter showers (CaloGAN layout) from the built-in
// parametrised simulator or a trained CaloGAN generator (--model), streamed
// to HDF5 in chunks.
//
// Where showers come from is one function (a ShowerSource), so another
// source, such as a trained generator network, can be put beside the
// built-in one without touching the loop that writes them.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/device.h"
#include "core/error.h"
#include "models/gan_training.h"
#include "io/showers_file.h"
#include "physics/calorimeter.h"

namespace jetimg::app {
namespace {

struct SimulateOptions {
  std::string particle, energy = "1-100", output, model, device = "auto", layout = "calogan", math = "fp32";
  int64_t showers = 0;
  uint64_t seed = 1;
  int64_t chunk = 10000, batch = 1024;
  int threads = 0;
};

struct EnergyRange {
  double min_gev = 0, max_gev = 0;
};

// "50" or "1-100" (GeV).
EnergyRange parse_energy(const std::string& text) {
  const auto number = [&](const std::string& part) {
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != part.size() || !std::isfinite(value))
      fail("--energy '", text, "': expected a number of GeV (50) or a range (1-100)");
    if (value <= 0 || value > 1e4) fail("--energy '", text, "': energies must be in (0, 10000] GeV");
    return value;
  };
  // The range's dash: not a sign, not an exponent's.
  size_t dash = std::string::npos;
  for (size_t i = 1; i < text.size(); ++i)
    if (text[i] == '-' && text[i - 1] != 'e' && text[i - 1] != 'E') {
      dash = i;
      break;
    }
  if (dash == std::string::npos) {
    const double e = number(text);
    return {e, e};
  }
  const EnergyRange r{number(text.substr(0, dash)), number(text.substr(dash + 1))};
  if (r.min_gev > r.max_gev)
    fail("--energy '", text, "': the range must go from low to high (", r.max_gev, "-", r.min_gev, ")");
  return r;
}

// Makes showers [first, first + count) of the run.
using ShowerSource = std::function<ShowerBatch(int64_t first, int64_t count)>;

// The built-in simulator; records what it is in `provenance`.
ShowerSource builtin_source(const SimulateOptions& o, CaloParticle particle, const EnergyRange& range,
                            Json& provenance) {
  const CaloSimSettings settings;
  settings.validate();
  const CaloMaterial m = calo_material(settings);
  provenance["simulator"] = "builtin (Grindhammer-Peters parametrised showers, hep-ex/0001020)";
  provenance["settings"] = to_json(settings);
  provenance["material"] = {{"x0_mm", m.x0_mm},
                            {"moliere_mm", m.moliere_mm},
                            {"critical_mev", m.critical_mev},
                            {"interaction_length_mm", m.interaction_length_mm}};
  const uint64_t seed = o.seed;
  return [settings, particle, range, seed](int64_t first, int64_t count) {
    const std::vector<float> energies = uniform_energies(range.min_gev, range.max_gev, count, seed, first);
    return simulate_showers(settings, particle, energies, seed, first);
  };
}

// A trained CaloGAN generator (inference mode) on `ctx`'s device; the
// incident energies are drawn as the built-in simulator draws them.
ShowerSource model_source(const SimulateOptions& o, Context& ctx, const EnergyRange& range, Json& provenance,
                          std::vector<LayerGeometry>& geometry) {
  std::shared_ptr<CaloGanGenerator> gen = load_calogan_generator(ctx, o.model);
  geometry = gen->settings().geometry;
  provenance["simulator"] = "CaloGAN generator";
  provenance["model"] = o.model;
  provenance["model_config"] = gen->settings().to_json();
  provenance["device"] = ctx.device().str();
  const uint64_t seed = o.seed;
  const int64_t batch = o.batch;
  return [gen, &ctx, range, seed, batch](int64_t first, int64_t count) {
    const std::vector<float> energies = uniform_energies(range.min_gev, range.max_gev, count, seed, first);
    const Tensor e = Tensor::from_vector(energies, {count, 1});
    return generate_showers(ctx, *gen, e, batch);
  };
}

void run_simulate(const SimulateOptions& o) {
  apply_threads(o.threads);
  refuse_outputs_over_inputs({o.model}, {o.output});
  const CaloParticle particle = parse_calo_particle(o.particle);
  const EnergyRange range = parse_energy(o.energy);
  Json provenance = {{"program", "jetimg simulate 0.1.0"},
                     {"particle", calo_particle_name(particle)},
                     {"energy_gev", {range.min_gev, range.max_gev}},
                     {"showers", o.showers},
                     {"seed", o.seed}};
  std::vector<LayerGeometry> geometry = calogan_geometry();
  const Device device = o.model.empty() ? Device::cpu() : resolve_device(o.device);
  Context ctx(device, o.seed);
  if (!o.model.empty()) {  // the built-in simulator has no network
    apply_math(ctx, o.math);
    provenance["math"] = math_mode_name(ctx.math_mode());
  }
  const ShowerSource source =
      o.model.empty() ? builtin_source(o, particle, range, provenance) : model_source(o, ctx, range, provenance, geometry);

  ShowersWriter writer(o.output, geometry, provenance, parse_showers_layout(o.layout));
  Progress progress("simulate " + calo_particle_name(particle), o.showers, "showers");
  const auto start = std::chrono::steady_clock::now();
  double response_sum = 0, response_sq = 0;  // visible / incident
  for (int64_t first = 0; first < o.showers; first += o.chunk) {
    const int64_t count = std::min(o.chunk, o.showers - first);
    const ShowerBatch batch = source(first, count);
    writer.write(batch);
    for (int64_t i = 0; i < count; ++i) {
      double visible = 0;
      for (const Tensor& layer : batch.layers) {
        const int64_t per = layer.numel() / count;
        for (int64_t k = 0; k < per; ++k) visible += layer.data()[i * per + k];
      }
      const int64_t layers = batch.overflow.dim(1);
      for (int64_t l = 0; l < layers; ++l) visible += batch.overflow.data()[i * layers + l];
      const double response = visible / (1000.0 * batch.energy.data()[i]);
      response_sum += response;
      response_sq += response * response;
    }
    progress.advance(count);
  }
  writer.finish();
  progress.done();
  const double seconds = seconds_since(start);
  const double n = static_cast<double>(o.showers);
  const double mean = response_sum / n;
  const double rms = n > 1 ? std::sqrt(std::max(0.0, (response_sq - n * mean * mean) / (n - 1))) : 0;
  std::printf("%s %lld %s showers (%g-%g GeV, seed %llu) in %.2f s (%.0f showers/s) -> %s\n",
              o.model.empty() ? "simulated" : "generated", static_cast<long long>(o.showers),
              calo_particle_name(particle).c_str(), range.min_gev, range.max_gev,
              static_cast<unsigned long long>(o.seed), seconds, n / seconds, o.output.c_str());
  std::printf("visible energy (cells + overflow) / incident: mean %.4f, standard deviation %.4f\n", mean, rms);
}

}  // namespace

void add_simulate_command(CLI::App& app) {
  static SimulateOptions o;
  auto* command = app.add_subcommand(
      "simulate", "Simulate calorimeter showers (CaloGAN layout) into an HDF5 file, with the built-in simulator or a "
                  "trained CaloGAN generator");
  command->add_option("--particle", o.particle, "e+, gamma or pi+")->required();
  command->add_option("--energy", o.energy, "incident energy in GeV: one value (50) or a uniform range (1-100)")
      ->capture_default_str();
  auto* showers = command->add_option("-n,--showers", o.showers, "number of showers")->required()->check(kSampleCount);
  add_old_spelling(*command, showers, "--n");
  command->add_option("-o,--output", o.output, "showers file to write (HDF5)")->required();
  command->add_option("--layout", o.layout, "file layout: calogan (energy, layer_0..2, overflow) or calochallenge "
                                            "(incident_energies and showers in MeV, layers one after another)")
      ->check(CLI::IsMember({"calogan", "calochallenge"}))
      ->capture_default_str();
  command->add_option("--seed", o.seed, "random seed")->capture_default_str();
  command->add_option("--chunk", o.chunk, "showers per chunk in memory")->check(kPositiveCount)->capture_default_str();
  command->add_option("--model", o.model,
                      "a CaloGAN checkpoint (from 'jetimg train-calogan') to generate with instead of the built-in "
                      "simulator; --particle then only labels the file");
  command->add_option("--batch", o.batch, "showers per generator batch (--model)")
      ->check(kPositiveCount)
      ->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  add_math_option(*command, o.math, false);
  command->callback([] { run_simulate(o); });
}

}  // namespace jetimg::app
