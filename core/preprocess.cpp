#include "core/preprocess.h"

#include <algorithm>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/op_checks.h"

namespace jetimg {
namespace {

void check_batch(const Context& ctx, const JetBatch& b) {
  const Tensor* parts[] = {&b.constituents, &b.n_constituents, &b.subjets, &b.n_subjets, &b.jets};
  const char* names[] = {"constituents", "n_constituents", "subjets", "n_subjets", "jets"};
  for (int i = 0; i < 5; ++i) {
    if (!parts[i]->defined()) fail("jet batch: '", names[i], "' is missing");
    if (parts[i]->device() != ctx.device())
      fail("jet batch: '", names[i], "' is on ", parts[i]->device().str(), " but the context runs on ", ctx.device().str());
  }
  const int64_t n = b.constituents.ndim() == 3 ? b.constituents.dim(0) : -1;
  if (n < 0 || b.constituents.dim(1) < 1 || b.constituents.dim(2) != 4)
    fail("jet batch: constituents must be (N, M, 4) with M >= 1, got ", b.constituents.shape().str());
  if (b.subjets.ndim() != 3 || b.subjets.dim(0) != n || b.subjets.dim(1) < 1 || b.subjets.dim(2) != 3)
    fail("jet batch: subjets must be (", n, ", S, 3) with S >= 1, got ", b.subjets.shape().str());
  if (b.n_constituents.shape() != Shape{n} || b.n_subjets.shape() != Shape{n})
    fail("jet batch: n_constituents and n_subjets must be (", n, ")");
  if (b.jets.shape() != (Shape{n, 4})) fail("jet batch: jets must be (", n, ", 4), got ", b.jets.shape().str());
  if (b.charged.defined()) {
    if (b.charged.device() != ctx.device())
      fail("jet batch: 'charged' is on ", b.charged.device().str(), " but the context runs on ", ctx.device().str());
    if (b.charged.shape() != (Shape{n, b.constituents.dim(1)}))
      fail("jet batch: charged must be (", n, ", ", b.constituents.dim(1), "), got ", b.charged.shape().str());
  }
}

void check_charge(const JetBatch& b, const PixelSettings& p) {
  if (p.needs_charge() && !b.charged.defined())
    fail("jet batch: the charged and neutral channels need each constituent's charge, and this batch has none");
}

// `make(t)` for an optional tensor, nothing for an undefined one.
template <typename Make>
Tensor if_defined(const Tensor& t, Make make) {
  return t.defined() ? make(t) : Tensor();
}

// Where the op's kernels write: on the context's device (a CUDA kernel given a
// host pointer would write through it) and of the batch's image shape.
void check_images(const Context& ctx, const Tensor& images, int64_t n, const PixelSettings& p, const char* what,
                  const char* name = "images") {
  check_device(ctx, images, what, name);
  if (images.shape() != (Shape{n, p.channels, p.height, p.width}))
    fail(what, ": ", name, " must be (", n, ", ", p.channels, ", ", p.height, ", ", p.width, "), got ",
         images.shape().str());
}

void check_frames(const Context& ctx, const Tensor& frames, int64_t n, const char* what) {
  check_device(ctx, frames, what, "frames");
  if (frames.shape() != (Shape{n, kFrameFloats}))
    fail(what, ": frames must be (", n, ", ", kFrameFloats, "), got ", frames.shape().str());
}

}  // namespace

JetBatch JetBatch::to(Device device) const {
  return {constituents.to(device), n_constituents.to(device), subjets.to(device), n_subjets.to(device),
          jets.to(device), if_defined(charged, [&](const Tensor& t) { return t.to(device); })};
}

JetBatch JetBatch::to_pinned() const {
  return {constituents.to_pinned(), n_constituents.to_pinned(), subjets.to_pinned(), n_subjets.to_pinned(),
          jets.to_pinned(), if_defined(charged, [](const Tensor& t) { return t.to_pinned(); })};
}

JetBatch JetBatch::slice(int64_t begin, int64_t end) const {
  return {constituents.slice(begin, end), n_constituents.slice(begin, end), subjets.slice(begin, end),
          n_subjets.slice(begin, end), jets.slice(begin, end),
          if_defined(charged, [&](const Tensor& t) { return t.slice(begin, end); })};
}

PreprocessConfig PreprocessConfig::w_tagging() {
  PreprocessConfig c;
  c.frame = {Centre::LeadingSubjet, Rotation::Subjet, Flip::Subjet, true, 1.0f, 80.4f};
  c.pixels.height = c.pixels.width = 25;
  c.pixels.pixel_eta = c.pixels.pixel_phi = 0.1f;
  c.pixels.threshold = 0.1f;
  c.pixels.intensity = Intensity::Et;
  c.normalisation = Normalisation::L2;
  c.rotation_space = RotationSpace::Image;
  return c;
}

PreprocessConfig PreprocessConfig::top_tagging() {
  PreprocessConfig c;
  c.frame = {Centre::Centroid, Rotation::PrincipalAxis, Flip::Quadrant, false, 1.0f, 80.4f};
  c.pixels.height = c.pixels.width = 40;
  c.pixels.pixel_eta = c.pixels.pixel_phi = 0.04f;
  c.pixels.threshold = 0.0f;
  c.pixels.intensity = Intensity::Pt;
  c.normalisation = Normalisation::Sum;
  c.rotation_space = RotationSpace::Constituents;
  return c;
}

void PreprocessConfig::validate() const {
  const PixelSettings& p = pixels;
  if (p.height < 1 || p.width < 1 || p.height > kMaxImageSide || p.width > kMaxImageSide)
    fail("preprocessing: image size must be 1..", kMaxImageSide, " pixels a side, got ", p.height, "x", p.width);
  if (!(p.pixel_eta > 0 && p.pixel_phi > 0)) fail("preprocessing: pixel sizes must be > 0");
  if (!(p.threshold >= 0)) fail("preprocessing: threshold must be >= 0 GeV, got ", p.threshold);
  if (p.channels < 1 || p.channels > kMaxChannels)
    fail("preprocessing: 1 to ", kMaxChannels, " channels, got ", p.channels);
  for (int c = 0; c < p.channels; ++c) {
    const int kind = static_cast<int>(p.kinds[c]);
    if (kind < 0 || kind > static_cast<int>(ChannelKind::Neutral)) fail("preprocessing: channel ", c, " has no known kind");
    for (int d = 0; d < c; ++d)
      if (p.kinds[d] == p.kinds[c]) fail("preprocessing: channel ", c, " repeats channel ", d);
  }
  if (frame.zoom && !(frame.zoom_R > 0 && frame.zoom_mass > 0 && frame.zoom_min > 0))
    fail("preprocessing: zoom needs zoom_R > 0, zoom_mass > 0 and zoom_min > 0");
  if (canvas_size < 0 || canvas_size > 4096) fail("preprocessing: canvas_size must be 0..4096, got ", canvas_size);
}

void compute_frames(Context& ctx, const JetBatch& batch, const FrameSettings& settings, const PixelSettings& pixels,
                    Tensor& frames) {
  check_batch(ctx, batch);
  check_frames(ctx, frames, batch.size(), "compute_frames");
  JI_DISPATCH(ctx.device(), compute_frames, ctx, batch, settings, pixels, frames);
}

void pixelate(Context& ctx, const JetBatch& batch, const Tensor& frames, const PixelSettings& pixels, Tensor& images,
              bool translation_only) {
  check_batch(ctx, batch);
  check_frames(ctx, frames, batch.size(), "pixelate");
  check_images(ctx, images, batch.size(), pixels, "pixelate");
  check_charge(batch, pixels);
  JI_DISPATCH(ctx.device(), pixelate, ctx, batch, frames, pixels, images, translation_only);
}

void normalise_images(Context& ctx, Tensor& images, Normalisation normalisation) {
  check_device(ctx, images, "normalise_images", "images");
  if (images.ndim() != 4) fail("normalise_images: images must be (N, C, H, W), got ", images.shape().str());
  JI_DISPATCH(ctx.device(), normalise_images, ctx, images, normalisation);
}

void resample_images(Context& ctx, const Tensor& in, const Tensor& frames, const PixelSettings& out_pixels,
                     Tensor& out) {
  check_device(ctx, in, "resample_images", "in");
  if (in.ndim() != 4) fail("resample_images: input must be (N, C, H, W), got ", in.shape().str());
  check_frames(ctx, frames, in.dim(0), "resample_images");
  check_images(ctx, out, in.dim(0), out_pixels, "resample_images", "out");
  if (in.dim(1) != out_pixels.channels) fail("resample_images: input and output channel counts differ");
  JI_DISPATCH(ctx.device(), resample_images, ctx, in, frames, out_pixels, out);
}

void preprocess(Context& ctx, const JetBatch& batch, const PreprocessConfig& config, Tensor& images) {
  config.validate();
  check_batch(ctx, batch);
  check_images(ctx, images, batch.size(), config.pixels, "preprocess");
  check_charge(batch, config.pixels);
  if (batch.size() == 0) return;
  if (config.rotation_space == RotationSpace::Constituents) {
    JI_DISPATCH(ctx.device(), preprocess_fused, ctx, batch, config, images);
    return;
  }
  // Image space: pixelate the translated jet on a larger canvas of the same
  // pixel size and parity, then rotate, flip and zoom it by interpolation.
  Tensor frames = Tensor::empty({batch.size(), kFrameFloats}, ctx.device());
  compute_frames(ctx, batch, config.frame, config.pixels, frames);
  PixelSettings canvas = config.pixels;
  const int side = config.canvas_size > 0 ? config.canvas_size : 2 * std::max(config.pixels.height, config.pixels.width);
  canvas.height = side + ((side - config.pixels.height) % 2 != 0);
  canvas.width = side + ((side - config.pixels.width) % 2 != 0);
  Tensor translated = Tensor::empty({batch.size(), canvas.channels, canvas.height, canvas.width}, ctx.device());
  pixelate(ctx, batch, frames, canvas, translated, /*translation_only=*/true);
  resample_images(ctx, translated, frames, config.pixels, images);
  normalise_images(ctx, images, config.normalisation);
}

}  // namespace jetimg

namespace jetimg {

void preprocess_from_host(Context& ctx, const JetBatch& host_batch, const PreprocessConfig& config,
                          Tensor& host_images, int64_t chunk) {
  config.validate();
  if (config.rotation_space != RotationSpace::Constituents)
    fail("preprocess_from_host: only constituent-space rotation streams from host memory");
  if (chunk < 1) fail("preprocess_from_host: chunk must be >= 1, got ", chunk);
  Context host_view(Device::cpu(), ctx.seed());
  check_batch(host_view, host_batch);
  if (host_images.defined() && host_images.device() != Device::cpu())
    fail("preprocess_from_host: images must be in host memory");
  check_images(host_view, host_images, host_batch.size(), config.pixels, "preprocess_from_host");
  check_charge(host_batch, config.pixels);
  if (host_batch.size() == 0) return;
  JI_DISPATCH(ctx.device(), preprocess_from_host, ctx, host_batch, config, host_images, chunk);
}

}  // namespace jetimg
