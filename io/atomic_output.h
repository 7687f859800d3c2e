// Writes an output under a temporary name next to it and renames it into
// place only when complete. An error, an exception or Ctrl-C leaves no
// half-written file and never touches an existing file of the same name.
#pragma once

#include <string>

namespace jetimg {

class AtomicOutput {
 public:
  // Checks up front that `path` can be written (its directory exists and is
  // writable, `path` is not a directory); throws Error naming it otherwise.
  explicit AtomicOutput(const std::string& path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& path() const { return path_; }
  // Moves the finished temporary file to `path`.
  void commit();

 private:
  std::string path_, temp_;
  bool committed_ = false;
  int interrupt_slot_ = -1;
};

}  // namespace jetimg
