// `jetimg stats`: per-pixel mean, standard deviation and pT-reweighted mean
// (flat in jet pT) of an images file of any size, streamed in chunks on the
// device, written to a small HDF5 file.
#include <cstdio>

#include "app/commands.h"
#include "app/progress.h"
#include "core/device.h"
#include "io/image_stats.h"
#include "io/images_file.h"
#include "io/outputs.h"

namespace jetimg::app {
namespace {

struct StatsOptions {
  std::string input, output, device = "auto";
  int64_t batch = 20000;
  int pt_bins = 20;
  int threads = 0;
};

void run_stats(const StatsOptions& o) {
  apply_threads(o.threads);
  refuse_outputs_over_inputs({o.input}, {o.output});
  const Device device = resolve_device(o.device);
  Progress progress("stats", ImagesReader(o.input).size(), "images");
  Context ctx(device, 1);
  const ImageStats s = image_statistics(ctx, o.input, o.batch, o.pt_bins, [&](int64_t n) { progress.advance(n); });
  progress.done();
  write_image_stats(o.output, s);
  std::printf("%lld images of %dx%dx%d on %s: mean image total intensity %.4g, largest per-pixel std %.4g -> %s "
              "(datasets mean, std, mean_flat_pt)\n",
              static_cast<long long>(s.images), s.channels, s.height, s.width, device.str().c_str(),
              s.total_intensity, s.max_std, o.output.c_str());
}

}  // namespace

void add_stats_command(CLI::App& app) {
  static StatsOptions o;
  auto* command = app.add_subcommand("stats", "Per-pixel mean, std and flat-pT mean of an images file, streamed");
  command->add_option("input", o.input, "images file")->required();
  command->add_option("-o,--output", o.output, "statistics file to write (HDF5)")->required();
  auto* batch = command->add_option("--batch", o.batch, "images per batch on the device")
                    ->check(kPositiveCount)
                    ->capture_default_str();
  add_old_spelling(*command, batch, "--chunk");
  command->add_option("--pt-bins", o.pt_bins, "bins of jet pT for the flat-pT weights")->check(CLI::Range(1, 10000))
      ->capture_default_str();
  add_device_option(*command, o.device);
  add_threads_option(*command, o.threads);
  command->callback([] { run_stats(o); });
}

}  // namespace jetimg::app
