// jetimg: the command-line tool. Each subcommand lives in its own file and
// registers itself here; errors end as one line on stderr and exit code 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>

#include "app/commands.h"
#include "core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"jetimg: jet images and calorimeter showers on the GPU or the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "jetimg 0.1.0");
  app.formatter(jetimg::app::help_formatter());  // before the subcommands, which take it from here
  jetimg::app::add_info_command(app);
  jetimg::app::add_generate_command(app);
  jetimg::app::add_cluster_command(app);
  jetimg::app::add_preprocess_command(app);
  jetimg::app::add_show_command(app);
  jetimg::app::add_stats_command(app);
  jetimg::app::add_evaluate_command(app);
  jetimg::app::add_predict_command(app);
  jetimg::app::add_export_command(app);
  jetimg::app::add_train_command(app);
  jetimg::app::add_simulate_command(app);
  jetimg::app::add_train_calogan_command(app);
  jetimg::app::add_bench_shower_command(app);
  jetimg::app::add_train_lagan_command(app);
  jetimg::app::add_demo_command(app);
  jetimg::app::add_compare_command(app);
  jetimg::app::add_layers_command(app);
  jetimg::app::add_init_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message; a usage error exits 2 (--help and --version exit 0).
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const jetimg::Error& e) {
    std::fprintf(stderr, "jetimg: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    // Sizes from files and settings are bounded where they are read; this is
    // the last line for what still asks for more memory than there is.
    std::fprintf(stderr, "jetimg: error: out of memory (the input or the settings ask for more than this machine has)\n");
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "jetimg: error: '%s': %s\n", e.path1().c_str(), e.code().message().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jetimg: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
