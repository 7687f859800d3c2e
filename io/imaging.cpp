// The jets -> images stage (see io/imaging.h).
#include "io/imaging.h"

#include <algorithm>
#include <chrono>

#include "core/context.h"
#include "core/error.h"
#include "core/ops.h"
#include "io/images_file.h"
#include "io/jet_batch.h"
#include "io/jets_reader.h"

namespace jetimg {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ImagingSummary make_images_file(const std::string& jets_path, const std::string& images_path,
                                const ImagingConfig& config, Device device, int64_t batch_size,
                                const std::function<void(int64_t)>& on_batch) {
  const PreprocessConfig& p = config.preprocess;
  p.validate();
  if (batch_size < 1) fail("make_images_file: batch size ", batch_size, ", expected at least 1");
  const JetsReader reader(jets_path);
  const Json provenance = {{"input", jets_path}, {"input_provenance", reader.provenance()},
                           {"device", device.str()}, {"program", "jetimg preprocess 0.1.0"}};
  ImagesWriter writer(images_path, p.channels(), p.pixels.height, p.pixels.width, to_json(config), provenance);
  Context ctx(device, 1);
  ImagingSummary summary;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < reader.size(); first += batch_size) {
    const int64_t count = std::min(batch_size, reader.size() - first);
    const JetsTable table = reader.read(first, count);
    const JetBatch batch = batch_from_table(table, 0, count, config.constituents, p.pixels.needs_charge());
    const auto device_start = std::chrono::steady_clock::now();
    Tensor images = Tensor::empty({count, p.channels(), p.pixels.height, p.pixels.width}, device);
    preprocess(ctx, batch.to(device), p, images);
    const Tensor on_host = images.to(Device::cpu());
    summary.device_seconds += seconds_since(device_start);
    ImageAux aux{table.pt,    table.eta,   table.phi,    table.mass, table.trimmed_mass,
                 table.tau21, table.tau32, table.weight, table.label};
    writer.write(on_host.data(), aux);
    if (on_batch) on_batch(count);
  }
  writer.finish();
  summary.jets = reader.size();
  summary.seconds = seconds_since(start);
  return summary;
}

std::vector<double> mean_image(const std::string& images_path, Device device, int64_t chunk) {
  if (chunk < 1) fail("mean_image: chunk of ", chunk, " images, expected at least 1");
  const ImagesReader reader(images_path);
  const int64_t plane = int64_t(reader.height()) * reader.width(), floats = reader.image_floats();
  std::vector<double> total(static_cast<size_t>(plane), 0.0);
  Context ctx(device, 1);
  reader.each_chunk(chunk, device, [&](int64_t, int64_t, const Tensor& images) {
    Tensor sums = Tensor::empty({floats}, device);
    sum_rows(ctx, images, sums);
    const std::vector<float> host = sums.to_vector();
    for (int64_t i = 0; i < plane; ++i) total[static_cast<size_t>(i)] += host[static_cast<size_t>(i)];
  });
  for (double& v : total) v /= std::max<int64_t>(reader.size(), 1);
  return total;
}

}  // namespace jetimg
