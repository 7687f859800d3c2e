// A run configuration (configs/*.json): the sample sizes and seed of a run,
// the built-in generator's settings and the jet definition. Every key is
// optional and defaults to the value in the structs below; unknown keys are
// errors. to_json() writes a configuration back out in full, so an output
// file records exactly how it was made.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "physics/generator.h"
#include "physics/jets.h"

namespace jetimg {

// The demo holds its images in memory to train on them: at most this many
// events per sample.
constexpr int64_t kMaxDemoEvents = 10000000;

struct RunConfig {
  uint64_t seed = 1;
  int64_t events_per_sample = 20000;  // demo: events generated per sample (at most kMaxDemoEvents)
  // Per-process generator settings start from GeneratorConfig::defaults(process);
  // keys given here override them for every process.
  Json generator_overrides = Json::object();
  JetConfig jets;                     // pt window for W/QCD unless overridden
  JetConfig top_jets;                 // the same with the top pt window
  std::string source = "(defaults)";  // the file it came from
};

// Reads and checks a run config; "" gives the defaults.
RunConfig load_run_config(const std::string& path);

// The generator settings for `process` under this run config.
GeneratorConfig generator_config(const RunConfig& run, Process process);
// The jet settings for jets of `process`.
const JetConfig& jet_config(const RunConfig& run, Process process);

Json to_json(const GeneratorConfig& config);
Json to_json(const JetConfig& config);

}  // namespace jetimg
