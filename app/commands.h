// The subcommands of the jetimg tool, one file each.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

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
// Adds --threads (0 = all cores) to a subcommand and applies it when parsed.
void add_threads_option(CLI::App& command, int& threads);
void apply_threads(int threads);
// Accepts whole numbers >= 1, with a plain message otherwise.
extern const CLI::Validator kPositiveCount;
// Accepts counts of events or showers from 1 to kMaxSampleCount: more than a
// file could hold on any disk (a jetimg events file needs about a kilobyte an
// event), refused at once rather than left running.
constexpr int64_t kMaxSampleCount = 10000000000;
extern const CLI::Validator kSampleCount;
// Accepts numbers in [lo, hi] (NaN is not one, unlike with CLI::Range).
CLI::Validator finite_range(double lo, double hi);

}  // namespace jetimg::app
