#include "io/atomic_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "io/interrupts.h"

namespace jetimg {

AtomicOutput::AtomicOutput(const std::string& path) : path_(path) {
  namespace fs = std::filesystem;
  if (path.empty()) fail("no output path given");
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail("output '", path, "' is a directory, expected a file name");
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) fail("cannot write '", path, "': directory '", dir.string(), "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0) fail("cannot write '", path, "': directory '", dir.string(), "' is not writable");
  // NAME.tmp-PID, with NAME shortened when the whole would pass the 255
  // bytes a file name may have.
  const std::string suffix = ".tmp-" + std::to_string(::getpid());
  std::string name = fs::path(path).filename().string();
  constexpr size_t kNameMax = 255;
  if (name.size() + suffix.size() > kNameMax) name.resize(kNameMax - suffix.size());
  temp_ = (fs::path(path).parent_path() / (name + suffix)).string();
  interrupt_slot_ = remove_on_interrupt(temp_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) ::unlink(temp_.c_str());
  release_interrupt_slot(interrupt_slot_);
}

void AtomicOutput::commit() {
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    fail("cannot move finished output into place as '", path_, "': ", std::strerror(errno));
  committed_ = true;
  release_interrupt_slot(interrupt_slot_);
  interrupt_slot_ = -1;
}

}  // namespace jetimg
