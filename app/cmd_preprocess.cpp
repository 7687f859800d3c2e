// `jetimg preprocess`: jets file -> images file, on the chosen device.
#include <cstdio>

#include "app/commands.h"
#include "app/progress.h"
#include "core/device.h"
#include "io/imaging.h"
#include "io/jets_reader.h"
#include "io/outputs.h"

namespace jetimg::app {
namespace {

struct PreprocessOptions {
  std::string input, output, config = "w", device = "auto";
  int64_t batch = 10000;
  int threads = 0;
};

void run_preprocess(const PreprocessOptions& o) {
  apply_threads(o.threads);
  refuse_outputs_over_inputs({o.input, o.config}, {o.output});
  const ImagingConfig config = load_imaging_config(o.config);
  const Device device = resolve_device(o.device);
  Progress progress("preprocess", JetsReader(o.input).size(), "jets");
  const ImagingSummary s =
      make_images_file(o.input, o.output, config, device, o.batch, [&](int64_t n) { progress.advance(n); });
  progress.done();
  const auto& p = config.preprocess.pixels;
  std::printf("preprocessed %lld jets into %dx%dx%d images (%s convention) on %s in %.2f s: %.0f jets/s overall, "
              "%.0f jets/s in the device stage -> %s\n",
              static_cast<long long>(s.jets), p.channels, p.height, p.width, config.convention.c_str(),
              device.str().c_str(), s.seconds, s.jets / s.seconds, s.jets / std::max(s.device_seconds, 1e-9),
              o.output.c_str());
}

}  // namespace

void add_preprocess_command(CLI::App& app) {
  static PreprocessOptions o;
  auto* command = app.add_subcommand("preprocess", "Turn a jets file into jet images (pixelate, centre, rotate, flip, "
                                                   "zoom, crop, normalise)");
  command->add_option("input", o.input, "jets file (from jetimg cluster)")->required();
  command->add_option("-o,--output", o.output, "images file to write (HDF5)")->required();
  command->add_option("--config", o.config, "preprocessing config (JSON), or a convention: w or top")
      ->capture_default_str();
  command->add_option("--batch", o.batch, "jets per batch on the device")->check(kPositiveCount)->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_preprocess(o); });
}

}  // namespace jetimg::app
