#include "tests/testing.h"

#include <system_error>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace jetimg::testing {

::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& ref, double atol,
                                     double rtol) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << "sizes differ: " << got.size() << " vs " << ref.size();
  size_t failures = 0;
  std::ostringstream report;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], r = ref[i];
    const bool ok = std::isfinite(r) ? std::abs(g - r) <= atol + rtol * std::abs(r) : (std::isnan(r) ? std::isnan(g) : g == r);
    if (!ok && failures++ < 5) report << "\n  [" << i << "] got " << g << " expected " << r << " (diff " << g - r << ")";
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << failures << " of " << got.size() << " elements differ beyond atol=" << atol
                                       << " rtol=" << rtol << report.str();
}

std::string scratch_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "global";
  for (char& c : test)
    if (c == '/') c = '_';
  const auto dir = std::filesystem::temp_directory_path() / ("jetimg_test_" + std::to_string(::getpid())) / test / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string write_text_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string shared_data(const std::string& file) { return std::string(JETIMG_SHARED_DATA_DIR) + "/" + file; }

std::string test_data(const std::string& file) { return std::string(JETIMG_TEST_DATA_DIR) + "/" + file; }

}  // namespace jetimg::testing

namespace {
// Removes this process's scratch directories when the test binary finishes.
class ScratchCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("jetimg_test_" + std::to_string(::getpid())),
                                ignored);
  }
};
[[maybe_unused]] auto* const g_cleanup = ::testing::AddGlobalTestEnvironment(new ScratchCleanup);
}  // namespace
