// JETIMG_CUDA_SYNC: the debugging switch that makes every checked CUDA launch
// wait for the device (core/cuda_sync.h). The reading of the variable is
// tested here on any machine; what it does to launches needs a GPU.
#include <cstdlib>
#include <optional>
#include <string>

#include "core/cuda_sync.h"
#include "tests/testing.h"

namespace jetimg {
namespace {

// Sets JETIMG_CUDA_SYNC for one scope and puts back what was there.
class SyncVariable {
 public:
  SyncVariable() {
    if (const char* v = std::getenv("JETIMG_CUDA_SYNC")) saved_ = v;
  }
  ~SyncVariable() {
    if (saved_) ::setenv("JETIMG_CUDA_SYNC", saved_->c_str(), 1);
    else ::unsetenv("JETIMG_CUDA_SYNC");
  }
  void set(const char* value) { ::setenv("JETIMG_CUDA_SYNC", value, 1); }
  void unset() { ::unsetenv("JETIMG_CUDA_SYNC"); }

 private:
  std::optional<std::string> saved_;
};

TEST(LaunchSyncMode, ReadsTheEnvironmentVariable) {
  SyncVariable var;
  var.unset();
  EXPECT_FALSE(cuda_sync_requested());
  for (const char* on : {"1", "true", "TRUE", "yes", "On"}) {
    var.set(on);
    EXPECT_TRUE(cuda_sync_requested()) << on;
  }
  for (const char* off : {"0", "", "false", "no", "2"}) {
    var.set(off);
    EXPECT_FALSE(cuda_sync_requested()) << '"' << off << '"';
  }
}

TEST(LaunchSyncMode, LaunchSettingIsFixedForTheProcess) {
  SyncVariable var;
  const bool first = cuda_sync_launches();
  var.set(first ? "0" : "1");
  EXPECT_EQ(cuda_sync_launches(), first);
}

}  // namespace
}  // namespace jetimg
