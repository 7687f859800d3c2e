// `jetimg cluster`: events file -> jets file (leading anti-kT jet, trimmed,
// inside the configured windows), streamed in batches.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "app/commands.h"
#include "app/progress.h"
#include "core/error.h"
#include "io/events_file.h"
#include "io/jets_file.h"
#include "io/run_config.h"

namespace jetimg::app {
namespace {

struct ClusterOptions {
  std::string input, output, config;
  int label = -1;
  int64_t batch = 10000;
  int threads = 0;
};

void run_cluster(const ClusterOptions& o) {
  apply_threads(o.threads);
  const RunConfig run = load_run_config(o.config);
  const EventsReader reader(o.input);
  const Json& source = reader.provenance();
  // The process decides the default label and jet window.
  Process process = Process::QCD;
  const bool known_process = source.contains("process") && source["process"].is_string();
  if (known_process) process = parse_process(source["process"].get<std::string>());
  if (!known_process && o.label < 0)
    fail("'", o.input, "' does not say which process it holds; give --label 0 or 1");
  const int label = o.label >= 0 ? o.label : (process == Process::QCD ? 0 : 1);
  const JetConfig& jets = jet_config(run, process);
  jets.validate();

  const Json provenance = {{"input", o.input}, {"input_provenance", source}, {"jets", to_json(jets)},
                           {"label", label}, {"program", "jetimg cluster 0.1.0"}};
  JetsWriter writer(o.output, jets.max_constituents, jets.max_subjets, provenance);
  JetSelectionCounts counts;
  Progress progress("cluster", reader.size());
  const auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < reader.size(); first += o.batch) {
    const int64_t count = std::min(o.batch, reader.size() - first);
    const std::vector<Event> events = reader.read(first, count);
    std::vector<std::optional<Jet>> found = leading_jets(events, jets, &counts);
    std::vector<Jet> kept;
    std::vector<int64_t> indices;
    for (int64_t i = 0; i < count; ++i) {
      if (!found[static_cast<size_t>(i)]) continue;
      kept.push_back(std::move(*found[static_cast<size_t>(i)]));
      indices.push_back(first + i);
    }
    writer.write(kept, label, std::vector<float>(kept.size(), 1.0f), indices);
    progress.advance(count);
  }
  writer.finish();
  progress.done();
  const double seconds = seconds_since(start);
  std::printf("clustered %lld events in %.2f s (%.0f events/s): kept %lld jets; dropped %lld outside pT [%g, %g), "
              "%lld with |eta| >= %g, %lld outside the mass window, %lld without jets -> %s\n",
              static_cast<long long>(counts.events), seconds, counts.events / seconds,
              static_cast<long long>(counts.kept), static_cast<long long>(counts.failed_pt), jets.pt_min, jets.pt_max,
              static_cast<long long>(counts.failed_eta), jets.eta_max, static_cast<long long>(counts.failed_mass),
              static_cast<long long>(counts.no_jet), o.output.c_str());
}

}  // namespace

void add_cluster_command(CLI::App& app) {
  static ClusterOptions o;
  auto* command = app.add_subcommand("cluster", "Cluster an events file into a jets file (anti-kT, trimming)");
  command->add_option("input", o.input, "events file (from jetimg generate)")->required();
  command->add_option("-o,--output", o.output, "jets file to write (HDF5)")->required();
  command->add_option("--config", o.config, "run config (JSON) whose 'jets' section sets the jet definition")
      ->check(CLI::ExistingFile);
  command->add_option("--label", o.label, "label for every jet (default: 1 for w/top, 0 for qcd)")
      ->check(CLI::Range(0, 1));
  command->add_option("--batch", o.batch, "events per batch in memory")->check(kPositiveCount)->capture_default_str();
  add_threads_option(*command, o.threads);
  command->callback([] { run_cluster(o); });
}

}  // namespace jetimg::app
