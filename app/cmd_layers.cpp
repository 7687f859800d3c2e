// `jetimg layers`: every layer type a network file may use, with its keys,
// defaults and meaning, from the layer registry (models/layer_registry.h).
// docs/configs.md holds this output between its layer-keys markers.
#include <cstdio>

#include "app/commands.h"
#include "models/layer_registry.h"

namespace jetimg::app {

void add_layers_command(CLI::App& app) {
  auto* command = app.add_subcommand("layers", "List every layer type of network files with its keys and defaults");
  command->callback([] { std::fputs(layer_types_markdown().c_str(), stdout); });
}

}  // namespace jetimg::app
