// One place for the lines jetimg prints about itself (to stderr, so that
// stdout stays for results).
#pragma once

#include <string>

namespace jetimg {

enum class LogLevel { Quiet = 0, Info = 1, Debug = 2 };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_info(const std::string& message);
void log_warning(const std::string& message);

}  // namespace jetimg
