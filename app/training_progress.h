// What the training subcommands print while the loop runs: a progress bar
// over each epoch's steps with the running losses, and one line per epoch
// with every value the task measured.
#pragma once

#include <memory>
#include <string>

#include "app/progress.h"
#include "models/train_loop.h"

namespace jetimg::app {

// Sets options.on_step and options.on_epoch to print for a run of `epochs`
// epochs; `unit` names what a step counts ("steps"). The returned object
// holds the bar: keep it alive while training.
std::shared_ptr<void> print_training_progress(LoopOptions& options, int64_t epochs);

// "train_loss 0.4263, val_loss 0.3943, lr 0.001": values for one line.
std::string values_text(const EpochValues& values);

}  // namespace jetimg::app
