// Per-pixel statistics of an images file (see io/image_stats.h).
#include "io/image_stats.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/images_file.h"

namespace jetimg {

std::vector<float> flat_pt_weights(const std::vector<double>& pt, int bins) {
  if (pt.empty()) return {};
  if (bins < 1) fail("flat_pt_weights: ", bins, " bins, expected at least 1");
  const auto [lo_it, hi_it] = std::minmax_element(pt.begin(), pt.end());
  const double lo = *lo_it, width = std::max((*hi_it - lo) / bins, 1e-12);
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  const auto bin_of = [&](double v) { return std::min(bins - 1, static_cast<int>((v - lo) / width)); };
  for (double v : pt) ++counts[static_cast<size_t>(bin_of(v))];
  int filled = 0;
  for (int64_t c : counts) filled += c > 0;
  std::vector<float> weights(pt.size());
  for (size_t i = 0; i < pt.size(); ++i)
    weights[i] = static_cast<float>(static_cast<double>(pt.size()) / filled / counts[static_cast<size_t>(bin_of(pt[i]))]);
  return weights;
}

ImageStats image_statistics(Context& ctx, const std::string& images_path, int64_t chunk, int pt_bins,
                            const std::function<void(int64_t)>& on_chunk) {
  if (chunk < 1) fail("image_statistics: chunk of ", chunk, " images, expected at least 1");
  if (pt_bins < 1) fail("image_statistics: ", pt_bins, " pT bins, expected at least 1");
  const Device device = ctx.device();
  const ImagesReader reader(images_path);
  if (reader.size() == 0) fail("'", images_path, "' holds no images");
  const int64_t floats = reader.image_floats();
  const std::vector<float> flat = flat_pt_weights(reader.read_aux(0, reader.size()).pt, pt_bins);

  // Sums in double across chunks: a file of millions of images would lose
  // the small pixels' contributions in float.
  std::vector<double> sum(static_cast<size_t>(floats)), sum2(sum.size()), sum_flat(sum.size());
  double total_flat_weight = 0;
  reader.each_chunk(chunk, device, [&](int64_t first, int64_t count, const Tensor& images) {
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
    if (on_chunk) on_chunk(count);
  });

  ImageStats s;
  s.input = images_path;
  s.images = reader.size();
  s.channels = reader.channels(), s.height = reader.height(), s.width = reader.width();
  s.pt_bins = pt_bins;
  const double n = static_cast<double>(reader.size());
  s.mean.resize(sum.size()), s.stddev.resize(sum.size()), s.mean_flat_pt.resize(sum.size());
  for (size_t i = 0; i < sum.size(); ++i) {
    s.mean[i] = static_cast<float>(sum[i] / n);
    s.stddev[i] = static_cast<float>(std::sqrt(std::max(0.0, sum2[i] / n - (sum[i] / n) * (sum[i] / n))));
    s.mean_flat_pt[i] = static_cast<float>(sum_flat[i] / total_flat_weight);
    s.total_intensity += s.mean[i];
    s.max_std = std::max<double>(s.max_std, s.stddev[i]);
  }
  return s;
}

void write_image_stats(const std::string& path, const ImageStats& stats) {
  const size_t pixels = static_cast<size_t>(stats.channels) * stats.height * stats.width;
  if (stats.channels < 1 || stats.height < 1 || stats.width < 1 || stats.mean.size() != pixels ||
      stats.stddev.size() != pixels || stats.mean_flat_pt.size() != pixels)
    fail("write_image_stats '", path, "': ", stats.mean.size(), ", ", stats.stddev.size(), " and ",
         stats.mean_flat_pt.size(), " values for images of ", stats.channels, "x", stats.height, "x", stats.width);
  AtomicOutput output(path);
  h5::File file = h5::File::create(output.temp_path(), output.path());
  const std::vector<hsize_t> shape{hsize_t(stats.channels), hsize_t(stats.height), hsize_t(stats.width)};
  for (const auto& [name, values] : {std::pair{"mean", &stats.mean}, std::pair{"std", &stats.stddev},
                                     std::pair{"mean_flat_pt", &stats.mean_flat_pt}}) {
    h5::Appender<float> dataset(file, name, {shape[1], shape[2]}, shape[0]);
    dataset.append(values->data(), shape[0]);
  }
  file.write_attribute("format", std::string("jetimg-image-stats"));
  file.write_attribute("images", static_cast<int64_t>(stats.images));
  file.write_attribute("pt_bins", static_cast<int64_t>(stats.pt_bins));
  file.write_attribute("input", stats.input);
  file.close();
  output.commit();
}

}  // namespace jetimg
