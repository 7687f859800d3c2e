// bench_cluster: events/s for reading (FastJet text and HepMC2) and for
// jetimg's clustering + trimming + N-subjettiness on 1 thread and on all
// threads, beside FastJet's own plain anti-kT (R = 1.0) on the same events in
// the same run.
//
//   bench_cluster [--copies K] [--hepmc FILE]
//
// The events are fastjet-examples' Pythia-PtMin1000-LHC-10ev.dat written K
// times (default 300) into one text file; --hepmc adds a HepMC2 file made of
// K copies of FILE's events (e.g. ../shared/data/sherpa_wz.hepmc).
#include <fastjet/ClusterSequence.hh>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "io/event_source.h"
#include "physics/jets.h"
#include "physics/nsubjettiness.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Reads the whole file in batches; prints the rate and returns the events.
std::vector<jetimg::Event> time_reading(const std::string& path, const char* what) {
  std::vector<jetimg::Event> events;
  const auto start = Clock::now();
  auto source = jetimg::open_event_source(path);
  for (auto batch = source->read_batch(1000); !batch.empty(); batch = source->read_batch(1000))
    for (auto& e : batch.events) events.push_back(std::move(e));
  const double seconds = since(start);
  size_t particles = 0;
  for (const auto& e : events) particles += e.size();
  std::printf("read %-8s %7zu events %9zu particles %8.3f s  %10.0f events/s  %6.1f MB/s\n", what, events.size(),
              particles, seconds, events.size() / seconds, std::filesystem::file_size(path) / seconds / 1e6);
  return events;
}

}  // namespace

int main(int argc, char** argv) {
  int copies = 300;
  std::string hepmc;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--copies" && i + 1 < argc) copies = std::atoi(argv[++i]);
    else if (arg == "--hepmc" && i + 1 < argc) hepmc = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_cluster [--copies K] [--hepmc FILE]\n");
      return 2;
    }
  }
  jetimg::quiet_fastjet();
  const auto dir = std::filesystem::temp_directory_path() / ("jetimg_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  // Inputs: K copies of the example events.
  const std::string text = slurp("/usr/share/doc/fastjet-examples/examples/Pythia-PtMin1000-LHC-10ev.dat");
  const std::string text_path = (dir / "events.dat").string();
  {
    std::ofstream out(text_path);
    for (int k = 0; k < copies; ++k) out << text << (text.size() && text.back() == '\n' ? "" : "\n") << "#END\n";
  }
  std::vector<jetimg::Event> events = time_reading(text_path, "text");
  if (!hepmc.empty()) {
    const std::string all = slurp(hepmc);
    const size_t first = all.find("\nE ") + 1, footer = all.find("HepMC::IO_GenEvent-END");
    const std::string hepmc_path = (dir / "events.hepmc").string();
    std::ofstream out(hepmc_path);
    out << all.substr(0, first);
    for (int k = 0; k < copies; ++k) out << all.substr(first, footer - first);
    out << all.substr(footer);
    out.close();
    time_reading(hepmc_path, "hepmc2");
  }

  jetimg::JetConfig config;
  config.pt_min = 0, config.eta_max = 10;
  const int all_threads = omp_get_max_threads();
  for (int threads : {1, all_threads}) {
    omp_set_num_threads(threads);
    const auto start = Clock::now();
    const auto jets = jetimg::leading_jets(events, config);
    const double seconds = since(start);
    std::printf("jetimg anti-kT + trimming + tau1..3, %2d thread(s): %8.3f s  %10.0f events/s\n", threads, seconds,
                events.size() / seconds);
    if (threads == all_threads && all_threads == 1) break;
  }
  {  // FastJet alone: anti-kT R = 1.0 and the pT-sorted inclusive jets, one thread.
    const auto start = Clock::now();
    double checksum = 0;
    for (const auto& event : events) {
      std::vector<fastjet::PseudoJet> inputs;
      inputs.reserve(event.size());
      for (const auto& p : event) inputs.emplace_back(p.p.px, p.p.py, p.p.pz, p.p.E);
      const fastjet::ClusterSequence sequence(inputs, fastjet::JetDefinition(fastjet::antikt_algorithm, 1.0));
      checksum += fastjet::sorted_by_pt(sequence.inclusive_jets()).front().pt();
    }
    const double seconds = since(start);
    std::printf("FastJet plain anti-kT R=1.0,               1 thread : %8.3f s  %10.0f events/s  (checksum %.1f)\n",
                seconds, events.size() / seconds, checksum);
  }
  {  // The N-subjettiness share: τ1..τ3 alone on the trimmed jets' constituents.
    omp_set_num_threads(1);
    const auto jets = jetimg::leading_jets(events, config);
    std::vector<std::vector<jetimg::FourVector>> trimmed;
    for (const auto& j : jets) {
      trimmed.emplace_back();
      for (size_t i = 0; i < j->constituents.size(); ++i)
        if (j->in_trimmed[i]) trimmed.back().push_back(j->constituents[i]);
    }
    const auto start = Clock::now();
    double checksum = 0;
    for (const auto& c : trimmed) checksum += jetimg::nsubjettiness_123(c).tau21;
    const double seconds = since(start);
    std::printf("of which tau1..3 alone,                    1 thread : %8.3f s  %10.0f jets/s  (checksum %.3f)\n",
                seconds, trimmed.size() / seconds, checksum);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
