// `jetimg generate`: built-in or Pythia 8 events to an events file (HDF5) or
// to HepMC3 / HepMC2 ASCII (by the output's name or --format), streamed in batches.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/error.h"
#include "io/events_file.h"
#include "io/hepmc_writer.h"
#include "io/pythia_source.h"
#include "io/run_config.h"

namespace jetimg::app {
namespace {

struct GenerateOptions {
  std::string generator = "builtin", process, output, config, format = "auto", device = "auto";
  std::vector<std::string> pythia_settings;
  int64_t pythia_block = 1000;
  int64_t events = 0;
  uint64_t seed = 0;
  bool seed_given = false;
  int64_t batch = 10000;
  int threads = 0;
  int hepmc_precision = 16;
};

// The output: the jetimg events file, or HepMC when hepmc_version is 2 or 3.
class GeneratedEvents {
 public:
  GeneratedEvents(const GenerateOptions& o, int hepmc_version, const Json& provenance, const std::string& description) {
    if (hepmc_version == 0)
      events_ = std::make_unique<EventsWriter>(o.output, provenance);
    else
      hepmc_ = std::make_unique<HepMCWriter>(o.output, hepmc_version, description, o.hepmc_precision);
  }
  void write(const std::vector<Event>& events, const std::vector<float>& weights = {}) {
    if (events_) events_->write(events);
    else hepmc_->write(events, weights);
  }
  void finish() {
    if (events_) events_->finish();
    else hepmc_->finish();
  }
  // " (HepMC3)" and the like, for the summary line.
  std::string kind() const { return hepmc_ ? " (HepMC" + std::to_string(hepmc_->version()) + ")" : ""; }

