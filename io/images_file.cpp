#include "io/images_file.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/preprocess_math.h"

namespace jetimg {
namespace {

std::vector<hsize_t> image_shape(int channels, int height, int width) {
  if (channels == 1) return {hsize_t(height), hsize_t(width)};
  return {hsize_t(channels), hsize_t(height), hsize_t(width)};
}

}  // namespace

ImagesWriter::ImagesWriter(const std::string& path, int channels, int height, int width, const Json& preprocessing,
                           const Json& provenance)
    : output_(path),
      file_(h5::File::create(output_.temp_path(), output_.path())),
      channels_(channels),
      images_(file_, "images", image_shape(channels, height, width), 256),
      pt_(file_, "pt", {}),
      eta_(file_, "eta", {}),
      phi_(file_, "phi", {}),
      mass_(file_, "mass", {}),
      trimmed_mass_(file_, "trimmed_mass", {}),
      tau21_(file_, "tau21", {}),
      tau32_(file_, "tau32", {}),
      weight_(file_, "weight", {}),
      label_(file_, "label", {}) {
  file_.write_attribute("format", std::string("jetimg-images"));
  file_.write_attribute("version", int64_t{2});
  file_.write_attribute("preprocessing", preprocessing.dump());
  file_.write_attribute("provenance", provenance.dump());
}

void ImagesWriter::write(const float* images, const ImageAux& aux) {
  const size_t n = aux.size();
  if (aux.pt.size() != n || aux.eta.size() != n || aux.phi.size() != n || aux.mass.size() != n ||
      aux.trimmed_mass.size() != n || aux.tau21.size() != n || aux.tau32.size() != n || aux.weight.size() != n)
    fail("ImagesWriter: the per-jet columns have different lengths");
  images_.append(images, n);
  pt_.append(aux.pt.data(), n);
  eta_.append(aux.eta.data(), n);
  phi_.append(aux.phi.data(), n);
  mass_.append(aux.mass.data(), n);
  trimmed_mass_.append(aux.trimmed_mass.data(), n);
  tau21_.append(aux.tau21.data(), n);
  tau32_.append(aux.tau32.data(), n);
  weight_.append(aux.weight.data(), n);
  label_.append(aux.label.data(), n);
}

void ImagesWriter::finish() {
  file_.close();
  output_.commit();
}

ImagesReader::ImagesReader(const std::string& path) : file_(h5::File::open(path)) {
  file_.require_format("jetimg-images", 2, "a jetimg images file");
  using h5::Elements;
  constexpr int64_t any = h5::kAnySize;
  const std::vector<hsize_t> d =
      file_.require("images", file_.dims("images").size() == 4 ? std::vector<int64_t>{any, any, any, any}
                                                                : std::vector<int64_t>{any, any, any},
                    Elements::Float32)
          .dims;
  const bool has_channels = d.size() == 4;
  const hsize_t c = has_channels ? d[1] : 1, h = d[d.size() - 2], w = d[d.size() - 1];
  if (c < 1 || c > static_cast<hsize_t>(kMaxChannels) || h < 1 || h > static_cast<hsize_t>(kMaxImageSide) || w < 1 || w > static_cast<hsize_t>(kMaxImageSide))
    fail("'", path, "': dataset 'images' is ", h5::shape_string(d), ": expected 1 to ", kMaxChannels,
         " channels of 1 to ", kMaxImageSide, " pixels a side");
  channels_ = static_cast<int>(c), height_ = static_cast<int>(h), width_ = static_cast<int>(w);
  size_ = static_cast<int64_t>(d[0]);
  for (const char* name : {"pt", "eta", "phi", "mass", "trimmed_mass"}) file_.require(name, {size_}, Elements::Float64);
  for (const char* name : {"tau21", "tau32"})
    if (file_.has(name)) file_.require(name, {size_}, Elements::Float64);
  file_.require("weight", {size_}, Elements::Float32);
  file_.require("label", {size_}, Elements::Int32);
  preprocessing_ = file_.read_json_attribute("preprocessing");
}

void ImagesReader::read_images(int64_t begin, int64_t count, float* out) const {
  const size_t floats = static_cast<size_t>(image_floats());
  file_.read_rows("images", static_cast<hsize_t>(begin), static_cast<hsize_t>(count), out,
                  static_cast<size_t>(count) * floats);
  for (size_t k = 0; k < static_cast<size_t>(count) * floats; ++k)
    if (!std::isfinite(out[k])) {
      const size_t pixel = k % floats, plane = static_cast<size_t>(height_) * width_;
      fail("'", file_.path(), "': image ", begin + static_cast<int64_t>(k / floats), " has a non-finite pixel (",
           out[k], " in channel ", pixel / plane, ", row ", pixel % plane / width_, ", column ", pixel % width_, ")");
    }
}

ImageAux ImagesReader::read_aux(int64_t begin, int64_t count) const {
  ImageAux aux;
  const auto column = [&](const char* name, auto& values) {
    values.resize(static_cast<size_t>(count));
    file_.read_rows(name, static_cast<hsize_t>(begin), static_cast<hsize_t>(count), values.data(), values.size());
  };
  column("pt", aux.pt);
  column("eta", aux.eta);
  column("phi", aux.phi);
  column("mass", aux.mass);
  column("trimmed_mass", aux.trimmed_mass);
  const auto optional_column = [&](const char* name, std::vector<double>& values) {
    if (file_.has(name))
      column(name, values);
    else
      values.assign(static_cast<size_t>(count), std::nan(""));  // a version-1 file
  };
  optional_column("tau21", aux.tau21);
  optional_column("tau32", aux.tau32);
  column("weight", aux.weight);
  column("label", aux.label);
  // The values later stages compute with are numbers they can use (tau21
  // and tau32 are NaN only where a version-1 file has none).
  const auto refuse = [&](const char* name, size_t i, double value, const char* expected) {
    fail("'", file_.path(), "': dataset '", name, "', image ", begin + static_cast<int64_t>(i), ": ", value,
         " where ", expected, " was expected");
  };
  const bool stored_tau[2] = {file_.has("tau21"), file_.has("tau32")};
  for (size_t i = 0; i < aux.size(); ++i) {
    for (const auto& [name, values] : {std::pair<const char*, const std::vector<double>*>{"eta", &aux.eta},
                                       {"phi", &aux.phi}})
      if (!std::isfinite((*values)[i])) refuse(name, i, (*values)[i], "a finite number");
    for (const auto& [name, values] : {std::pair<const char*, const std::vector<double>*>{"pt", &aux.pt},
                                       {"mass", &aux.mass},
                                       {"trimmed_mass", &aux.trimmed_mass}})
      if (!((*values)[i] >= 0) || std::isinf((*values)[i])) refuse(name, i, (*values)[i], "a finite number >= 0");
    if (stored_tau[0] && !std::isfinite(aux.tau21[i])) refuse("tau21", i, aux.tau21[i], "a finite number");
    if (stored_tau[1] && !std::isfinite(aux.tau32[i])) refuse("tau32", i, aux.tau32[i], "a finite number");
    if (!(aux.weight[i] >= 0) || std::isinf(aux.weight[i]))
      refuse("weight", i, aux.weight[i], "a finite weight >= 0 (negative weights are not supported)");
  }
  return aux;
}

void ImagesReader::each_chunk(
    int64_t chunk, Device device,
    const std::function<void(int64_t first, int64_t count, const Tensor& images)>& fn) const {
  if (chunk < 1) fail("'", path(), "': chunks of ", chunk, " images, expected at least 1");
  std::vector<float> buffer;
  for (int64_t first = 0; first < size_; first += chunk) {
    const int64_t count = std::min(chunk, size_ - first);
    buffer.resize(static_cast<size_t>(count * image_floats()));
    read_images(first, count, buffer.data());
    fn(first, count, Tensor::from_vector(buffer, {count, image_floats()}).to(device));
  }
}

}  // namespace jetimg
