// `jetimg init`: an untrained model written as a checkpoint (kind "model"),
// so that its initial weights can be inspected (h5py) or ported before any
// training, and a run can start from them.
#include <cstdio>

#include "app/commands.h"
#include "core/error.h"
#include "io/outputs.h"
#include "models/checkpoint.h"

namespace jetimg::app {
namespace {

struct InitOptions {
  std::string config, output;
  uint64_t seed = 1;
};

void run_init(const InitOptions& o) {
  refuse_outputs_over_inputs({o.config}, {o.output});
  Context ctx(Device::cpu(), o.seed);
  std::unique_ptr<Model> model = load_model_config(ctx, o.config);
  TrainState state;
  state.seed = o.seed;
  save_checkpoint(o.output, "model", {{"model", model.get(), nullptr}}, state,
                  {{"command", "jetimg init"}, {"config", o.config}});
  std::printf("%s model of %lld parameters, initialised with seed %llu -> %s\n", model->type().c_str(),
              static_cast<long long>(parameter_count(*model)), static_cast<unsigned long long>(o.seed),
              o.output.c_str());
}

}  // namespace

void add_init_command(CLI::App& app) {
  static InitOptions o;
  auto* command = app.add_subcommand("init", "Write an untrained model (its initial weights) as a checkpoint");
  command->add_option("config", o.config, "model config (JSON): a network file, a graph, or a GAN network")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("-o,--output", o.output, "checkpoint to write (HDF5)")->required();
  command->add_option("--seed", o.seed, "seed of the initial weights")->capture_default_str();
  command->callback([] { run_init(o); });
}

}  // namespace jetimg::app
