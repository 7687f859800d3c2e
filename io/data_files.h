// Files jetimg ships beside its binary (configs/, python/, bench/reference/),
// found without a path compiled into the binary: relative to the running
// binary, so that a build tree, an installed copy (cmake --install) and a
// moved bundle all find their own. Searched in order:
//   $JETIMG_DATA_DIR, if set;
//   <binary's folder>/../share/jetimg   (installed: bin/jetimg, share/jetimg/configs/...)
//   <binary's folder>/..                (a build tree: build/jetimg)
//   <binary's folder>/../..             (build/tests/jetimg_tests, build/bench/bench_x)
#pragma once

#include <string>
#include <vector>

namespace jetimg {

// The folder of the running binary ("" if it cannot be told).
std::string executable_folder();
// The places searched, in order.
std::vector<std::string> data_roots();
// The path of `relative` (e.g. "configs/calogan.json") in the first place
// that has it; an Error naming the places searched otherwise.
std::string data_file(const std::string& relative);
// The Python that runs the project's scripts: $JETIMG_PYTHON, else the
// project's .venv beside the data files (a build tree), else python3 on PATH.
std::string project_python();

}  // namespace jetimg
