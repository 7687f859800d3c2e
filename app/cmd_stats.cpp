// `jetimg stats`: per-pixel mean, standard deviation and pT-reweighted mean
// (flat in jet pT) of an images file of any size, streamed in chunks on the
// device, written to a small HDF5 file.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/commands.h"
#include "io/outputs.h"
#include "app/progress.h"
#include "core/device.h"
#include "core/error.h"
#include "core/ops.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/images_file.h"

namespace jetimg::app {
namespace {

struct StatsOptions {
  std::string input, output, device = "auto";
  int64_t chunk = 20000;
  int pt_bins = 20;
};

// Weights that make the pT distribution flat over `bins` equal bins.
std::vector<float> flat_pt_weights(const std::vector<double>& pt, int bins) {
  const auto [lo_it, hi_it] = std::minmax_element(pt.begin(), pt.end());
  const double lo = *lo_it, width = std::max((*hi_it - lo) / bins, 1e-12);
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  const auto bin_of = [&](double v) { return std::min(bins - 1, static_cast<int>((v - lo) / width)); };
  for (double v : pt) ++counts[static_cast<size_t>(bin_of(v))];
  int filled = 0;
  for (int64_t c : counts) filled += c > 0;
  std::vector<float> weights(pt.size());
  for (size_t i = 0; i < pt.size(); ++i)  // each filled bin gets an equal share of the total weight
    weights[i] = static_cast<float>(static_cast<double>(pt.size()) / filled / counts[static_cast<size_t>(bin_of(pt[i]))]);
  return weights;
}

void run_stats(const StatsOptions& o) {
  refuse_outputs_over_inputs({o.input}, {o.output});
  const Device device = resolve_device(o.device);
  const ImagesReader reader(o.input);
  if (reader.size() == 0) fail("'", o.input, "' holds no images");
  const int64_t floats = reader.image_floats();
  const std::vector<float> flat = flat_pt_weights(reader.read_aux(0, reader.size()).pt, o.pt_bins);

  Context ctx(device, 1);
  std::vector<double> sum(static_cast<size_t>(floats)), sum2(sum.size()), sum_flat(sum.size());
  double total_flat_weight = 0;
  std::vector<float> buffer;
  Progress progress("stats", reader.size(), "images");
  for (int64_t first = 0; first < reader.size(); first += o.chunk) {
    const int64_t count = std::min(o.chunk, reader.size() - first);
    buffer.resize(static_cast<size_t>(count * floats));
    reader.read_images(first, count, buffer.data());
    const Tensor images = Tensor::from_vector(buffer, {count, floats}).to(device);
    Tensor ones = Tensor::empty({count}, device);
    fill(ctx, ones, 1.0f);
    const Tensor weights =
        Tensor::from_vector(std::vector<float>(flat.begin() + first, flat.begin() + first + count), {count}).to(device);
    Tensor m1 = Tensor::empty({floats}, device), m2 = Tensor::empty({floats}, device);
    Tensor f1 = Tensor::empty({floats}, device), f2 = Tensor::empty({floats}, device);
    weighted_moments(ctx, images, ones, m1, m2);
    weighted_moments(ctx, images, weights, f1, f2);
    const std::vector<float> a = m1.to_vector(), b = m2.to_vector(), c = f1.to_vector();
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += a[i], sum2[i] += b[i], sum_flat[i] += c[i];
    for (int64_t i = 0; i < count; ++i) total_flat_weight += flat[static_cast<size_t>(first + i)];
    progress.advance(count);
  }
  progress.done();
  const double n = static_cast<double>(reader.size());
  std::vector<float> mean(sum.size()), stddev(sum.size()), mean_flat(sum.size());
  double intensity = 0, max_std = 0;
  for (size_t i = 0; i < sum.size(); ++i) {
    mean[i] = static_cast<float>(sum[i] / n);
    stddev[i] = static_cast<float>(std::sqrt(std::max(0.0, sum2[i] / n - (sum[i] / n) * (sum[i] / n))));
    mean_flat[i] = static_cast<float>(sum_flat[i] / total_flat_weight);
    intensity += mean[i];
    max_std = std::max<double>(max_std, stddev[i]);
  }

  AtomicOutput output(o.output);
  h5::File file = h5::File::create(output.temp_path(), output.path());
  std::vector<hsize_t> shape{hsize_t(reader.channels()), hsize_t(reader.height()), hsize_t(reader.width())};
  for (const auto& [name, values] : {std::pair{"mean", &mean}, std::pair{"std", &stddev}, std::pair{"mean_flat_pt", &mean_flat}}) {
    h5::Appender<float> dataset(file, name, {shape[1], shape[2]}, shape[0]);
    dataset.append(values->data(), shape[0]);
  }
  file.write_attribute("format", std::string("jetimg-image-stats"));
  file.write_attribute("images", static_cast<int64_t>(reader.size()));
  file.write_attribute("pt_bins", static_cast<int64_t>(o.pt_bins));
  file.write_attribute("input", o.input);
  file.close();
  output.commit();
  std::printf("%lld images of %dx%dx%d on %s: mean image total intensity %.4g, largest per-pixel std %.4g -> %s "
              "(datasets mean, std, mean_flat_pt)\n",
              static_cast<long long>(reader.size()), reader.channels(), reader.height(), reader.width(),
              device.str().c_str(), intensity, max_std, o.output.c_str());
}

}  // namespace

void add_stats_command(CLI::App& app) {
  static StatsOptions o;
  auto* command = app.add_subcommand("stats", "Per-pixel mean, std and flat-pT mean of an images file, streamed");
  command->add_option("input", o.input, "images file")->required();
  command->add_option("-o,--output", o.output, "statistics file to write (HDF5)")->required();
  command->add_option("--chunk", o.chunk, "images per chunk")->check(kPositiveCount)->capture_default_str();
  command->add_option("--pt-bins", o.pt_bins, "bins of jet pT for the flat-pT weights")->check(CLI::Range(1, 10000))
      ->capture_default_str();
  add_device_option(*command, o.device);
  command->callback([] { run_stats(o); });
}

}  // namespace jetimg::app