 private:
  std::unique_ptr<EventsWriter> events_;
  std::unique_ptr<HepMCWriter> hepmc_;
};

void run_pythia(const GenerateOptions& o) {
  refuse_outputs_over_inputs(o.pythia_settings, {o.output});
  const int hepmc_version = hepmc_output_version(o.output, o.format);
  if (!o.config.empty()) fail("--config sets the built-in generator; Pythia takes --pythia-settings files");
  PythiaRun run;
  run.process = process_name(parse_process(o.process));
  run.events = o.events;
  run.seed = o.seed_given ? o.seed : 1;
  run.workers = o.threads;
  run.block = o.pythia_block;
  run.settings = o.pythia_settings;
  const auto start = std::chrono::steady_clock::now();
  PythiaSource source(run);
  std::string settings;
  for (const std::string& f : o.pythia_settings) settings += ", settings " + f;
  GeneratedEvents writer(o, hepmc_version, source.provenance(),
                         "jetimg generate: Pythia 8 (python/pythia_events.py), process " + run.process + ", seed " +
                             std::to_string(run.seed) + ", block " + std::to_string(run.block) + settings);
  Progress progress("generate " + run.process + " (pythia)", o.events);
  int64_t particles = 0, written = 0;
  for (EventBatch batch = source.read_batch(o.batch); !batch.empty(); batch = source.read_batch(o.batch)) {
    for (const Event& e : batch.events) particles += static_cast<int64_t>(e.size());
    writer.write(batch.events, batch.weights);
    written += static_cast<int64_t>(batch.size());
    progress.advance(static_cast<int64_t>(batch.size()));
  }
  if (written == 0) fail("Pythia made no usable events (", source.counts().summary(), ")");
  writer.finish();
  progress.done();
  const double seconds = seconds_since(start);
  std::printf("generated %lld %s events with Pythia 8 (seed %llu, %.1f final-state particles/event) in %.2f s "
              "(%.0f events/s) -> %s%s\n",
              static_cast<long long>(written), run.process.c_str(), static_cast<unsigned long long>(run.seed),
              static_cast<double>(particles) / written, seconds, written / seconds, o.output.c_str(),
              writer.kind().c_str());
  if (source.counts().skipped > 0) std::printf("input: %s\n", source.counts().summary().c_str());
}

void run_generate(const GenerateOptions& o) {
  apply_threads(o.threads);
  check_cpu_device(o.device);
  if (o.generator == "pythia") return run_pythia(o);
  refuse_outputs_over_inputs({o.config}, {o.output});
  const int hepmc_version = hepmc_output_version(o.output, o.format);
  const Process process = parse_process(o.process);
  const RunConfig run = load_run_config(o.config);
  const GeneratorConfig generator = generator_config(run, process);
  const uint64_t seed = o.seed_given ? o.seed : run.seed;
  const Json provenance = {{"process", process_name(process)}, {"seed", seed}, {"events", o.events},
                           {"generator", to_json(generator)}, {"program", "jetimg generate 0.1.0"}};
  GeneratedEvents writer(o, hepmc_version, provenance,
                         "jetimg generate: built-in generator, process " + process_name(process) + ", seed " +
                             std::to_string(seed));
  Progress progress("generate " + process_name(process), o.events);
  const auto start = std::chrono::steady_clock::now();
  int64_t particles = 0;
  for (int64_t first = 0; first < o.events; first += o.batch) {
    const int64_t count = std::min(o.batch, o.events - first);
    const std::vector<Event> events = generate_events(generator, seed, static_cast<uint64_t>(first), count);
    for (const Event& e : events) particles += static_cast<int64_t>(e.size());
    writer.write(events);
    progress.advance(count);
  }
  writer.finish();
  progress.done();
  const double seconds = seconds_since(start);
  std::printf("generated %lld %s events (seed %llu, %.1f particles/event) in %.2f s (%.0f events/s) -> %s%s\n",
              static_cast<long long>(o.events), process_name(process).c_str(), static_cast<unsigned long long>(seed),
              static_cast<double>(particles) / o.events, seconds, o.events / seconds, o.output.c_str(),
              writer.kind().c_str());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  static GenerateOptions o;
  auto* command = app.add_subcommand("generate", "Generate pp events (W, top or QCD) into an events file or HepMC");
  command->add_option("--generator", o.generator, "builtin (the embedded shower) or pythia (Pythia 8 from .venv)")
      ->check(CLI::IsMember({"builtin", "pythia"}))
      ->capture_default_str();
  command->add_option("--process", o.process, "w, top or qcd")->required();
  command->add_option("-n,--events", o.events, "number of events")->required()->check(kSampleCount);
  command->add_option("--seed", o.seed, "random seed (default: the config's seed)");
  command->add_option("-o,--output", o.output,
                      "file to write: a jetimg events file (HDF5), or HepMC3 for .hepmc/.hepmc3, HepMC2 for .hepmc2")
      ->required();
  command->add_option("--format", o.format, "output format: auto (by the name), jetimg, hepmc3 (= hepmc) or hepmc2")
      ->check(CLI::IsMember({"auto", "jetimg", "hepmc", "hepmc2", "hepmc3"}))
      ->capture_default_str();
  command->add_option("--hepmc-precision", o.hepmc_precision,
                      "HepMC momenta printed as %.Ne: N digits after the point (16 gives every double back exactly; "
                      "the Pythia stream carries 9)")
      ->check(CLI::Range(2, 24))
      ->capture_default_str();
  command->add_option("--config", o.config, "run config (JSON) whose 'generator' section overrides the defaults")
      ->check(CLI::ExistingFile);
  command->add_option("--pythia-settings", o.pythia_settings,
                      "file of extra Pythia settings ('Key = value' lines), after the process's own; repeatable")
      ->check(CLI::ExistingFile);
  command->add_option("--pythia-block", o.pythia_block, "events per Pythia instance (each seeded from seed and block)")
      ->check(kPositiveCount)
      ->capture_default_str();
  command->add_option("--batch", o.batch, "events per batch in memory")->check(kPositiveCount)->capture_default_str();
  add_cpu_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([command] {
    o.seed_given = command->count("--seed") > 0;
    run_generate(o);
  });
}

}  // namespace jetimg::app
