#include "app/commands.h"
namespace jetimg::app {
void add_demo_command(CLI::App& app) { app.add_subcommand("demo", "(not yet)"); }
}  // namespace jetimg::app
