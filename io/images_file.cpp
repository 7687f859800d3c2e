#include "io/images_file.h"

#include <cmath>

#include "core/error.h"

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
      file_(h5::File::create(output_.temp_path())),
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
  if (!file_.has_attribute("format") || file_.read_string_attribute("format") != "jetimg-images")
    fail("'", path, "' is not a jetimg images file (attribute format = \"jetimg-images\" is missing)");
  const std::vector<hsize_t> d = file_.dims("images");
  if (d.size() == 3) {
    channels_ = 1, height_ = static_cast<int>(d[1]), width_ = static_cast<int>(d[2]);
  } else if (d.size() == 4) {
    channels_ = static_cast<int>(d[1]), height_ = static_cast<int>(d[2]), width_ = static_cast<int>(d[3]);
  } else {
    fail("'", path, "': dataset 'images' must be (N, H, W) or (N, C, H, W)");
  }
  size_ = static_cast<int64_t>(d[0]);
  for (const char* name : {"pt", "eta", "phi", "mass", "trimmed_mass", "weight", "label"}) {
    const std::vector<hsize_t> rows = file_.dims(name);
    if (rows.size() != 1 || rows[0] != d[0]) fail("'", path, "': dataset '", name, "' must have ", d[0], " rows");
  }
  try {
    preprocessing_ = Json::parse(file_.read_string_attribute("preprocessing"));
  } catch (const Json::parse_error&) {
    fail("'", path, "': attribute 'preprocessing' is not valid JSON");
  }
}

void ImagesReader::read_images(int64_t begin, int64_t count, float* out) const {
  file_.read_rows("images", static_cast<hsize_t>(begin), static_cast<hsize_t>(count), out);
}

ImageAux ImagesReader::read_aux(int64_t begin, int64_t count) const {
  ImageAux aux;
  const auto column = [&](const char* name, auto& values) {
    values.resize(static_cast<size_t>(count));
    file_.read_rows(name, static_cast<hsize_t>(begin), static_cast<hsize_t>(count), values.data());
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
  return aux;
}

}  // namespace jetimg
