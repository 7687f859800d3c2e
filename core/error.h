// Errors a person can act on. `Error` carries a complete, user-facing message
// (which file, which record, what was expected); the command-line tool prints
// it as one line and exits non-zero. `DeviceError` is a CUDA, cuBLAS or cuDNN
// failure and carries the failing call with its file and line.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace jetimg {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class DeviceError : public Error {
 public:
  explicit DeviceError(const std::string& message) : Error(message) {}
};

// Builds a message from any streamable pieces: fail("file ", path, ": bad row ", i).
template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  std::ostringstream message;
  (message << ... << std::forward<Parts>(parts));
  throw Error(message.str());
}

}  // namespace jetimg
