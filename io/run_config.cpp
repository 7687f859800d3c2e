#include "io/run_config.h"

#include <cmath>
#include <limits>

#include "core/error.h"

namespace jetimg {
namespace {

// Each struct's keys, listed once and used both to read and to write.
template <typename Visit>
void visit_fields(GeneratorConfig& c, Visit&& field) {
  field("pt_min", c.pt_min);
  field("pt_max", c.pt_max);
  field("rapidity_max", c.rapidity_max);
  field("gluon_fraction", c.gluon_fraction);
  field("qcd_max_angle", c.qcd_max_angle);
  field("shower_cutoff", c.shower.cutoff);
  field("alpha_s_mz", c.shower.alpha_s_mz);
  field("flavours", c.shower.flavours);
  field("w_mass", c.w_mass);
  field("w_width", c.w_width);
  field("top_mass", c.top_mass);
  field("top_width", c.top_width);
  field("underlying_event", c.underlying_event);
  field("ue_density", c.ue_density);
  field("ue_mean_pt", c.ue_mean_pt);
  field("ue_eta_max", c.ue_eta_max);
  field("towers", c.towers);
  field("tower_size", c.tower_size);
  field("tower_eta_max", c.tower_eta_max);
  field("tower_stochastic", c.tower_stochastic);
  field("tower_constant", c.tower_constant);
}

template <typename Visit>
void visit_fields(JetConfig& c, Visit&& field) {
  field("R", c.R);
  field("trim_R", c.trim_R);
  field("trim_pt_fraction", c.trim_pt_fraction);
  field("pt_min", c.pt_min);
  field("pt_max", c.pt_max);
  field("eta_max", c.eta_max);
  field("mass_min", c.mass_min);
  field("mass_max", c.mass_max);
  field("max_constituents", c.max_constituents);
  field("max_subjets", c.max_subjets);
}

template <typename Config>
void read_fields(ConfigSection section, Config& config) {
  visit_fields(config, [&](const char* key, auto& value) { section.optional(key, value); });
  section.finish();
}

template <typename Config>
Json write_fields(const Config& config) {
  Json out = Json::object();
  visit_fields(const_cast<Config&>(config), [&](const char* key, auto& value) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isinf(value)) {  // JSON has no infinity: an open window is written as null
        out[key] = nullptr;
        return;
      }
    }
    out[key] = value;
  });
  return out;
}

JetConfig jets_with_window(double pt_min, double pt_max) {
  JetConfig jets;
  jets.pt_min = pt_min;
  jets.pt_max = pt_max;
  return jets;
}

}  // namespace

RunConfig load_run_config(const std::string& path) {
  RunConfig run;
  run.jets = jets_with_window(250, 300);
  run.top_jets = jets_with_window(550, 650);
  if (path.empty()) return run;
  run.source = path;
  const Json json = load_json_file(path);
  ConfigSection top(json, path, "");
  top.optional("seed", run.seed);
  top.optional("events_per_sample", run.events_per_sample);
  if (run.events_per_sample <= 0 || run.events_per_sample > kMaxDemoEvents)
    fail(path, ": 'events_per_sample' must be in [1, ", kMaxDemoEvents, "], got ", run.events_per_sample);

  // Check the generator keys now (against a throw-away config), apply per process later.
  ConfigSection generator = top.section("generator");
  GeneratorConfig probe;
  read_fields(generator, probe);
  if (json.contains("generator")) run.generator_overrides = json["generator"];

  ConfigSection jets = top.section("jets");
  read_fields(jets, run.jets);
  ConfigSection top_jets = top.section("top_jets");
  read_fields(top_jets, run.top_jets);
  top.finish();
  try {
    run.jets.validate();
    run.top_jets.validate();
    for (Process p : {Process::W, Process::Top, Process::QCD}) generator_config(run, p).validate();
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
  return run;
}

GeneratorConfig generator_config(const RunConfig& run, Process process) {
  GeneratorConfig config = GeneratorConfig::defaults(process);
  read_fields(ConfigSection(run.generator_overrides, run.source, "generator"), config);
  return config;
}

const JetConfig& jet_config(const RunConfig& run, Process process) {
  return process == Process::Top ? run.top_jets : run.jets;
}

Json to_json(const GeneratorConfig& config) {
  Json out = write_fields(config);
  out["process"] = process_name(config.process);
  return out;
}

Json to_json(const JetConfig& config) { return write_fields(config); }

}  // namespace jetimg
