#include "app/training_progress.h"

#include <cmath>
#include <cstdio>

namespace jetimg::app {

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
    std::printf("epoch %lld/%lld: %s%s, %.1f s\n", static_cast<long long>(epoch), static_cast<long long>(epochs),
                values_text(values).c_str(), improved ? " (best so far)" : "", seconds);
    std::fflush(stdout);
  };
  return state;
}

}  // namespace jetimg::app
