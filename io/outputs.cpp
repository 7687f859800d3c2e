#include "io/outputs.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"

namespace jetimg {
namespace {

namespace fs = std::filesystem;

// The absolute, normalised path with every existing part's links resolved.
std::string resolved(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  return resolved(a) == resolved(b);
}

std::string list(const std::vector<std::string>& names) {
  std::string s;
  const size_t shown = std::min<size_t>(names.size(), 5);
  for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > shown) s += ", ... (" + std::to_string(names.size()) + " in all)";
  return s;
}

}  // namespace

void refuse_outputs_over_inputs(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  for (size_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].empty()) continue;
    for (const std::string& input : inputs)
      if (!input.empty() && same_file(input, outputs[o]))
        fail("output '", outputs[o], "' is the input '", input,
             "': writing it would destroy the input; choose another output name");
    for (size_t p = 0; p < o; ++p)
      if (!outputs[p].empty() && same_file(outputs[p], outputs[o]))
        fail("outputs '", outputs[p], "' and '", outputs[o], "' are the same file; choose different names");
  }
}

std::vector<std::string> run_files_in(const std::string& dir, const std::vector<std::string>& run_files) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const std::string& pattern : run_files)
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
        found.push_back(name);
        break;
      }
  }
  std::sort(found.begin(), found.end());
  return found;
}

void make_output_folder(const std::string& dir) {
  if (dir.empty()) fail("no output folder given");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    fail("output folder '", dir, "' is a file, expected a folder (or a name that does not exist yet)");
  if (!fs::is_directory(dir, ec) && !fs::create_directories(dir, ec))
    fail("cannot make the output folder '", dir, "': ", ec ? ec.message() : "unknown reason");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail("output folder '", dir, "' is not writable");
}

void refuse_folder_over_inputs(const std::vector<std::string>& inputs, const std::string& dir,
                               const std::vector<std::string>& patterns) {
  const std::string folder = resolved(dir);
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    const fs::path in(resolved(input));
    if (in.parent_path().string() != folder) continue;
    const std::string name = in.filename().string();
    for (const std::string& pattern : patterns)
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0)
        fail("output folder '", dir, "' would get a new '", name, "', but that file is the input '", input,
             "': writing it would destroy the input; choose another output folder");
  }
  // The same files reached another way (hard links).
  for (const std::string& name : run_files_in(dir, patterns))
    for (const std::string& input : inputs)
      if (!input.empty() && same_file(input, (fs::path(dir) / name).string()))
        fail("output folder '", dir, "' would get a new '", name, "', but that file is the input '", input,
             "': writing it would destroy the input; choose another output folder");
}

void check_run_folder(const std::string& dir, RunStart start, const std::vector<std::string>& run_files,
                      const std::vector<std::string>& inputs) {
  if (dir.empty()) fail("no output folder given");
  refuse_folder_over_inputs(inputs, dir, run_files);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    fail("output folder '", dir, "' is a file, expected a folder (or a name that does not exist yet)");
  if (fs::is_directory(dir, ec) && ::access(dir.c_str(), W_OK | X_OK) != 0)
    fail("output folder '", dir, "' is not writable");
  if (start == RunStart::Fresh && fs::is_directory(dir, ec)) {
    std::vector<std::string> present;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec))
      present.push_back(entry.path().filename().string());
    std::sort(present.begin(), present.end());
    if (!present.empty())
      fail("output folder '", dir, "' is not empty (it holds ", list(present),
           "); give --resume with its last.h5 to continue that run, --overwrite to replace it, or another folder");
  }
}

void prepare_run_folder(const std::string& dir, RunStart start, const std::vector<std::string>& run_files,
                        const std::vector<std::string>& inputs) {
  check_run_folder(dir, start, run_files, inputs);
  make_output_folder(dir);
  std::error_code ec;
  if (start == RunStart::Overwrite) {
    for (const std::string& name : run_files_in(dir, run_files))
      if (!fs::remove(fs::path(dir) / name, ec) && ec)
        fail("cannot remove '", (fs::path(dir) / name).string(), "' of the previous run: ", ec.message());
  }
}

}  // namespace jetimg
