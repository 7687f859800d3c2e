#include "app/training_progress.h"

#include <cmath>
#include <cstdio>

#include <sys/resource.h>

namespace jetimg::app {
namespace {

// The largest resident memory of this process so far, in MiB (the kernel's
// count: every page touched, not what was asked for).
double peak_resident_mib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

}  // namespace

std::string values_text(const EpochValues& values) {
  std::string text;
  char item[96];
  for (const auto& [name, v] : values) {
    if (name == "seconds") continue;
    if (std::isfinite(v) && std::fabs(v) >= 1000)
      std::snprintf(item, sizeof item, "%s %.0f", name.c_str(), v);
    else
      std::snprintf(item, sizeof item, "%s %.5g", name.c_str(), v);
    text += (text.empty() ? "" : ", ") + std::string(item);
  }
  return text;
}

std::shared_ptr<void> print_training_progress(LoopOptions& options, int64_t epochs) {
  struct State {
    std::unique_ptr<Progress> bar;
    int64_t epoch = 0, done = 0;
  };
  auto state = std::make_shared<State>();
  options.on_step = [state, epochs](int64_t epoch, int64_t step, int64_t steps, const EpochValues& means) {
    if (epoch != state->epoch) {
      state->bar = std::make_unique<Progress>("epoch", steps, "steps");
      state->epoch = epoch, state->done = 0;
    }
    state->bar->set_label("epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + " " + values_text(means));
    state->bar->advance(step - state->done);
    state->done = step;
  };
  options.on_epoch = [state, epochs](int64_t epoch, const EpochValues& values, bool improved) {
    if (state->bar) state->bar->done();
    state->bar.reset();
    double seconds = 0;
    for (const auto& [name, v] : values)
      if (name == "seconds") seconds = v;
    std::printf("epoch %lld/%lld: %s%s, %.1f s, peak memory %.0f MiB\n", static_cast<long long>(epoch),
                static_cast<long long>(epochs), values_text(values).c_str(), improved ? " (best so far)" : "", seconds,
                peak_resident_mib());
    std::fflush(stdout);
  };
  return state;
}

}  // namespace jetimg::app
