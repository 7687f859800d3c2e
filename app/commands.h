// The subcommands of the jetimg tool, one file each.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "core/context.h"

namespace jetimg::app {

void add_info_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_cluster_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_preprocess_command(CLI::App& app);
void add_show_command(CLI::App& app);
void add_stats_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_train_calogan_command(CLI::App& app);
void add_bench_shower_command(CLI::App& app);
void add_train_lagan_command(CLI::App& app);
void add_layers_command(CLI::App& app);
void add_init_command(CLI::App& app);

// Adds --device (auto|cpu|cuda[:N]) to a subcommand.
void add_device_option(CLI::App& command, std::string& device_spec);
// Adds --device to a subcommand that computes on the CPU whatever the device,
// so that every computing subcommand takes it; check_cpu_device refuses a
// device that does not exist, as the others do.
void add_cpu_device_option(CLI::App& command, std::string& device_spec);
void check_cpu_device(const std::string& device_spec);
// Adds --threads (0 = all cores) to a subcommand and applies it when parsed.
void add_threads_option(CLI::App& command, int& threads);
void apply_threads(int threads);
// Adds --math fp32|tf32|bf16 (core/math_mode.h: how dense and convolution
// layers compute on a GPU; fp32 by default) to a subcommand that runs
// networks. A subcommand that trains refuses bf16, which is for inference.
void add_math_option(CLI::App& command, std::string& math, bool trains);
// The context's math mode from --math (on a CPU a mode other than fp32 logs
// once that the CPU computes float32).
void apply_math(Context& ctx, const std::string& math);
// Accepts whole numbers >= 1, with a plain message otherwise.
extern const CLI::Validator kPositiveCount;
// Accepts counts of events or showers from 1 to kMaxSampleCount: more than a
// file could hold on any disk (a jetimg events file needs about a kilobyte an
// event), refused at once rather than left running.
constexpr int64_t kMaxSampleCount = 10000000000;
extern const CLI::Validator kSampleCount;
// Accepts numbers in [lo, hi] (NaN is not one, unlike with CLI::Range).
CLI::Validator finite_range(double lo, double hi);

// The subcommands' vocabulary: -n (--events, --showers) for how many to make,
// --batch, -o/--output for a file written, --output-dir for a folder, --model
// for a checkpoint read, --device and --threads. A spelling used before it
// stays as an old spelling: `old_name` (one name, "--n", "-o", or a
// positional's) parses into `option` through the same checks, may not be given
// beside it, and is not listed by --help.
CLI::Option* add_old_spelling(CLI::App& command, CLI::Option* option, const std::string& old_name);
// Leaves an option out of --help as an old spelling, for one handled by hand.
CLI::Option* hide_as_old_spelling(CLI::Option* option);
// The formatter of --help, which leaves the old spellings out.
std::shared_ptr<CLI::FormatterBase> help_formatter();

}  // namespace jetimg::app
