// CPU reference of the image preprocessing (core/preprocess.h): one jet per
// OpenMP iteration, calling the shared routines of core/preprocess_math.h with
// a single lane.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/preprocess.h"

namespace jetimg::host {
namespace {

// One lane: the "reduction" over lanes is the value itself.
constexpr auto kSingleLane = [](double v) { return v; };

struct JetView {
  const float* constituents;
  const float* charged;  // null without charges
  int n;
  const float* subjets;
  int n_subjets;
  const float* jet;
};

JetView view_of(const JetBatch& b, int64_t j) {
  const int64_t m = b.constituents.dim(1), s = b.subjets.dim(1);
  const int n = static_cast<int>(std::clamp<float>(b.n_constituents.data()[j], 0.0f, static_cast<float>(m)));
  const int ns = static_cast<int>(std::clamp<float>(b.n_subjets.data()[j], 0.0f, static_cast<float>(s)));
  const float* charged = b.charged.defined() ? b.charged.data() + j * m : nullptr;
  return {b.constituents.data() + j * m * 4, charged, n, b.subjets.data() + j * s * 3, ns, b.jets.data() + j * 4};
}

JetFrame frame_at(const Tensor& frames, int64_t j) {
  JetFrame f;
  std::memcpy(static_cast<void*>(&f), frames.data() + j * kFrameFloats, sizeof(JetFrame));
  return f;
}

void pixelate_one(const JetView& v, const JetFrame& f, const PixelSettings& p, float* image) {
  const int plane = p.height * p.width;
  std::fill(image, image + plane * p.channels, 0.0f);
  pixelate_jet(v.constituents, v.charged, v.n, f, p, 0, 1,
               [&](int pixel, int channel, float value) { image[channel * plane + pixel] += value; });
}

}  // namespace

void compute_frames(Context&, const JetBatch& batch, const FrameSettings& settings, const PixelSettings& pixels,
                    Tensor& frames) {
  const int64_t n = batch.size();
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < n; ++j) {
    const JetView v = view_of(batch, j);
    const JetFrame f = compute_frame(v.constituents, v.n, v.subjets, v.n_subjets, v.jet, settings, pixels, 0, 1, kSingleLane);
    std::memcpy(frames.data() + j * kFrameFloats, &f, sizeof(JetFrame));
  }
}

void pixelate(Context&, const JetBatch& batch, const Tensor& frames, const PixelSettings& pixels, Tensor& images,
              bool translation_only) {
  const int64_t n = batch.size(), image_size = int64_t(pixels.channels) * pixels.height * pixels.width;
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < n; ++j) {
    JetFrame f = frame_at(frames, j);
    if (translation_only) f = JetFrame{f.eta0, f.phi0};
    pixelate_one(view_of(batch, j), f, pixels, images.data() + j * image_size);
  }
}

void normalise_images(Context&, Tensor& images, Normalisation normalisation) {
  const int64_t n = images.dim(0) * images.dim(1), plane = images.dim(2) * images.dim(3);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    float* channel = images.data() + i * plane;
    const float factor = normalisation_factor(channel, static_cast<int>(plane), normalisation, 0, 1, kSingleLane);
    for (int64_t k = 0; k < plane; ++k) channel[k] *= factor;
  }
}

void resample_images(Context&, const Tensor& in, const Tensor& frames, const PixelSettings& out_pixels, Tensor& out) {
  const int64_t n = in.dim(0), channels = in.dim(1);
  const int in_h = static_cast<int>(in.dim(2)), in_w = static_cast<int>(in.dim(3));
  const int64_t in_plane = int64_t(in_h) * in_w, out_plane = int64_t(out_pixels.height) * out_pixels.width;
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < n; ++j) {
    const JetFrame f = frame_at(frames, j);
    for (int64_t c = 0; c < channels; ++c) {
      const float* src = in.data() + (j * channels + c) * in_plane;
      float* dst = out.data() + (j * channels + c) * out_plane;
      for (int row = 0; row < out_pixels.height; ++row)
        for (int col = 0; col < out_pixels.width; ++col)
          dst[row * out_pixels.width + col] = resample_pixel(src, in_h, in_w, f, out_pixels, row, col);
    }
  }
}

// The fused path touches only the pixels constituents land in: a jet of n
// constituents has at most n non-zero pixels per channel, far fewer than the
// H·W of its image. It zeroes the image, remembers each pixel the first time
// a constituent lands in it, and normalises those pixels alone, summing them
// in pixel order so that the factor is bit-identical to normalise_images
// (zeros add nothing to the sums).
void preprocess_fused(Context&, const JetBatch& batch, const PreprocessConfig& config, Tensor& images) {
  const PixelSettings& p = config.pixels;
  const int plane = p.height * p.width;
  const int64_t n = batch.size(), image_size = int64_t(p.channels) * plane;
#pragma omp parallel
  {
    std::vector<uint8_t> seen(static_cast<size_t>(plane), 0);
    std::vector<int> touched;
#pragma omp for schedule(static)
    for (int64_t j = 0; j < n; ++j) {
      const JetView v = view_of(batch, j);
      const JetFrame f =
          compute_frame(v.constituents, v.n, v.subjets, v.n_subjets, v.jet, config.frame, p, 0, 1, kSingleLane);
      float* image = images.data() + j * image_size;
      std::memset(image, 0, sizeof(float) * static_cast<size_t>(image_size));
      touched.clear();
      pixelate_jet(v.constituents, v.charged, v.n, f, p, 0, 1, [&](int pixel, int channel, float value) {
        image[channel * plane + pixel] += value;
        if (!seen[static_cast<size_t>(pixel)]) seen[static_cast<size_t>(pixel)] = 1, touched.push_back(pixel);
      });
      std::sort(touched.begin(), touched.end());
      for (int pixel : touched) seen[static_cast<size_t>(pixel)] = 0;
      if (config.normalisation == Normalisation::None) continue;
      for (int c = 0; c < p.channels; ++c) {
        float* channel = image + c * plane;
        double total = 0;
        for (int pixel : touched)
          total += normalisation_term(static_cast<double>(channel[pixel]), config.normalisation);
        const float factor = factor_of_total(total, config.normalisation);
        for (int pixel : touched) channel[pixel] *= factor;
      }
    }
  }
}

void preprocess_from_host(Context& ctx, const JetBatch& batch, const PreprocessConfig& config, Tensor& images,
                          int64_t) {
  preprocess_fused(ctx, batch, config, images);
}

}  // namespace jetimg::host
