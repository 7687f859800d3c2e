// `jetimg cluster`: any supported events input -> jets file (leading anti-kT
// jet, trimmed, inside the configured windows), streamed in batches so memory
// stays bounded whatever the input size.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/error.h"
#include "io/event_source.h"
#include "io/jets_file.h"
#include "io/run_config.h"

namespace jetimg::app {
namespace {

struct ClusterOptions {
  std::string input, output, config, format = "auto", device = "auto";
  int label = -1;
  bool keep_neutrinos = false;
  int64_t batch = 10000;
  int threads = 0;
};

void run_cluster(const ClusterOptions& o) {
  apply_threads(o.threads);
  check_cpu_device(o.device);
  refuse_outputs_over_inputs({o.input, o.config}, {o.output});
  const RunConfig run = load_run_config(o.config);
  FinalStateSelection selection;
  selection.drop_neutrinos = !o.keep_neutrinos;
  const std::unique_ptr<EventSource> source = open_event_source(o.input, o.format, selection);
  const Json origin = source->provenance();
  // The label: --label, else the events file's process, else the input's own per-event labels.
  Process process = source->format() == "toptag" ? Process::Top : Process::QCD;
  const bool known_process = origin.contains("process") && origin["process"].is_string();
  if (known_process) process = parse_process(origin["process"].get<std::string>());
  const bool labelled_events = source->format() == "toptag";
  if (!known_process && !labelled_events && o.label < 0)
    fail("'", o.input, "' does not say which process it holds; give --label 0 or 1");
  const int label = o.label >= 0 ? o.label : (process == Process::QCD ? 0 : 1);
  const bool per_event_labels = o.label < 0 && labelled_events;
  const JetConfig& jets = jet_config(run, process);
  jets.validate();

  const Json provenance = {{"input", o.input}, {"input_format", source->format()}, {"input_provenance", origin},
                           {"jets", to_json(jets)}, {"label", per_event_labels ? Json("per event") : Json(label)},
                           {"program", "jetimg cluster 0.1.0"}};
  JetsWriter writer(o.output, jets.max_constituents, jets.max_subjets, provenance);
  JetSelectionCounts counts;
  Progress progress("cluster", source->size_hint());
  const auto start = std::chrono::steady_clock::now();
  for (EventBatch batch = source->read_batch(o.batch); !batch.empty(); batch = source->read_batch(o.batch)) {
    std::vector<std::optional<Jet>> found = leading_jets(batch.events, jets, &counts);
    std::vector<Jet> kept;
    std::vector<int64_t> indices;
    std::vector<int32_t> labels;
    std::vector<float> weights;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!found[i]) continue;
      kept.push_back(std::move(*found[i]));
      indices.push_back(batch.indices[i]);
      labels.push_back(per_event_labels ? batch.labels[i] : label);
      weights.push_back(batch.weights[i]);
    }
    writer.write(kept, labels, weights, indices);
    progress.advance(static_cast<int64_t>(batch.size()));
  }
  progress.done();
  if (source->counts().read == 0)
    fail("'", o.input, "' has no usable events (", source->counts().summary(), ")");
  writer.finish();
  const double seconds = seconds_since(start);
  std::printf("clustered %lld events in %.2f s (%.0f events/s): kept %lld jets; dropped %lld outside pT [%g, %g), "
              "%lld with |eta| >= %g, %lld outside the mass window, %lld without jets -> %s\n",
              static_cast<long long>(counts.events), seconds, counts.events / std::max(seconds, 1e-9),
              static_cast<long long>(counts.kept), static_cast<long long>(counts.failed_pt), jets.pt_min, jets.pt_max,
              static_cast<long long>(counts.failed_eta), jets.eta_max, static_cast<long long>(counts.failed_mass),
              static_cast<long long>(counts.no_jet), o.output.c_str());
  std::printf("input (%s): %s\n", source->format().c_str(), source->counts().summary().c_str());
}

}  // namespace

void add_cluster_command(CLI::App& app) {
  static ClusterOptions o;
  auto* command = app.add_subcommand("cluster", "Cluster events (jetimg, HepMC, FastJet text or top-tagging files) "
                                                "into a jets file (anti-kT, trimming)");
  command->add_option("input", o.input, "events: jetimg events file, HepMC2/3 (.gz too), FastJet text, top-tagging HDF5")
      ->required();
  command->add_option("-o,--output", o.output, "jets file to write (HDF5)")->required();
  command->add_option("--format", o.format, "input format: auto (detect), jetimg, hepmc, text or toptag")
      ->check(CLI::IsMember({"auto", "jetimg", "hepmc", "hepmc2", "hepmc3", "text", "toptag"}))
      ->capture_default_str();
  command->add_option("--config", o.config, "run config (JSON) whose 'jets' section sets the jet definition")
      ->check(CLI::ExistingFile);
  command->add_option("--label", o.label,
                      "label for every jet (default: 1 for w/top, 0 for qcd events files; the file's own for toptag)")
      ->check(CLI::Range(0, 1));
  command->add_flag("--keep-neutrinos", o.keep_neutrinos, "HepMC: keep neutrinos in the final state");
  command->add_option("--batch", o.batch, "events per batch in memory")->check(kPositiveCount)->capture_default_str();
  add_cpu_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_cluster(o); });
}

}  // namespace jetimg::app
