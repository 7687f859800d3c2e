#include "app/commands.h"
namespace jetimg::app {
void add_cluster_command(CLI::App& app) { app.add_subcommand("cluster", "(not yet)"); }
}  // namespace jetimg::app
