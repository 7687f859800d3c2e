// Shared test helpers: the device list for typed tests, the one tolerance
// check (|got - ref| <= atol + rtol * |ref|), and paths to test data.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/tensor.h"

namespace jetimg::testing {

struct Cpu {
  static Device device() { return Device::cpu(); }
};
struct Cuda {
  static Device device() { return Device::cuda(0); }
};
using Devices = ::testing::Types<Cpu, Cuda>;

// Names the typed cases "Cpu" and "Cuda" so ctest can split them by label.
struct DeviceNames {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same<T, Cpu>::value ? "Cpu" : "Cuda";
  }
};

// Skips the current test when `device` is a CUDA device this machine lacks.
// The message starts with "no GPU to run on", which ctest reports as a skip.
#define JI_SKIP_WITHOUT(device)                                                 \
  do {                                                                          \
    if ((device).is_cuda()) {                                                   \
      std::string reason_;                                                      \
      if (::jetimg::cuda_device_count(&reason_) == 0)                           \
        GTEST_SKIP() << "no GPU to run on (" << reason_ << ")";                 \
    }                                                                           \
  } while (0)

template <typename DeviceT>
class DeviceTest : public ::testing::Test {
 protected:
  void SetUp() override { JI_SKIP_WITHOUT(DeviceT::device()); }
  Device device() const { return DeviceT::device(); }
};

// Compares element by element with |got - ref| <= atol + rtol * |ref| and
// reports the first few failures with their index.
::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& ref, double atol,
                                     double rtol);
inline ::testing::AssertionResult all_close(const Tensor& got, const Tensor& ref, double atol, double rtol) {
  if (got.shape() != ref.shape())
    return ::testing::AssertionFailure() << "shape " << got.shape().str() << " vs " << ref.shape().str();
  return all_close(got.to_vector(), ref.to_vector(), atol, rtol);
}

// A fresh scratch directory for one test, removed at exit of the test binary.
std::string scratch_dir(const std::string& name);

// Writes `text` to dir/name and returns the path.
std::string write_text_file(const std::string& dir, const std::string& name, const std::string& text);

// The message of the jetimg::Error that `f` throws, or "" when it throws none.
template <typename F>
std::string error_message_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ../shared/data (real event files) and the fastjet-examples data directory.
std::string shared_data(const std::string& file);

// tests/data (fixtures committed with the project, e.g. pythia/w_pythia8.hepmc3.gz).
std::string test_data(const std::string& file);

}  // namespace jetimg::testing
