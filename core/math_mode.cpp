#include "core/math_mode.h"

#include <atomic>

#include "core/context.h"
#include "core/error.h"
#include "core/log.h"

namespace jetimg {

const char* math_mode_name(MathMode mode) {
  switch (mode) {
    case MathMode::fp32: return "fp32";
    case MathMode::tf32: return "tf32";
    case MathMode::bf16: return "bf16";
  }
  return "fp32";
}

const char* math_mode_choices() { return "fp32, tf32 or bf16"; }

MathMode parse_math_mode(const std::string& text, const std::string& where) {
  for (MathMode mode : {MathMode::fp32, MathMode::tf32, MathMode::bf16})
    if (text == math_mode_name(mode)) return mode;
  fail(where, ": unknown math mode '", text, "' (choose ", math_mode_choices(), ")");
}

void use_math_mode(Context& ctx, MathMode mode) {
  ctx.set_math_mode(mode);
  static std::atomic<bool> told{false};
  if (mode != MathMode::fp32 && ctx.device().is_cpu() && !told.exchange(true))
    log_info(std::string("math mode ") + math_mode_name(mode) +
             ": the CPU computes float32 in every math mode (" + math_mode_name(mode) +
             " applies on a GPU only)");
}

void check_training_math_mode(MathMode mode, const std::string& what) {
  if (mode == MathMode::bf16)
    fail(what, ": --math bf16 is for inference and generation only (predict, evaluate, simulate); train with "
               "--math fp32 (the default) or --math tf32");
}

}  // namespace jetimg
