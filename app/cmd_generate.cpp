#include "app/commands.h"
namespace jetimg::app {
void add_generate_command(CLI::App& app) { app.add_subcommand("generate", "(not yet)"); }
}  // namespace jetimg::app
