// What the benchmark programs share: a clock, the time per call of a step,
// paths in the source tree, and the figures a reference script prints as
// "<who> <what> <batch> <value>" lines.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

namespace jetimg::bench {

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds per call of `step`, after a warm-up call, over at least `budget`
// seconds and two calls.
template <typename Step>
double seconds_per_step(Step step, double budget = 2.0) {
  step();
  int runs = 0;
  const double start = now();
  double elapsed = 0;
  do {
    step();
    ++runs;
    elapsed = now() - start;
  } while (elapsed < budget || runs < 2);
  return elapsed / runs;
}

inline std::string source(const std::string& path) { return std::string(JETIMG_SOURCE_DIR) + "/" + path; }

// The "<who> <what> <batch> <value>" lines of a command's output, by
// "what batch"; other lines are echoed, indented.
inline std::map<std::string, double> run_and_parse(const std::string& command, const std::string& who) {
  std::map<std::string, double> out;
  if (FILE* pipe = ::popen((command + " 2>&1").c_str(), "r")) {
    char line[512], name[32], what[32];
    long long batch = 0;
    double value = 0;
    while (std::fgets(line, sizeof line, pipe)) {
      if (std::sscanf(line, "%31s %31s %lld %lf", name, what, &batch, &value) == 4 && name == who)
        out[std::string(what) + " " + std::to_string(batch)] = value;
      else
        std::printf("  (%s: %s", who.c_str(), line);
    }
    ::pclose(pipe);
  }
  return out;
}

// A figure of run_and_parse's map, 0 where it is missing.
inline double lookup(const std::map<std::string, double>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? 0.0 : it->second;
}

}  // namespace jetimg::bench
