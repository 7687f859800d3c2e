#include "io/data_files.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace jetimg {

std::string executable_folder() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.parent_path().string();
}

std::vector<std::string> data_roots() {
  std::vector<std::string> roots;
  if (const char* dir = std::getenv("JETIMG_DATA_DIR"); dir && *dir) roots.push_back(dir);
  const std::string exe = executable_folder();
  if (!exe.empty()) {
    const std::filesystem::path e(exe);
    roots.push_back((e.parent_path() / "share" / "jetimg").string());
    roots.push_back(e.parent_path().string());
    roots.push_back(e.parent_path().parent_path().string());
  }
  return roots;
}

std::string data_file(const std::string& relative) {
  std::string searched;
  for (const std::string& root : data_roots()) {
    const std::filesystem::path p = std::filesystem::path(root) / relative;
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return p.string();
    searched += (searched.empty() ? "" : ", ") + root;
  }
  fail("jetimg's file '", relative, "' is not where jetimg looks for it (", searched.empty() ? "nowhere" : searched,
       "); set JETIMG_DATA_DIR to the folder that holds configs/ and python/");
}

std::string project_python() {
  if (const char* p = std::getenv("JETIMG_PYTHON"); p && *p) return p;
  for (const std::string& root : data_roots()) {
    const std::filesystem::path venv = std::filesystem::path(root) / ".venv" / "bin" / "python";
    if (::access(venv.c_str(), X_OK) == 0) return venv.string();
  }
  return "python3";
}

}  // namespace jetimg
