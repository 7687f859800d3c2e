// The images file (HDF5), one row per jet:
//
//   images        (N, H, W) float32, or (N, C, H, W) with several channels
//   pt, eta, phi  (N) float64   of the (trimmed) jet the image was made from
//   mass, trimmed_mass (N) float64
//   tau21, tau32  (N) float64   N-subjettiness ratios of the trimmed jet
//   weight        (N) float32
//   label         (N) int32     1 signal, 0 background
//   attributes: format = "jetimg-images", version = 2 (version 1 had no tau
//               columns; they read as NaN),
//               preprocessing = JSON (every preprocessing setting),
//               provenance = JSON (the input and its own provenance)
//
// Images are chunked (256 images a chunk) and compressed; readers take rows
// in ranges so files larger than memory stream.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "io/atomic_output.h"
#include "core/config.h"
#include "core/tensor.h"
#include "io/hdf5.h"

namespace jetimg {

// The per-jet values stored beside each image.
struct ImageAux {
  std::vector<double> pt, eta, phi, mass, trimmed_mass, tau21, tau32;
  std::vector<float> weight;
  std::vector<int32_t> label;
  size_t size() const { return label.size(); }
};

class ImagesWriter {
 public:
  ImagesWriter(const std::string& path, int channels, int height, int width, const Json& preprocessing,
               const Json& provenance);
  // `images` holds aux.size() images of C·H·W floats.
  void write(const float* images, const ImageAux& aux);
  void finish();
  int64_t images_written() const { return label_.rows(); }

 private:
  AtomicOutput output_;
  h5::File file_;
  int channels_;
  h5::Appender<float> images_;
  h5::Appender<double> pt_, eta_, phi_, mass_, trimmed_mass_, tau21_, tau32_;
  h5::Appender<float> weight_;
  h5::Appender<int32_t> label_;
};

class ImagesReader {
 public:
  explicit ImagesReader(const std::string& path);
  int64_t size() const { return size_; }
  int channels() const { return channels_; }
  int height() const { return height_; }
  int width() const { return width_; }
  int64_t image_floats() const { return int64_t(channels_) * height_ * width_; }
  const Json& preprocessing() const { return preprocessing_; }
  // Whether the file stores tau21 and tau32 (version 2 and later).
  bool has_tau() const { return file_.has("tau21") && file_.has("tau32"); }
  const std::string& path() const { return file_.path(); }
  // Images [begin, begin + count) into `out` (count · C·H·W floats); a NaN or
  // infinite pixel is an Error naming the image and the pixel.
  void read_images(int64_t begin, int64_t count, float* out) const;
  ImageAux read_aux(int64_t begin, int64_t count) const;
  // Reads the file in consecutive chunks of at most `chunk` images and calls
  // fn(first, count, images) with each as a (count, C·H·W) tensor on `device`.
  void each_chunk(int64_t chunk, Device device,
                  const std::function<void(int64_t first, int64_t count, const Tensor& images)>& fn) const;

 private:
  h5::File file_;
  int64_t size_ = 0;
  int channels_ = 1, height_ = 0, width_ = 0;
  Json preprocessing_;
};

}  // namespace jetimg
